"""Model families: `FAMILIES[config.model.name](config, data_info) -> Family`.

The one registry. A new family is a module with a `build(config, data_info)` that returns a
`contract.Family` and a `spec_of(config)` (usually `schema.derive` of its default config in
genjax/defaults/), one line here, and a config; `build` checks every config's fields against
its family's spec, and the contract tests (tests/test_contract.py) then run over it.

A forked train step needs no registration: `config.model.train_step='module.function'`
names a function `(setup, state, batch, rng) -> (state, metrics)` importable from the Python
path; it replaces the family's own step and receives the family's `Setup`.
"""
import functools
import importlib
import sys

from genjax import schema
from genjax.errors import GenjaxError
from genjax.families import classifier
from genjax.families import gan
from genjax.families import seq_vae
from genjax.families import superres
from genjax.families import vae
from genjax.families import vaegan
from genjax.families.contract import DataInfo, Family, NetState, State

FAMILIES = {
    "vae": vae.build,
    "gan": gan.build,
    "vaegan": vaegan.build,
    "classifier": classifier.build,
    "seq_vae": seq_vae.build,
    "superres": superres.build,
}



def build(config, data_info: DataInfo) -> Family:
  """The family `config.model.name` names, for data described by `data_info`."""
  name = config.model.name
  if name not in FAMILIES:
    raise GenjaxError(f"unknown model.name={name!r}: valid are {tuple(FAMILIES)}")
  check_fields(config)
  family = FAMILIES[name](config, data_info)
  fork = config.model.get("train_step", "")
  if fork:
    family = family._replace(train_step=functools.partial(load_step(fork, name), family.setup))
  return family


def default_config(name: str):
  """The default config of family `name` (genjax/defaults/<family>.py), or None."""
  if name not in FAMILIES:
    return None
  defaults = getattr(sys.modules[FAMILIES[name].__module__], "defaults", None)
  return defaults.get_config() if defaults is not None else None


def check_fields(config) -> None:
  """Refuses every unknown, missing or misplaced field of `config` at once, one line each,
  against the spec its family's module derives from its default config (`spec_of`)."""
  module = sys.modules[FAMILIES[config.model.name].__module__]
  if hasattr(module, "spec_of"):  # (A family registered without a default config: none.)
    schema.check(config, module.spec_of(config))


def require(family: Family, needs, where: str, purpose: str = "") -> None:
  """Refuses, in one line, a family without every predict function of `needs`: `where` holds
  the model (e.g. "workdir 'DIR'"), `purpose` says what the caller does with them."""
  missing = [name for name in needs if name not in family.predict]
  if missing:
    reason = "; ".join(family.why_not[n] for n in missing if n in family.why_not) or (
        f"it provides {', '.join(family.predict)}")
    purpose = f" ({purpose})" if purpose else ""
    raise GenjaxError(f"{where} holds a {family.name!r} model without {', '.join(missing)}"
                      f"{purpose}: {reason}")


def load_step(spec: str, family: str):
  """The function `spec` ('module.function') names; a one-line error if there is none."""
  module_name, _, attr = spec.rpartition(".")
  valid = ("give 'module.function', a function (setup, state, batch, rng) -> (state, metrics)"
           " of a module on the Python path")
  try:
    fn = getattr(importlib.import_module(module_name), attr, None) if module_name else None
  except ImportError as e:
    raise GenjaxError(f"model.train_step={spec!r}: cannot import {module_name!r} ({e}): {valid}"
                      ) from None
  if not callable(fn):
    raise GenjaxError(f"model.train_step={spec!r} names no function: {valid}")
  return fn
