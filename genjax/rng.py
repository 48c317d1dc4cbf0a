"""Explicit PRNG key derivation: every random draw names its purpose.

The root key lives in the train state. Step `s` uses `step_key(root, s)`, and each
use inside a step takes `purpose_key(step_key, 'reparam' | 'binarize' | ...)`, so adding
a new purpose never shifts the keys of the existing ones.
"""
import zlib

import jax


def purpose_key(key: jax.Array, purpose: str) -> jax.Array:
  """Key for one named purpose; stable across code changes (crc32 of the name)."""
  return jax.random.fold_in(key, zlib.crc32(purpose.encode()) & 0x7FFFFFFF)


def step_key(root: jax.Array, step) -> jax.Array:
  """Key for train step `step` (int or traced int32)."""
  return jax.random.fold_in(root, step)
