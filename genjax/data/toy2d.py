"""2-D Gaussian mixtures for mode-coverage studies, sampled fresh from keys.

`ring8`: 8 modes at angles 2*pi*i/8 (i = 0..7) on a circle of radius `radius`, std `std`.
`grid25`: 25 modes at spacing * {-2, -1, 0, 1, 2}^2 (spacing 2: {-4, -2, 0, 2, 4}^2), std `std`.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

from genjax.errors import GenjaxError

DEFAULTS = {"ring8": {"radius": 1.0, "std": 0.01}, "grid25": {"spacing": 2.0, "std": 0.05}}


def means(name: str, radius: float = 1.0, spacing: float = 2.0) -> np.ndarray:
  """The mixture's means, float32[M, 2]."""
  if name == "ring8":
    angles = 2 * math.pi * np.arange(8) / 8  # not linspace(0, 2pi, 8), which repeats a mode
    return (radius * np.stack([np.cos(angles), np.sin(angles)], -1)).astype(np.float32)
  if name == "grid25":
    axis = spacing * np.arange(-2, 3)
    return np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2).astype(np.float32)
  raise GenjaxError(f"unknown 2-D dataset {name!r}: valid are {tuple(DEFAULTS)}")


def sample(key, num: int, means_Mx2, std: float):
  """`num` points, each from a uniformly chosen mode plus N(0, std^2 I) noise: float[num, 2]."""
  mode_key, noise_key = jax.random.split(key)
  modes = jax.random.randint(mode_key, (num,), 0, means_Mx2.shape[0])
  return jnp.asarray(means_Mx2)[modes] + std * jax.random.normal(noise_key, (num, 2))
