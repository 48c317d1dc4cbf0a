"""Improved precision and recall (Kynkaanniemi et al. 2019) and density and coverage
(Naeem et al. 2020) of fake features against real ones, as clovaai/generative-evaluation-prdc
computes them. With B_k(z) the ball around z of radius the distance to z's k-th nearest
neighbour in its own set (the point itself excluded), and strict inequalities:

  precision = fraction of fakes inside some B_k(real)             (k = k_pr, paper: 3)
  recall    = fraction of reals inside some B_k(fake)             (k = k_pr)
  density   = (1/k) mean over fakes of #{reals r: fake in B_k(r)} (k = k_dc, paper: 5)
  coverage  = fraction of reals r whose B_k(r) holds some fake    (k = k_dc)

Precision, recall and coverage are in [0, 1]; density is in [0, N/k], about 1 for fakes
distributed as the reals. Euclidean distances are compared squared, from float32 matmuls at
full precision after centring both sets on the real mean, in row chunks: no N x M x D
tensor, and at most chunk x max(N, M) distances at a time.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np


def _sq_distances(a_CxD, b_MxD, b_sq_M):
  dot = jnp.dot(a_CxD, b_MxD.T, precision=jax.lax.Precision.HIGHEST)
  return jnp.maximum(jnp.sum(a_CxD * a_CxD, 1)[:, None] + b_sq_M[None] - 2 * dot, 0)


def _row_chunks(x_NxD, chunk):
  pad = -len(x_NxD) % chunk
  return jnp.pad(x_NxD, ((0, pad), (0, 0))).reshape(-1, chunk, x_NxD.shape[1]), pad


@functools.partial(jax.jit, static_argnames=("ks", "chunk"))
def _kth_neighbour_sq(x_NxD, ks, chunk):
  """(len(ks), N): squared distance of each row to its k-th nearest other row, per k."""
  x_sq = jnp.sum(x_NxD * x_NxD, 1)

  def one(a_CxD):
    # The k+1 smallest distances of a row, ascending; the first is the row's own (0).
    smallest = -jax.lax.top_k(-_sq_distances(a_CxD, x_NxD, x_sq), max(ks) + 1)[0]
    return smallest[:, jnp.array(ks)]

  chunks, _ = _row_chunks(x_NxD, chunk)
  return jax.lax.map(one, chunks).reshape(-1, len(ks))[:len(x_NxD)].T


@functools.partial(jax.jit, static_argnames=("chunk",))
def _cross(real_NxD, fake_MxD, real_pr_N, real_dc_N, fake_pr_M, chunk):
  fake_sq = jnp.sum(fake_MxD * fake_MxD, 1)
  chunks, pad = _row_chunks(real_NxD, chunk)
  # Padding rows get radius -inf: their balls hold nothing; their own outputs are dropped.
  radii = [jnp.pad(r, (0, pad), constant_values=-jnp.inf).reshape(-1, chunk)
           for r in (real_pr_N, real_dc_N)]

  def step(carry, inputs):
    fake_in_real, fake_count = carry
    a_CxD, pr_C, dc_C = inputs
    d_CxM = _sq_distances(a_CxD, fake_MxD, fake_sq)
    fake_in_real = fake_in_real | (d_CxM < pr_C[:, None]).any(0)
    fake_count = fake_count + (d_CxM < dc_C[:, None]).sum(0)
    return (fake_in_real, fake_count), ((d_CxM < fake_pr_M[None]).any(1), d_CxM.min(1) < dc_C)

  init = (jnp.zeros(len(fake_MxD), bool), jnp.zeros(len(fake_MxD), jnp.int32))
  (fake_in_real, fake_count), (real_in_fake, covered) = jax.lax.scan(
      step, init, (chunks, *radii))
  n = len(real_NxD)
  return fake_in_real, fake_count, real_in_fake.reshape(-1)[:n], covered.reshape(-1)[:n]


def prdc(real_NxD, fake_MxD, k_pr: int = 3, k_dc: int = 5, chunk: int = 1024) -> dict:
  """{'precision', 'recall', 'density', 'coverage'} as floats (module docstring)."""
  real, fake = jnp.asarray(real_NxD, jnp.float32), jnp.asarray(fake_MxD, jnp.float32)
  if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
    raise ValueError(f"features must be N x D and M x D, got {real.shape} and {fake.shape}")
  if min(len(real), len(fake)) <= max(k_pr, k_dc):
    raise ValueError(f"k-th neighbours (k_pr={k_pr}, k_dc={k_dc}) need more than k features"
                     f" per set, got {len(real)} real and {len(fake)} fake")
  centre = real.mean(0)
  real, fake = real - centre, fake - centre
  real_pr, real_dc = _kth_neighbour_sq(real, (k_pr, k_dc), min(chunk, len(real)))
  (fake_pr,) = _kth_neighbour_sq(fake, (k_pr,), min(chunk, len(fake)))
  fake_in_real, fake_count, real_in_fake, covered = jax.device_get(
      _cross(real, fake, real_pr, real_dc, fake_pr, min(chunk, len(real))))
  return {"precision": float(fake_in_real.mean()), "recall": float(real_in_fake.mean()),
          "density": float(np.mean(fake_count, dtype=np.float64) / k_dc),
          "coverage": float(covered.mean())}
