"""Pieces every family's step uses: running a module in the compute dtype, updating a
network from its gradients (averaged over pmap devices, at the train step's learning rate),
EMA of variables, and the run settings they read (`Runtime`).

A forked step that calls these keeps bf16 casts, pmap averaging and device-count-independent
random draws without re-implementing them.
"""
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp

from genjax import optim
from genjax import parallel
from genjax import precision
from genjax.families.contract import NetState


class Runtime(NamedTuple):
  """`dtype`: compute dtype of networks; `axis`: pmap's axis name (None under jit)."""
  dtype: Any = jnp.float32
  axis: Optional[str] = None

  @classmethod
  def of(cls, config) -> "Runtime":
    return cls(precision.compute_dtype(config), parallel.axis_name(config))

  def draw(self, sampler, key, shape, batch_axis: int = 0, **kwargs):
    """A random draw for a batch, the same per example on 1 or N devices."""
    return parallel.batch_draw(sampler, key, shape, self.axis, batch_axis, **kwargs)

  def mean(self, tree):
    """Mean over pmap devices (identity under jit)."""
    return parallel.pmean(tree, self.axis)

  def outside(self) -> "Runtime":
    """The same compute dtype without the pmap axis: for predict functions, which run
    outside the train step."""
    return Runtime(self.dtype)


def run(module, rt: Runtime, variables, *args, mutable=False, method=None, **kwargs):
  """`module.apply(variables, *args)` in the compute dtype (outputs float32); with
  `mutable` (a list of collection names) returns (output, updated collections)."""
  if method is not None:
    kwargs["method"] = method
  return precision.apply(module, rt.dtype, variables, *args, mutable=mutable, **kwargs)


def init_net(module, key, opt: optim.Optimizer, *args, **kwargs) -> NetState:
  """A NetState for `module` initialised on example inputs (collections kept float32)."""
  variables = precision.cast(module.init(key, *args, **kwargs), jnp.float32)
  params = variables["params"]
  rest = {k: v for k, v in variables.items() if k != "params"}
  return NetState(params, opt.tx.init(params), rest)


def apply_gradients(net: NetState, opt: optim.Optimizer, grads, step, rt: Runtime,
                    collections=None) -> NetState:
  """`net` after one update with `grads` (averaged over devices first) at the learning rate
  of train step `step`; `collections` replaces its mutable collections when given."""
  grads = rt.mean(grads)
  params, opt_state = optim.update(opt, grads, net.opt_state, net.params, step)
  return NetState(params, opt_state, net.collections if collections is None else collections)


def ema_update(ema, variables, decay: float):
  """decay * ema + (1 - decay) * variables, leaf by leaf (float leaves only)."""
  def mix(e, v):
    if not jnp.issubdtype(v.dtype, jnp.floating):
      return v
    return decay * e + (1.0 - decay) * v
  return jax.tree.map(mix, ema, variables)


def keep_if(flag, new, old):
  """`new` where `flag` (a traced bool) holds, else `old`, leaf by leaf: an update that a
  step may skip (VAE-GAN balancing, skipped non-finite steps)."""
  return jax.tree.map(lambda a, b: jnp.where(flag, a, b), new, old)


def copy(tree):
  """A distinct buffer of every leaf (the state is donated to the train call)."""
  return jax.tree.map(jnp.copy, tree)
