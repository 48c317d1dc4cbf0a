"""Explicit PRNG key derivation: every random draw names its purpose.

The root key lives in the train state. Step `s` uses `step_key(root, s)`, and each
use inside a step takes `purpose_key(step_key, 'reparam' | 'binarize' | ...)`, so adding
a new purpose never shifts the keys of the existing ones.
"""
import math
import zlib

import jax
import jax.numpy as jnp

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def purpose_key(key: jax.Array, purpose: str) -> jax.Array:
  """Key for one named purpose; stable across code changes (crc32 of the name)."""
  return jax.random.fold_in(key, zlib.crc32(purpose.encode()) & 0x7FFFFFFF)


def step_key(root: jax.Array, step) -> jax.Array:
  """Key for train step `step` (int or traced int32)."""
  return jax.random.fold_in(root, step)


def threefry2x32(key: jax.Array, x0: jax.Array, x1: jax.Array):
  """Threefry-2x32 (20 rounds) of the uint32 counter pairs (x0, x1) under `key` (uint32[2]):
  the hash behind jax.random's default keys, bit for bit (`jax.extend.random.threefry2x32_p`),
  written out unrolled. jax lowers it on CPU as a 5-trip loop over materialized arrays;
  unrolled, XLA fuses it into one elementwise kernel, several times faster for a draw per
  pixel. Returns two uint32 arrays of the counters' broadcast shape."""
  rotl = lambda x, d: (x << jnp.uint32(d)) | (x >> jnp.uint32(32 - d))
  ks = (key[0], key[1], key[0] ^ key[1] ^ jnp.uint32(0x1BD11BDA))
  x0, x1 = x0 + ks[0], x1 + ks[1]
  for i in range(5):
    for r in _ROTATIONS[i % 2]:
      x0 = x0 + x1
      x1 = rotl(x1, r) ^ x0
    x0, x1 = x0 + ks[(i + 1) % 3], x1 + ks[(i + 2) % 3] + jnp.uint32(i + 1)
  return x0, x1


def uint16_bits(key: jax.Array, shape) -> jax.Array:
  """Uniform 16-bit integers (held as uint32) of `shape` (batch first): four per
  `threefry2x32` hash of the 64-bit counter (0, i), i running over [batch, ceil(rest / 4)],
  so that examples are drawn independently (a batch split over devices draws the same)."""
  batch, rest = shape[0], math.prod(shape[1:])
  hashes = -(-rest // 4)
  counter = jnp.arange(batch * hashes, dtype=jnp.uint32).reshape(batch, hashes)
  h0, h1 = threefry2x32(key, jnp.zeros_like(counter), counter)
  bits = jnp.stack([h0 & 0xFFFF, h0 >> 16, h1 & 0xFFFF, h1 >> 16], axis=-1)
  return bits.reshape(batch, 4 * hashes)[:, :rest].reshape(shape)
