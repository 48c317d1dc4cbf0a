"""Optimizers from `config.optim`: Adam(W) with optional warmup, cosine decay and clipping."""
import optax

from genjax.errors import GenjaxError

SCHEDULES = ("constant", "cosine")


def make(optim_config, num_steps: int) -> optax.GradientTransformation:
  cfg = optim_config
  if cfg.learning_rate <= 0:
    raise GenjaxError(f"optim.learning_rate={cfg.learning_rate} must be positive")
  if cfg.schedule not in SCHEDULES:
    raise GenjaxError(f"optim.schedule={cfg.schedule!r}: valid are {SCHEDULES}")
  if cfg.schedule == "cosine":
    lr = optax.warmup_cosine_decay_schedule(0.0, cfg.learning_rate, cfg.warmup_steps,
                                            max(num_steps, cfg.warmup_steps + 1),
                                            end_value=cfg.learning_rate * cfg.final_lr_fraction)
  elif cfg.warmup_steps:
    lr = optax.linear_schedule(0.0, cfg.learning_rate, cfg.warmup_steps)
  else:
    lr = cfg.learning_rate
  chain = [optax.clip_by_global_norm(cfg.grad_clip_norm)] if cfg.grad_clip_norm > 0 else []
  chain.append(optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay))
  return optax.chain(*chain)
