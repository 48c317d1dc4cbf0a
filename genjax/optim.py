"""Optimizers from an optimizer config: Adam(W) with optional warmup, cosine decay and
clipping, whose learning rate is a function of the *train step*, passed in explicitly.

A step may update a network several times (a GAN's n_critic discriminator updates) or skip
an update; the schedule still reads the train step, never the optimizer's own update count,
so every network reaches its final rate at `num_steps` (see `update`).
"""
from typing import Callable, NamedTuple

import jax
import ml_collections
import optax

from genjax import schema

SCHEDULES = ("constant", "cosine")


class Optimizer(NamedTuple):
  """`tx`: the update direction (clipping, Adam, decoupled weight decay) without the rate;
  `learning_rate`: train step (int or traced int32) -> rate."""
  tx: optax.GradientTransformation
  learning_rate: Callable


def schedule(cfg, num_steps: int, peak: float) -> Callable:
  if cfg.schedule == "cosine":
    return optax.warmup_cosine_decay_schedule(0.0, peak, cfg.warmup_steps,
                                              max(num_steps, cfg.warmup_steps + 1),
                                              end_value=peak * cfg.final_lr_fraction)
  if cfg.warmup_steps:
    return optax.linear_schedule(0.0, peak, cfg.warmup_steps)
  return lambda step: peak


def settings(optim_config, net: str = "") -> ml_collections.ConfigDict:
  """Network `net`'s optimizer fields: `optim_config`'s shared ones, overridden by the fields
  its section `optim_config.<net>` sets (not None)."""
  own = optim_config.get(net) or {} if net else {}
  return ml_collections.ConfigDict(
      {f: optim_config[f] if own.get(f) is None else own[f] for f in schema.OPTIM_FIELDS})


def problems(optim_config, nets=("",)) -> list:
  """One line per bad optimizer value, for each network's resolved settings."""
  found = []
  for net in nets:
    cfg, own = settings(optim_config, net), (optim_config.get(net) or {}) if net else {}
    where = lambda f: f"optim.{net}.{f}" if own.get(f) is not None else f"optim.{f}"
    if not cfg.learning_rate > 0:
      found.append(f"{where('learning_rate')}={cfg.learning_rate} must be positive")
    if cfg.schedule not in SCHEDULES:
      found.append(f"{where('schedule')}={cfg.schedule!r}: valid are {SCHEDULES}")
  return sorted(set(found), key=found.index)


def make(optim_config, num_steps: int, net: str = "") -> Optimizer:
  """The optimizer of network `net` (see `settings`); the shared one for net=''."""
  schema.raise_if(problems(optim_config, (net,)))
  cfg = settings(optim_config, net)
  chain = [optax.clip_by_global_norm(cfg.grad_clip_norm)] if cfg.grad_clip_norm > 0 else []
  chain.append(optax.scale_by_adam(b1=cfg.b1, b2=cfg.b2))
  if cfg.weight_decay:
    chain.append(optax.add_decayed_weights(cfg.weight_decay))
  return Optimizer(optax.chain(*chain), schedule(cfg, num_steps, cfg.learning_rate))


def update(opt: Optimizer, grads, opt_state, params, step):
  """(new params, new optimizer state): one update at the rate of train step `step`."""
  direction, opt_state = opt.tx.update(grads, opt_state, params)
  rate = opt.learning_rate(step)
  return jax.tree.map(lambda p, d: p - rate * d, params, direction), opt_state
