"""GAN networks: MLP and DCGAN generators/discriminators, class-conditional variants and
optional spectral normalization of the discriminator.

Shapes: latents z_BxZ, labels y_B (int32, or None when unconditional), outputs x_BxD for
flat data (2-D points) or x_BxHxWxC images. Discriminators return raw scores float[B]
(logits for the minimax family; critic values for Wasserstein/hinge losses), never
probabilities: losses and penalties are defined on the logit (a model with
`sigmoid_output` reads D(x) = sigmoid(score), see `genjax.families.gan`).
"""
import math
from typing import Any, Callable, Sequence, Tuple

import flax.linen as nn
import jax.numpy as jnp


def _dense(features, spectral: bool, name=None, dtype=None):
  layer = nn.Dense(features, name=name)
  return nn.SpectralNorm(layer, dtype=dtype) if spectral else layer


def _conv(features, kernel, strides, spectral: bool, dtype=None):
  layer = nn.Conv(features, kernel, strides=strides, padding="SAME")
  # The normalized kernel in `dtype` (default: float32, the power-iteration vectors' dtype).
  return nn.SpectralNorm(layer, dtype=dtype) if spectral else layer


def _apply(layer, x, spectral: bool, train: bool):
  return layer(x, update_stats=train) if spectral else layer(x)


class MLPGenerator(nn.Module):
  hidden: Sequence[int]
  out_shape: Tuple[int, ...]  # (D,) for points, (H, W, C) for images.
  num_classes: int = 0
  tanh_output: bool = False  # Images in [-1, 1]; points are unbounded.

  @nn.compact
  def __call__(self, z_BxZ, y_B=None, train: bool = True):
    h = z_BxZ
    if self.num_classes:
      h = jnp.concatenate([h, nn.Embed(self.num_classes, z_BxZ.shape[-1])(y_B)], -1)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    x = nn.Dense(math.prod(self.out_shape))(h).reshape((-1,) + tuple(self.out_shape))
    return jnp.tanh(x) if self.tanh_output else x


class MLPDiscriminator(nn.Module):
  hidden: Sequence[int]
  num_classes: int = 0
  spectral_norm: bool = False
  concat_labels: bool = False  # Conditional: one-hot labels as inputs instead of projection.
  act: Callable = nn.relu
  dtype: Any = None  # Compute dtype of spectrally normalized layers (None: float32).

  @nn.compact
  def __call__(self, x, y_B=None, train: bool = True):
    h = x.reshape(x.shape[0], -1)
    if self.num_classes and self.concat_labels:
      h = jnp.concatenate([h, nn.one_hot(y_B, self.num_classes)], -1)
    for width in self.hidden:
      layer = _dense(width, self.spectral_norm, dtype=self.dtype)
      h = self.act(_apply(layer, h, self.spectral_norm, train))
    return _head(self, h, y_B, train)


def _head(module, h_BxF, y_B, train):
  """Linear score, plus the projection term <embed(y), h> when class-conditional (the
  embedding spectrally normalized with the other layers, as Miyato & Koyama 2018 do)."""
  layer = _dense(1, module.spectral_norm, name="score", dtype=module.dtype)
  score = _apply(layer, h_BxF, module.spectral_norm, train)[:, 0]
  if module.num_classes and not module.concat_labels:
    embed = nn.Embed(module.num_classes, h_BxF.shape[-1], name="projection")
    if module.spectral_norm:
      embed = nn.SpectralNorm(embed, dtype=module.dtype)
    score = score + jnp.sum(_apply(embed, y_B, module.spectral_norm, train) * h_BxF, -1)
  return score


def dcgan_plan(height: int, width: int):
  """(start size, number of 2x upsamplings) with start <= 7: 64->(4, 4), 32->(4, 3), 28->(7, 2)."""
  if height != width:
    raise ValueError(f"DCGAN needs square images, got {height}x{width}")
  steps = 0
  while height % 2 == 0 and height > 7:
    height //= 2
    steps += 1
  return height, steps


class DCGANGenerator(nn.Module):
  """Radford et al. 2016: dense to start x start x (width * 2^(n-1)), then n stride-2
  transposed convs (batch norm + ReLU) halving the width, a tanh output."""
  width: int
  image_shape: Tuple[int, int, int]
  num_classes: int = 0
  axis_name: Any = None  # pmap's axis: batch norm statistics over the global batch.

  @nn.compact
  def __call__(self, z_BxZ, y_B=None, train: bool = True):
    start, steps = dcgan_plan(*self.image_shape[:2])
    h = z_BxZ
    if self.num_classes:
      h = jnp.concatenate([h, nn.Embed(self.num_classes, z_BxZ.shape[-1])(y_B)], -1)
    channels = self.width * 2 ** max(steps - 1, 0)
    h = nn.Dense(start * start * channels, use_bias=False)(h).reshape(-1, start, start, channels)
    h = nn.relu(nn.BatchNorm(use_running_average=not train, axis_name=self.axis_name)(h))
    for i in range(steps - 1):
      h = nn.ConvTranspose(channels // 2 ** (i + 1), (4, 4), strides=(2, 2), use_bias=False)(h)
      h = nn.relu(nn.BatchNorm(use_running_average=not train, axis_name=self.axis_name)(h))
    h = nn.ConvTranspose(self.image_shape[-1], (4, 4), strides=(2, 2) if steps else (1, 1))(h)
    return jnp.tanh(h)


class DCGANDiscriminator(nn.Module):
  """Stride-2 4x4 convs doubling the width, leaky ReLU (0.2), then a linear score; with
  `batch_norm`, batch norm after every conv but the first (Radford et al. 2016 leave the input
  layer unnormalized)."""
  width: int
  num_classes: int = 0
  spectral_norm: bool = False
  concat_labels: bool = False  # Conditional: one-hot label planes as extra input channels.
  dtype: Any = None  # Compute dtype of spectrally normalized layers (None: float32).
  batch_norm: bool = False
  axis_name: Any = None  # pmap's axis: batch norm statistics over the global batch.

  @nn.compact
  def __call__(self, x_BxHxWxC, y_B=None, train: bool = True):
    _, steps = dcgan_plan(*x_BxHxWxC.shape[1:3])
    h = x_BxHxWxC
    if self.num_classes and self.concat_labels:
      planes = nn.one_hot(y_B, self.num_classes)[:, None, None, :]
      h = jnp.concatenate([h, jnp.broadcast_to(planes, h.shape[:3] + (self.num_classes,))], -1)
    for i in range(max(steps, 1)):
      conv = _conv(self.width * 2**i, (4, 4), (2, 2), self.spectral_norm, self.dtype)
      h = _apply(conv, h, self.spectral_norm, train)
      if self.batch_norm and i > 0:
        h = nn.BatchNorm(use_running_average=not train, axis_name=self.axis_name)(h)
      h = nn.leaky_relu(h, 0.2)
    return _head(self, h.reshape(h.shape[0], -1), y_B, train)
