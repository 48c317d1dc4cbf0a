"""What the mains do with a finished or running workdir (opened with `genjax.run`): sample
it and evaluate it with its (or other) evaluators. Starting a run from another's networks
(`config.init_from`) is the families' (`genjax.families.init_from`).
"""
import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import evaluators as evaluators_lib
from genjax import latent_prior
from genjax import seeds as seeds_lib
from genjax import run as run_lib
from genjax.errors import GenjaxError


def sample(workdir: str, num: int, seed: int, label: int = -1, seed_index: int = 0,
           temperature: float = 1.0, prior: str = latent_prior.STANDARD) -> np.ndarray:
  """`num` samples (NxHxWxC float32 in the training value range, Nx2 points, or int32 token
  rows NxT of a sequence model: `genjax.run.read_data_info(workdir).vocab` decodes them) from the
  latest checkpoint (its replica `seed_index` when trained with num_seeds > 1); `label` >= 0
  asks a conditional model for that class; `temperature` is a sequence model's; `prior`
  'gmm<K>' decodes draws of a mixture fitted to the encoded training set (the same mixture
  for every `seed`: `genjax.latent_prior`)."""
  if num <= 0:
    raise GenjaxError(f"--num={num} must be positive")
  run = run_lib.open_run(workdir)
  config, family = run.config, run.family
  seeds_lib.check_index(seed_index, config, "--seed_index")  # Before the slower restore.
  if "sample" not in family.predict:
    raise GenjaxError(f"the {family.name!r} model in {workdir!r} cannot sample")
  fitted = latent_prior.check(family, prior) > 0  # Refused before the slower restore.
  state = run.restore(seed_index)
  sample_fn = family.predict["sample"]
  if label >= 0:
    if not family.num_classes:
      raise GenjaxError(f"--label={label}: the model in {workdir!r} is not class-conditional")
    if label >= family.num_classes:
      raise GenjaxError(f"--label={label}: valid classes are 0..{family.num_classes - 1}")
    sample_fn = functools.partial(sample_fn, labels=jnp.full((num,), label, jnp.int32))
  if fitted:  # Classes uniform, or all `label`.
    labels = jnp.full((num,), label, jnp.int32) if label >= 0 else None
    sample_fn = latent_prior.sampler(family, state, config.data, prior)
    return np.asarray(sample_fn(state, jax.random.PRNGKey(seed), num, labels), np.float32)
  if family.data_info.is_sequence:
    sample_fn = functools.partial(sample_fn, temperature=float(temperature))
  images = np.asarray(jax.jit(sample_fn, static_argnums=2)(state, jax.random.PRNGKey(seed), num))
  return images if family.data_info.is_sequence else images.astype(np.float32)


def set_eval_field(config, item: str) -> None:
  """Applies `--set=evals.NAME.FIELD=VALUE`: an evaluator's option or its every_steps (0 turns
  on one that training ran without), typed as its value or default."""
  key, _, value = item.partition("=")
  parts = key.split(".")
  evals = config.get("evals", {})
  if len(parts) != 3 or parts[0] != "evals" or parts[1] not in evals:
    raise GenjaxError(f"--set={item!r}: only evaluator options can be set, as"
                      f" evals.NAME.FIELD=VALUE with NAME in {tuple(evals)}")
  name, field = parts[1], parts[2]
  if field == "type":
    raise GenjaxError(f"--set={item!r}: an evaluator's type cannot be changed; run another"
                      " config's evaluators with --evals_from=FILE")
  evaluators_lib.options_of(name, {**evals[name], field: None})  # Refuses an unknown field.
  default = evals[name].get(field, evaluators_lib.default_of(evals[name], field))
  try:
    evals[name][field] = type(default)(value)
  except ValueError:
    raise GenjaxError(f"--set={item!r}: {field} takes a {type(default).__name__}") from None


def add_evaluators(config, specs=(), overrides=()) -> None:
  """Adds to `config.evals` an evaluator per `--add_eval=NAME=TYPE` of `specs` (every option at
  its type's default, run every eval_every steps), then applies `overrides`
  (`--set=evals.NAME.FIELD=VALUE`, as `set_eval_field`), in place."""
  with config.unlocked():
    if "evals" not in config:
      config.evals = ml_collections.ConfigDict()
    for spec in specs:
      name, _, kind = spec.partition("=")
      if not name.isidentifier() or kind not in evaluators_lib.TYPES:
        raise GenjaxError(f"--add_eval={spec!r}: give NAME=TYPE, NAME a Python identifier,"
                          f" TYPE one of {tuple(evaluators_lib.TYPES)}")
      if name in config.evals:
        raise GenjaxError(f"--add_eval={spec!r}: the config already has evals.{name}; set its"
                          f" options with --set=evals.{name}.FIELD=VALUE or pick another name")
      config.evals[name] = ml_collections.ConfigDict(dict(type=kind, every_steps=0))
    for item in overrides:
      set_eval_field(config, item)


def eval_config(workdir: str, overrides=(), evals=None, only=(), added=()):
  """The run's config with the evaluators an evaluation runs: its `config.evals` (or `evals`
  instead; `only`: those of these names), those `added` ('NAME=TYPE'), the `overrides`
  ('evals.NAME.FIELD=value') set."""
  config = run_lib.read_config(workdir)[0]
  if evals is not None:
    config.evals = ml_collections.ConfigDict(evals)
  if only:
    unknown = [name for name in only if name not in config.evals]
    if unknown:
      raise GenjaxError(f"--evals_only={','.join(only)}: no evaluator {', '.join(unknown)};"
                        f" valid are {', '.join(config.evals) or '(none)'}")
    config.evals = ml_collections.ConfigDict({k: config.evals[k].to_dict() for k in only})
  add_evaluators(config, added, overrides)
  return config


def evaluate(workdir: str, overrides=(), evals=None, only=(), config=None):
  """(step, metrics) of the latest checkpoint of `workdir` under `eval_config(workdir,
  overrides, evals, only)` (or `config`, one it returned); with num_seeds > 1 the metrics are
  the replicas' mean, `<name>_std` spreads, and 'replicas': the list of per-replica metrics;
  'provenance' says what each evaluator's numbers depend on, where it says."""
  if config is None:
    config = eval_config(workdir, overrides, evals, only)
  run = run_lib.open_run(workdir, config=config)
  evaluators = evaluators_lib.build(config, run.family)
  state = run.restore(None)
  _, eval_data = run.eval_set()
  per_replica = seeds_lib.evaluate(lambda s, x: evaluators_lib.run(evaluators, s, x), state,
                                  eval_data, config)
  metrics = seeds_lib.summarize(per_replica)
  if config.num_seeds > 1:
    metrics["replicas"] = per_replica
  about = {e.name: e.about for e in evaluators if e.about}
  if about:
    metrics["provenance"] = about
  return seeds_lib.step(state, config), metrics
