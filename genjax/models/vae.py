"""VAE networks: MLP and convolutional encoders/decoders, and an optional local
autoregressive (PixelCNN-style) decoder head for binary images.

Shapes: images x_BxHxWxC, latents z_BxZ. The encoder returns the mean and log standard
deviation of a diagonal Gaussian q(z|x); the decoder returns per-pixel likelihood
parameters (Bernoulli logits, or Gaussian means) of shape BxHxWxC.
"""
import math
from typing import Callable, Sequence, Tuple

import flax.linen as nn
import jax.numpy as jnp

ACTIVATIONS = {"relu": nn.relu, "elu": nn.elu, "gelu": nn.gelu, "swish": nn.swish}


class MLPEncoder(nn.Module):
  hidden: Sequence[int]
  latent_dim: int
  act: Callable = nn.relu

  @nn.compact
  def __call__(self, x_BxHxWxC):
    h = x_BxHxWxC.reshape(x_BxHxWxC.shape[0], -1)
    for width in self.hidden:
      h = self.act(nn.Dense(width)(h))
    return nn.Dense(self.latent_dim, name="mean")(h), nn.Dense(self.latent_dim, name="log_std")(h)


class ConvEncoder(nn.Module):
  """Stride-2 3x3 convolutions (one per entry of `channels`), then a dense layer."""
  channels: Sequence[int]
  hidden: int
  latent_dim: int
  act: Callable = nn.relu

  @nn.compact
  def __call__(self, x_BxHxWxC):
    h = x_BxHxWxC
    for width in self.channels:
      h = self.act(nn.Conv(width, (3, 3), strides=2)(h))
    h = self.act(nn.Dense(self.hidden)(h.reshape(h.shape[0], -1)))
    return nn.Dense(self.latent_dim, name="mean")(h), nn.Dense(self.latent_dim, name="log_std")(h)


class MLPDecoder(nn.Module):
  hidden: Sequence[int]
  out_shape: Tuple[int, int, int]
  act: Callable = nn.relu

  @nn.compact
  def __call__(self, z_BxZ):
    h = z_BxZ
    for width in self.hidden:
      h = self.act(nn.Dense(width)(h))
    return nn.Dense(math.prod(self.out_shape))(h).reshape(-1, *self.out_shape)


class ConvDecoder(nn.Module):
  """Dense layers to a coarse grid, stride-2 transposed convs (`channels` in the order they
  run, from the grid outward: the mirror of a ConvEncoder's is its channels reversed), crop."""
  channels: Sequence[int]
  hidden: int
  out_shape: Tuple[int, int, int]
  act: Callable = nn.relu

  @nn.compact
  def __call__(self, z_BxZ):
    height, width, out_channels = self.out_shape
    scale = 2 ** len(self.channels)
    h0, w0 = -(-height // scale), -(-width // scale)
    h = self.act(nn.Dense(self.hidden)(z_BxZ))
    h = self.act(nn.Dense(h0 * w0 * self.channels[0])(h)).reshape(-1, h0, w0, self.channels[0])
    for width_ in self.channels:
      h = self.act(nn.ConvTranspose(width_, (3, 3), strides=(2, 2))(h))
    h = h[:, :height, :width]
    return nn.Conv(out_channels, (3, 3))(h)


def causal_offsets(kernel: int):
  """(dy, dx) of the pixels before the centre of a KxK window, in raster order."""
  r = kernel // 2
  return [(dy, dx) for dy in range(-r, 1) for dx in range(-r, r + 1) if dy < 0 or dx < 0]


def causal_neighbours(x_BxHxWxC, kernel: int):
  """The causal KxK neighbourhood of every pixel (zeros off the image): BxHxWx(N*C).

  Gathered by shifted slices, so the head is dense matmuls: on CPU, XLA's convolution
  gradients are an order of magnitude slower than this.
  """
  r = kernel // 2
  height, width = x_BxHxWxC.shape[1:3]
  padded = jnp.pad(x_BxHxWxC, ((0, 0), (r, 0), (r, r), (0, 0)))
  return jnp.concatenate([padded[:, r + dy: r + dy + height, r + dx: r + dx + width]
                          for dy, dx in causal_offsets(kernel)], axis=-1)


class AutoregressiveHead(nn.Module):
  """Logits of p(x_i | x_<i, z) from decoder features at pixel i and x's causal KxK window.

  The receptive field over x is the causal neighbourhood only, so the latent must still
  carry the global shape (a "lossy" PixelCNN-style decoder, Chen et al. 2017).
  """
  channels: int
  kernel: int
  layers: int
  out_channels: int
  act: Callable = nn.relu

  @nn.compact
  def __call__(self, features_BxHxWxF, x_BxHxWxC):
    context = causal_neighbours(x_BxHxWxC, self.kernel)
    h = self.act(nn.Dense(self.channels, name="features")(features_BxHxWxF)
                 + nn.Dense(self.channels, use_bias=False, name="context")(context))
    for _ in range(self.layers):
      h = self.act(nn.Dense(self.channels)(h)) + h
    return nn.Dense(self.out_channels, name="logits")(h)


class VAE(nn.Module):
  """Encoder, decoder and likelihood parameters of a VAE with a N(0, I) prior.

  `decode(z, x)` returns BxHxWxC likelihood parameters; `x` is only read by the
  autoregressive head (teacher forcing), and must be the image whose likelihood is asked.
  With `num_classes` = K > 0 it is a conditional VAE (Sohn et al. 2015): labels y_B enter the
  encoder as K one-hot input planes and the decoder as a one-hot appended to z.
  """
  encoder: nn.Module
  decoder: nn.Module
  image_shape: Tuple[int, int, int]
  head: nn.Module = None  # AutoregressiveHead or None.
  learn_scale: bool = False
  init_log_scale: float = 0.0
  num_classes: int = 0

  def setup(self):
    if self.learn_scale:
      self.log_scale = self.param("log_scale", nn.initializers.constant(self.init_log_scale),
                                  (self.image_shape[-1],))

  def encode(self, x_BxHxWxC, y_B=None):
    if self.num_classes:
      planes = nn.one_hot(y_B, self.num_classes, dtype=x_BxHxWxC.dtype)[:, None, None, :]
      x_BxHxWxC = jnp.concatenate(
          [x_BxHxWxC, jnp.broadcast_to(planes, x_BxHxWxC.shape[:3] + (self.num_classes,))], -1)
    return self.encoder(x_BxHxWxC)

  def decode(self, z_BxZ, x_BxHxWxC=None, y_B=None):
    if self.num_classes:
      z_BxZ = jnp.concatenate([z_BxZ, nn.one_hot(y_B, self.num_classes, dtype=z_BxZ.dtype)], -1)
    out = self.decoder(z_BxZ)
    if self.head is None:
      return out
    return self.head(out, x_BxHxWxC)

  def scale(self):
    """Learned per-channel log std of a Gaussian likelihood (call only if learn_scale)."""
    return self.log_scale

  def __call__(self, x_BxHxWxC, z_BxZ, y_B=None):
    """Used for initialisation: touches every parameter."""
    mean, log_std = self.encode(x_BxHxWxC, y_B)
    out = self.decode(z_BxZ + 0 * mean, x_BxHxWxC, y_B)
    return (out, self.log_scale) if self.learn_scale else out
