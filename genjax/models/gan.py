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
import jax
import jax.numpy as jnp

from genjax import parallel


def _dense(features, spectral: bool, name=None, dtype=None):
  layer = nn.Dense(features, name=name)
  return nn.SpectralNorm(layer, dtype=dtype) if spectral else layer


def _conv(features, kernel, strides, spectral: bool, dtype=None):
  layer = nn.Conv(features, kernel, strides=strides, padding="SAME")
  # The normalized kernel in `dtype` (default: float32, the power-iteration vectors' dtype).
  return nn.SpectralNorm(layer, dtype=dtype) if spectral else layer


def _apply(layer, x, spectral: bool, train: bool):
  return layer(x, update_stats=train) if spectral else layer(x)


class NoiseInjection(nn.Module):
  """StyleGAN's per-layer noise (Karras et al. 2019): h + scale_C * noise, the scale learned
  per unit / channel (initialised at `init_scale`), fresh N(0, 1) noise per example from the
  'noise' rng: per unit for h_BxF, one plane broadcast over channels for h_BxHxWxC. Without a
  'noise' rng (parameter init, `decode` without a key) the noise is 0: the mean generator."""
  init_scale: float
  axis_name: Any = None  # pmap's axis (in training): the same noise per example on 1 or N devices.

  @nn.compact
  def __call__(self, h, train: bool = True):
    scale = self.param("scale", nn.initializers.constant(self.init_scale), (h.shape[-1],))
    if not self.has_rng("noise"):
      return h
    shape = h.shape[:-1] + ((1,) if h.ndim > 2 else (h.shape[-1],))
    axis = self.axis_name if train else None  # Sampling runs outside pmap.
    noise = parallel.batch_draw(jax.random.normal, self.make_rng("noise"), shape, axis)
    return h + scale.astype(h.dtype) * noise.astype(h.dtype)


def pack(x, m: int):
  """PacGAN's packing (Lin et al. 2018): m consecutive examples as one D input, x_BxD ->
  x_(B/m)x(m*D), images x_BxHxWxC -> x_(B/m)xHxWx(m*C) (the m images stacked as channels)."""
  if m == 1:
    return x
  x = x.reshape((x.shape[0] // m, m) + x.shape[1:])
  if x.ndim == 3:
    return x.reshape(x.shape[0], -1)
  return jnp.moveaxis(x, 1, -2).reshape(x.shape[:1] + x.shape[2:-1] + (-1,))


class MLPGenerator(nn.Module):
  hidden: Sequence[int]
  out_shape: Tuple[int, ...]  # (D,) for points, (H, W, C) for images.
  num_classes: int = 0
  tanh_output: bool = False  # Images in [-1, 1]; points are unbounded.
  noise_injection: float = 0.0  # > 0: NoiseInjection after every hidden layer, this initial scale.
  axis_name: Any = None

  @nn.compact
  def __call__(self, z_BxZ, y_B=None, train: bool = True):
    h = z_BxZ
    if self.num_classes:
      h = jnp.concatenate([h, nn.Embed(self.num_classes, z_BxZ.shape[-1])(y_B)], -1)
    for width in self.hidden:
      h = nn.Dense(width)(h)
      if self.noise_injection:
        h = NoiseInjection(self.noise_injection, self.axis_name)(h, train)
      h = nn.relu(h)
    x = nn.Dense(math.prod(self.out_shape))(h).reshape((-1,) + tuple(self.out_shape))
    return jnp.tanh(x) if self.tanh_output else x


class MLPDiscriminator(nn.Module):
  hidden: Sequence[int]
  num_classes: int = 0
  spectral_norm: bool = False
  concat_labels: bool = False  # Conditional: one-hot labels as inputs instead of projection.
  act: Callable = nn.relu
  dtype: Any = None  # Compute dtype of spectrally normalized layers (None: float32).
  fourier_features: int = 0  # > 0: the input x_BxD also enters as sin/cos(x W_DxF), W learned.
  fourier_scale: float = 1.0  # W's initial std (angular frequency per unit of x).

  @nn.compact
  def __call__(self, x, y_B=None, train: bool = True):
    h = x.reshape(x.shape[0], -1)
    if self.fourier_features:
      # A ReLU MLP resolves fine detail of its input slowly (spectral bias); sinusoids of
      # frequency ~1/detail let D see a mode's width at the data's scale (Tancik et al. 2020).
      w_DxF = self.param("fourier", nn.initializers.normal(self.fourier_scale),
                         (h.shape[-1], self.fourier_features))
      angle_BxF = h @ w_DxF.astype(h.dtype)
      h = jnp.concatenate([h, jnp.sin(angle_BxF), jnp.cos(angle_BxF)], -1)
    if self.num_classes and self.concat_labels:
      h = jnp.concatenate([h, nn.one_hot(y_B, self.num_classes)], -1)
    for width in self.hidden:
      layer = _dense(width, self.spectral_norm, dtype=self.dtype)
      h = self.act(_apply(layer, h, self.spectral_norm, train))
    return _head(self, h, y_B, train)


def _head(module, h_BxF, y_B, train):
  """Linear score, plus the projection term <embed(y), h> when class-conditional (the
  embedding spectrally normalized with the other layers, as Miyato & Koyama 2018 do)."""
  if not module.is_initializing():  # (Kept out of the variables `init` returns.)
    module.sow("features", "last_hidden", h_BxF)  # Generator terms (feature matching) read it.
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
  noise_injection: float = 0.0  # > 0: NoiseInjection after every batch norm, this initial scale.

  @nn.compact
  def __call__(self, z_BxZ, y_B=None, train: bool = True):
    start, steps = dcgan_plan(*self.image_shape[:2])
    inject = lambda h: (NoiseInjection(self.noise_injection, self.axis_name)(h, train)
                        if self.noise_injection else h)
    h = z_BxZ
    if self.num_classes:
      h = jnp.concatenate([h, nn.Embed(self.num_classes, z_BxZ.shape[-1])(y_B)], -1)
    channels = self.width * 2 ** max(steps - 1, 0)
    h = nn.Dense(start * start * channels, use_bias=False)(h).reshape(-1, start, start, channels)
    h = nn.relu(inject(nn.BatchNorm(use_running_average=not train, axis_name=self.axis_name)(h)))
    for i in range(steps - 1):
      h = nn.ConvTranspose(channels // 2 ** (i + 1), (4, 4), strides=(2, 2), use_bias=False)(h)
      h = nn.relu(inject(nn.BatchNorm(use_running_average=not train, axis_name=self.axis_name)(h)))
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
