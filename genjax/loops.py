"""`scan`: `jax.lax.scan`, or the same loop unrolled into straight-line code.

XLA:CPU computes convolution weight gradients several times slower inside a loop body
(jax-ml/jax#12868: WGAN-GP's five critic updates of a conv critic ran 4x slower as a scan
than unrolled), so one-iteration scans (one critic step, one train step per call) run their
body directly, and short loops the caller asks to unroll (`unroll_up_to`) are unrolled.
"""
import jax
import jax.numpy as jnp


def scan(f, carry, xs=None, length=None, unroll_up_to: int = 1):
  """Like `jax.lax.scan(f, carry, xs, length)`; outputs keep their leading axis. Loops of at
  most `unroll_up_to` iterations are unrolled (one copy of `f` per iteration: faster on
  CPU for conv bodies, longer to compile)."""
  n = length if xs is None else jax.tree.leaves(xs)[0].shape[0]
  if not 1 <= n <= max(unroll_up_to, 1):  # Zero iterations stay a scan, as before.
    return jax.lax.scan(f, carry, xs, length=length)
  ys = []
  for i in range(n):
    carry, y = f(carry, None if xs is None else jax.tree.map(lambda x, i=i: x[i], xs))
    ys.append(y)
  return carry, jax.tree.map(lambda *parts: jnp.stack(parts), *ys)
