"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs").

The unbiased estimate of MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / D + 1)^3,

  MMD^2_u = sum_{i != j} [k(x_i, x_j) + k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2,

on `num_subsets` pairs of random size-m subsets (drawn without replacement, independently
per subset), reported as the mean and standard deviation (ddof=0) over subsets, as the
paper's code and torch-fidelity do. Units: the squared units of the features.

Kernel values are float32 (as torch-fidelity's) from float32 matmuls at full precision
(no TF32/bf16 passes on accelerators); each kernel row is summed on the device (m terms) and
the row sums are combined in float64 on the host, since MMD^2 is a small difference of sums
of m^2 values.
"""
import jax
import jax.numpy as jnp
import numpy as np


def _kernel(a_MxD, b_MxD):
  dot = jnp.dot(a_MxD, b_MxD.T, precision=jax.lax.Precision.HIGHEST)
  return (dot / a_MxD.shape[1] + 1) ** 3


@jax.jit
def _subset_sums(x_NxD, y_MxD, ix_SxK, iy_SxK):
  """Per subset: row sums of Kxx, Kyy, Kxy and the diagonals of Kxx, Kyy, each (S, K)."""

  def one(indices):
    x, y = x_NxD[indices[0]], y_MxD[indices[1]]
    kxx, kyy, kxy = _kernel(x, x), _kernel(y, y), _kernel(x, y)
    return kxx.sum(1), kyy.sum(1), kxy.sum(1), jnp.diagonal(kxx), jnp.diagonal(kyy)

  return jax.lax.map(one, (ix_SxK, iy_SxK))


def subset_indices(key, n: int, num_subsets: int, size: int):
  """(num_subsets, size) int32 indices into range(n), each row without replacement."""
  keys = jax.random.split(key, num_subsets)
  return jax.vmap(lambda k: jax.random.permutation(k, n)[:size])(keys)


def kid(feats1_NxD, feats2_MxD, key, num_subsets: int = 100, subset_size: int = 1000) -> tuple:
  """(mean, std) of MMD^2_u over subsets of size m = min(subset_size, N, M).

  `key`: a jax.random key; the subsets of both sets are drawn from it, nothing else is random.
  """
  x, y = jnp.asarray(feats1_NxD, jnp.float32), jnp.asarray(feats2_MxD, jnp.float32)
  if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
    raise ValueError(f"features must be N x D and M x D, got {x.shape} and {y.shape}")
  m = min(subset_size, len(x), len(y))
  if m < 2:
    raise ValueError(f"KID needs subsets of at least 2 features, got m={m}")
  key_x, key_y = jax.random.split(key)
  sums = _subset_sums(x, y, subset_indices(key_x, len(x), num_subsets, m),
                      subset_indices(key_y, len(y), num_subsets, m))
  rows_xx, rows_yy, rows_xy, diag_xx, diag_yy = (np.asarray(s, np.float64).sum(1) for s in sums)
  mmd2 = (rows_xx - diag_xx + rows_yy - diag_yy) / (m * (m - 1)) - 2 * rows_xy / m**2
  return float(mmd2.mean()), float(mmd2.std())
