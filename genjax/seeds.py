"""Many seeds in one program: `config.num_seeds = S` replicas of the train state.

With S > 1 every leaf of the state gains a leading axis of size S; replica i starts from
seed `config.seed + i` and the train step is `jax.vmap`ped over it (the data arrays are
shared), so replica i follows the same path as a single run with that seed. Metrics are
reported as the mean over replicas plus a `<name>_std` spread.
"""
import jax
import jax.numpy as jnp
import numpy as np

from genjax.errors import GenjaxError


def check(config) -> None:
  if not isinstance(config.num_seeds, int) or config.num_seeds <= 0:
    raise GenjaxError(f"num_seeds={config.num_seeds!r} must be a positive integer")


def init(family, config):
  """The initial state: one replica (num_seeds = 1) or S stacked along axis 0."""
  if config.num_seeds == 1:
    return family.init_state(config.seed)
  return jax.vmap(family.init_state)(config.seed + jnp.arange(config.num_seeds))


def vmap_step(step_fn, config):
  """`step_fn(state, *shared)` mapped over the replica axis of `state` (shared args unmapped)."""
  if config.num_seeds == 1:
    return step_fn
  return lambda state, *shared: jax.vmap(step_fn, in_axes=(0,) + (None,) * len(shared))(
      state, *shared)


def check_index(index: int, config, name: str = "seed index") -> None:
  if not 0 <= index < config.num_seeds:
    raise GenjaxError(f"{name}={index} is out of range: this run has num_seeds="
                      f"{config.num_seeds} (valid 0..{config.num_seeds - 1})")


def select(state, index: int, config):
  """Replica `index` of a stacked state (the state itself when num_seeds = 1)."""
  check_index(index, config)
  if config.num_seeds == 1:
    return state
  return jax.tree.map(lambda leaf: leaf[index], state)


def step(state, config) -> int:
  """The number of train steps taken (the same for every replica)."""
  return int(state.step if config.num_seeds == 1 else state.step[0])


def summarize(per_replica: list) -> dict:
  """[{name: float}] over replicas -> {name: mean, name_std: std} (one replica: as is)."""
  if len(per_replica) == 1:
    return dict(per_replica[0])
  summary = {}
  for name in per_replica[0]:
    values = np.asarray([r[name] for r in per_replica], np.float64)
    with np.errstate(invalid="ignore"):  # An infinite metric (e.g. KL) has a NaN spread.
      summary[name], summary[f"{name}_std"] = float(values.mean()), float(values.std())
  return summary


def unstack(metrics: dict, config) -> list:
  """{name: float[S]} (or scalars when S = 1) -> one {name: float} per replica."""
  if config.num_seeds == 1:
    return [{k: float(v) for k, v in metrics.items()}]
  return [{k: float(v[i]) for k, v in metrics.items()} for i in range(config.num_seeds)]


def evaluate(evaluate_fn, state, eval_data, config) -> list:
  """`evaluate_fn(state of replica i, eval_data)` of every replica: a list of S metric dicts."""
  return [evaluate_fn(select(state, i, config), eval_data) for i in range(config.num_seeds)]
