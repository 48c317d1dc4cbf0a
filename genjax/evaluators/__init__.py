"""Evaluators chosen by config, as big_vision does: `config.evals` maps a name to a section
`{type, every_steps, <options>}` (every_steps 0: config.eval_every; negative: off). Each type
is one module here with

  NEEDS: the predict functions (see `genjax.families.contract`) it calls (or, where they
         depend on its options, `needs(options) -> tuple`);
  OPTIONS: its options and their defaults;
  make(family, config, options) -> fn(state, eval_data) -> {metric: float}

where eval_data is the eval split, {'image': NxHxWxC in the training value range, 'label':
int32[N] when labelled}, sequences' {'tokens', 'length'}, or None (2-D mixtures).

An evaluator meets a family only through its predict functions; a family that lacks one is
refused with a one-line error. Metrics are logged as `eval/<evaluator name>/<metric>` (the
name is the key in `config.evals`, so two evaluators of one type never collide).
"""
from typing import Callable, NamedTuple

from genjax.errors import GenjaxError
from genjax.evaluators import accuracy
from genjax.evaluators import features
from genjax.evaluators import modes
from genjax.evaluators import moses
from genjax.evaluators import nll
from genjax.evaluators import superres

TYPES = {"nll": nll, "modes": modes, "accuracy": accuracy, "features": features,
         "moses": moses, "superres": superres}
RESERVED = ("type", "every_steps")


class Evaluator(NamedTuple):
  name: str
  every_steps: int
  run: Callable  # (state of one replica, eval_data or None) -> {metric: float}
  about: dict = {}  # What its numbers depend on (feature network, sample count, ...).

  def due(self, step: int, final: bool) -> bool:
    return final or step % self.every_steps == 0


def default_of(section, field: str):
  """What `field` of an evals section is when unset: every_steps 0 (config.eval_every), an
  option its type's default."""
  return 0 if field == "every_steps" else TYPES[section["type"]].OPTIONS[field]


def options_of(name: str, section) -> dict:
  """The section's options over its type's defaults; unknown ones are refused."""
  kind = TYPES[section["type"]]
  options = {k: v for k, v in section.items() if k not in RESERVED}
  unknown = sorted(set(options) - set(kind.OPTIONS))
  if unknown:
    raise GenjaxError(f"evals.{name}.{unknown[0]} is not an option of type {section['type']!r}:"
                      f" valid are {RESERVED + tuple(kind.OPTIONS)}")
  return {**kind.OPTIONS, **options}


def build(config, family) -> list:
  """The evaluators of `config.evals` for `family` (checked before anything runs)."""
  evaluators = []
  for name, section in config.get("evals", {}).items():
    every = section.get("every_steps", default_of(section, "every_steps"))
    if every < 0:
      continue  # Turned off (e.g. --config.evals.modes.every_steps=-1).
    kind_name = section.get("type", "")
    if kind_name not in TYPES:
      raise GenjaxError(f"evals.{name}.type={kind_name!r}: valid are {tuple(TYPES)}")
    kind = TYPES[kind_name]
    options = options_of(name, section)
    needs = kind.needs(options) if hasattr(kind, "needs") else kind.NEEDS
    missing = [p for p in needs if p not in family.predict]
    if missing:
      raise GenjaxError(f"evals.{name} (type {kind_name!r}) needs the predict functions"
                        f" {needs}, which family {family.name!r} lacks ({', '.join(missing)});"
                        f" it has {tuple(family.predict)}")
    every = every or config.eval_every
    if not isinstance(every, int) or every < 0 or every % config.steps_per_call:
      raise GenjaxError(f"evals.{name}.every_steps={every!r} must be a multiple of"
                        f" steps_per_call={config.steps_per_call} (0: eval_every, -1: off)")
    try:
      run_fn = kind.make(family, config, options)
    except GenjaxError as e:
      raise GenjaxError(f"evals.{name}: {e}") from None
    evaluators.append(Evaluator(name, every, run_fn, getattr(run_fn, "about", {})))
  return evaluators


def run(evaluators, state, eval_data) -> dict:
  """{'eval/<evaluator name>/<metric>': value} of every evaluator on one replica's state."""
  results = {}
  for evaluator in evaluators:
    results.update({f"eval/{evaluator.name}/{k}": v
                    for k, v in evaluator.run(state, eval_data).items()})
  return results


def of_evaluator(results: dict, name: str) -> dict:
  """{metric: value} of evaluator `name` in `results` (as `run` returns them)."""
  prefix = f"eval/{name}/"
  return {k[len(prefix):]: v for k, v in results.items() if k.startswith(prefix)}
