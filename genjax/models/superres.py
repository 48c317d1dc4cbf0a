"""Super-resolution networks and the image operations around them.

Shapes: high-resolution images x_BxHxWxC, low-resolution ones x_Bx(H/f)x(W/f)xC for a factor
f (a power of 2). Values are in the data's range; the generator's raw output is mapped to it
by the family.
"""
import flax.linen as nn
import jax
import jax.numpy as jnp


def area_downsample(x_BxHxWxC, factor: int):
  """Each f x f block of pixels averaged (what a camera of f times coarser pixels records):
  x_Bx(H/f)x(W/f)xC. H and W must be multiples of f."""
  b, h, w, c = x_BxHxWxC.shape
  return x_BxHxWxC.reshape(b, h // factor, factor, w // factor, factor, c).mean((2, 4))


def nearest_upsample(x_BxhxwxC, factor: int):
  """Each pixel repeated into an f x f block: x_Bx(h*f)x(w*f)xC."""
  return jnp.repeat(jnp.repeat(x_BxhxwxC, factor, axis=1), factor, axis=2)


def bicubic_upsample(x_BxhxwxC, factor: int):
  """Bicubic interpolation (Keys, a = -0.5) to f times the size: the classic baseline."""
  b, h, w, c = x_BxhxwxC.shape
  return jax.image.resize(x_BxhxwxC, (b, h * factor, w * factor, c), "bicubic")


def pixel_shuffle(x_BxHxWxCrr, r: int):
  """Sub-pixel convolution's rearrangement (Shi et al. 2016), PyTorch's PixelShuffle in NHWC:
  input channel c*r*r + i*r + j becomes output pixel (h*r + i, w*r + j), channel c."""
  b, h, w, crr = x_BxHxWxCrr.shape
  c = crr // (r * r)
  x = x_BxHxWxCrr.reshape(b, h, w, c, r, r)
  return x.transpose(0, 1, 4, 2, 5, 3).reshape(b, h * r, w * r, c)


class ResidualBlock(nn.Module):
  """conv3x3 - PReLU - conv3x3, added to the input (SRGAN's block without batch norm, as EDSR,
  Lim et al. 2017, found better for super-resolution)."""
  channels: int

  @nn.compact
  def __call__(self, h):
    y = nn.PReLU(negative_slope_init=0.25)(nn.Conv(self.channels, (3, 3))(h))
    return h + nn.Conv(self.channels, (3, 3))(y)


class SRResNet(nn.Module):
  """Ledig et al. 2017's generator: a conv to `channels` (PReLU), `blocks` residual blocks, a
  conv added to the first features (the long skip), then log2(factor) upsampling stages (conv
  to 4 x channels, pixel shuffle x2, PReLU) and a conv to the image's channels. Kernels are
  3x3 (the paper's first and last are 9x9, sized for 96x96 crops, not 7x7 inputs).
  x_BxhxwxC -> raw output x_Bx(h*f)x(w*f)xC."""
  channels: int
  blocks: int
  factor: int
  out_channels: int

  @nn.compact
  def __call__(self, low_BxhxwxC):
    first = nn.PReLU(negative_slope_init=0.25)(nn.Conv(self.channels, (3, 3))(low_BxhxwxC))
    h = first
    for _ in range(self.blocks):
      h = ResidualBlock(self.channels)(h)
    h = first + nn.Conv(self.channels, (3, 3))(h)
    for _ in range(self.factor.bit_length() - 1):
      h = pixel_shuffle(nn.Conv(4 * self.channels, (3, 3))(h), 2)
      h = nn.PReLU(negative_slope_init=0.25)(h)
    return nn.Conv(self.out_channels, (3, 3))(h)


class ConditionalCritic(nn.Module):
  """A discriminator `d` that judges a high-resolution image given its low-resolution input:
  d scores the image with the nearest-upsampled input beside it as channels (pix2pix's
  conditional D). The input takes the place of a class label, so input-gradient penalties
  (R1, gradient penalty) differentiate with respect to the image only.
  (x_BxHxWxC, low_BxhxwxC) -> float[B]."""
  d: nn.Module
  factor: int

  def __call__(self, x_BxHxWxC, low_BxhxwxC, train: bool = True):
    both = jnp.concatenate([x_BxHxWxC, nearest_upsample(low_BxhxwxC, self.factor)], -1)
    return self.d(both, None, train=train)
