"""The config schema: each family's spec is derived from its default config (one listing of
the fields), with the exceptions its module names; every family's fields are checked by
`families.build`."""
import ml_collections
import pytest

from genjax import families
from genjax import schema
from genjax.errors import GenjaxError
from tests.conftest import CONTRACT_CASES


def test_derive_reads_the_fields_of_a_default_config():
  default = ml_collections.ConfigDict(dict(
      seed=0, evals={}, model=dict(name="x", train_step="", net=dict(width=4)),
      loss=dict(x=dict(beta=1.0, weights=dict(a=0.0))), optim=dict(lr=1.0)))
  default.optim.net = schema.net_optim()
  spec = schema.derive(default, open_sections=["loss.x.weights"], maybe=["loss.x.beta"])
  assert spec["seed"] == schema.LEAF and spec["evals"] == schema.OPEN
  assert spec["model"] == {"name": schema.LEAF, "train_step": schema.MAYBE,
                           "net": {"width": schema.LEAF}}
  assert spec["loss"]["x"] == {"beta": schema.MAYBE, "weights": schema.OPEN}
  assert isinstance(spec["optim"]["net"], schema.Optional)  # Overrides: any of their fields.
  assert set(spec["optim"]["net"].values()) == {schema.MAYBE}
  assert not schema.problems(default, spec)
  del default.loss.x.beta, default.model.train_step, default.optim.net
  default.loss.x.weights.b = 1.0
  assert not schema.problems(default, spec)  # What older configs may lack, an open section.
  del default.model.net.width
  assert schema.problems(default, spec) == [
      "config lacks the field model.net.width (genjax/defaults/<family>.py lists every field)"]


@pytest.mark.parametrize("name", sorted(families.FAMILIES))
def test_a_field_added_to_a_family_default_is_all_its_configs_need(name, monkeypatch):
  """The spec has no second listing: a new field of the default config is accepted, and a
  config without it refused, by `families.build` itself (whatever the family's own checks)."""
  config = CONTRACT_CASES[name]()
  module = families.FAMILIES[name].__module__
  defaults = __import__(module, fromlist=["defaults"]).defaults
  original = defaults.get_config

  def with_new_field():
    default = original()
    default.model.new_field = 3
    return default

  monkeypatch.setattr(defaults, "get_config", with_new_field)
  with pytest.raises(GenjaxError, match="config lacks the field model.new_field"):
    families.check_fields(config)
  config.model.new_field = 7
  families.check_fields(config)
  config.model.other_field = 1
  with pytest.raises(GenjaxError, match="unknown config field model.other_field"):
    families.build(config, None)  # Refused before the family builds anything.
