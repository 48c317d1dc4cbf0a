"""Model families: `FAMILIES[config.model.name](config, data_info) -> Family`.

The one registry. A new family is a module with a `build(config, data_info)` that returns a
`contract.Family`, one line here, and a config; the contract tests (tests/test_contract.py)
then run over it.
"""
from genjax.errors import GenjaxError
from genjax.families import classifier
from genjax.families import gan
from genjax.families import seq_vae
from genjax.families import vae
from genjax.families import vaegan
from genjax.families.contract import DataInfo, Family, NetState, State

FAMILIES = {
    "vae": vae.build,
    "gan": gan.build,
    "vaegan": vaegan.build,
    "classifier": classifier.build,
    "seq_vae": seq_vae.build,
}


def build(config, data_info: DataInfo) -> Family:
  """The family `config.model.name` names, for data described by `data_info`."""
  name = config.model.name
  if name not in FAMILIES:
    raise GenjaxError(f"unknown model.name={name!r}: valid are {tuple(FAMILIES)}")
  return FAMILIES[name](config, data_info)
