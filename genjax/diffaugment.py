"""DiffAugment (Zhao et al. 2020): differentiable augmentations applied to both real and
fake images before the discriminator, each draw from an explicit key.

Images are NHWC in [-1, 1]. Policies: 'color' (brightness, saturation, contrast),
'translation' (shift by up to 1/8 of the size, zero fill), 'cutout' (a zeroed square of
half the size). Gradients flow through every op to the generator.
"""
import jax
import jax.numpy as jnp

from genjax import parallel
from genjax import rng as rng_lib
from genjax.errors import GenjaxError

POLICIES = ("color", "translation", "cutout")


def parse(policy: str):
  names = tuple(p for p in policy.split(",") if p)
  for name in names:
    if name not in POLICIES:
      raise GenjaxError(f"loss.gan.diffaugment={policy!r}: {name!r} is not one of {POLICIES}")
  return names


def color(key, x_BxHxWxC, axis=None):
  b, s, c = jax.random.split(key, 3)
  uniform = lambda k, low, high: parallel.batch_draw(
      jax.random.uniform, k, (x_BxHxWxC.shape[0], 1, 1, 1), axis, minval=low, maxval=high)
  x = x_BxHxWxC + uniform(b, -0.5, 0.5)
  mean = x.mean(-1, keepdims=True)
  x = (x - mean) * uniform(s, 0.0, 2.0) + mean
  mean = x.mean((1, 2, 3), keepdims=True)
  return (x - mean) * uniform(c, 0.5, 1.5) + mean


def translation(key, x_BxHxWxC, axis=None, ratio: float = 0.125):
  n, h, w, _ = x_BxHxWxC.shape
  dh, dw = max(int(h * ratio + 0.5), 1), max(int(w * ratio + 0.5), 1)
  shifts = parallel.batch_draw(jax.random.randint, key, (n, 2), axis,
                               minval=jnp.array([-dh, -dw]), maxval=jnp.array([dh + 1, dw + 1]))
  padded = jnp.pad(x_BxHxWxC, ((0, 0), (dh, dh), (dw, dw), (0, 0)))
  crop = lambda img, s: jax.lax.dynamic_slice(img, (dh + s[0], dw + s[1], 0), (h, w, img.shape[-1]))
  return jax.vmap(crop)(padded, shifts)


def cutout(key, x_BxHxWxC, axis=None, ratio: float = 0.5):
  n, h, w, _ = x_BxHxWxC.shape
  ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
  centre = parallel.batch_draw(jax.random.randint, key, (n, 2), axis, minval=0,
                               maxval=jnp.array([h + 1 - ch % 2, w + 1 - cw % 2]))
  rows = jnp.arange(h)[None, :, None]
  cols = jnp.arange(w)[None, None, :]
  top, left = centre[:, 0, None, None] - ch // 2, centre[:, 1, None, None] - cw // 2
  inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
  return x_BxHxWxC * (~inside)[..., None]


def diff_augment(key, x_BxHxWxC, policies, axis=None):
  """Applies `policies` (a tuple from `parse`) in order, each with its own key (`axis`: see
  `genjax.parallel.batch_draw`)."""
  ops = {"color": color, "translation": translation, "cutout": cutout}
  for name in policies:
    x_BxHxWxC = ops[name](rng_lib.purpose_key(key, name), x_BxHxWxC, axis)
  return x_BxHxWxC
