"""`scan`: `jax.lax.scan` without a loop when there is a single iteration.

XLA:CPU computes convolution weight gradients several times slower inside a loop body
(jax-ml/jax#12868), so one-iteration scans (one critic step, one train step per call) run
their body directly.
"""
import jax


def scan(f, carry, xs=None, length=None):
  """Like `jax.lax.scan(f, carry, xs, length)`; outputs keep their leading axis."""
  n = length if xs is None else jax.tree.leaves(xs)[0].shape[0]
  if n != 1:
    return jax.lax.scan(f, carry, xs, length=length)
  carry, ys = f(carry, None if xs is None else jax.tree.map(lambda x: x[0], xs))
  return carry, jax.tree.map(lambda y: y[None], ys)
