"""The mode-collapse remedies study (genjax/applications/remedies.py, experiments.remedies)."""
import json
import os

import pytest

from genjax import families
from genjax.applications import remedies
from genjax.errors import GenjaxError
from tests.conftest import assert_one_line_error, run_main, tiny_dcgan_sn, tiny_gan

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.


def test_each_remedy_changes_exactly_its_fields():
  base = tiny_gan()
  base.model.generator.noise_injection = 0.0  # The ring before the noise (docs/images.md).
  for name, overrides in remedies.VARIANTS.items():
    config = remedies.variant_config(base, name, 3)
    assert config.num_seeds == 3
    for path, value in overrides.items():
      *sections, field = path.split(".")
      node = config
      for section in sections:
        node = node[section]
      assert node[field] == value, (name, path)
    changed = {k for k in ("loss", "model") if config[k] != base[k]}
    assert bool(changed) == bool(overrides), name
  assert base.num_seeds == 1 and base.model.discriminator.pack == 1  # The base is untouched.


def test_the_gp_remedy_takes_batch_norm_out_of_a_dcgan_critic_and_says_so():
  """A gradient penalty through batch statistics is refused (genjax.families.gan.check): on a
  DCGAN D with batch norm, `gp` trains WGAN-GP's critic, without it, and the report says so;
  an MLP D (no batch norm whatever the flag) and the other remedies keep the flag as given."""
  base = tiny_dcgan_sn()
  assert base.model.discriminator.net == "dcgan" and base.model.discriminator.batch_norm
  config = remedies.variant_config(base, "gp", 1)
  assert config.loss.gan.penalties.gp == 10.0 and not config.model.discriminator.batch_norm
  families.gan.check(config)
  assert remedies.variant_config(base, "pack2", 1).model.discriminator.batch_norm
  (note,) = remedies.variant_notes(base, "gp")
  assert note.startswith("gp: model.discriminator.batch_norm=False"), note
  assert not remedies.variant_notes(base, "pack2")
  ring = remedies.variant_config(tiny_gan(), "gp", 1)
  assert ring.model.discriminator.batch_norm and not remedies.variant_notes(tiny_gan(), "gp")
  stat = {"mean": 1.0, "std": 0.0}
  report = {"summary": {"gp": {"fid": stat, "classes_covered": stat,
                               "class_entropy": stat, "seconds": 1.0}},
            "rows": [], "notes": [note]}
  table = remedies.markdown(report).splitlines()
  assert table[2].startswith("| gp |") and table[-1] == note


def test_unknown_remedies_are_refused_with_the_valid_ones():
  with pytest.raises(GenjaxError, match=r"variants='pack2,pack3': valid are .*'pack4'"):
    remedies.parse_variants("pack2,pack3")


def test_the_study_trains_every_remedy_on_every_seed_and_scores_each(tmp_path):
  config = tiny_gan()
  config.num_steps = config.eval_every = config.checkpoint_every = 10
  config.steps_per_call = 10
  report = remedies.run(config, str(tmp_path), 2, ("baseline", "pack2"), log=lambda _: None)
  assert [(r["variant"], r["seed"]) for r in report["rows"]] == [
      ("baseline", 0), ("baseline", 1), ("pack2", 0), ("pack2", 1)]
  for r in report["rows"]:
    assert 0 <= r["modes"] <= 8 and 0 <= r["high_quality"] <= 1
  with open(tmp_path / "pack2" / "config.json") as f:
    saved = json.load(f)
  assert saved["model"]["discriminator"]["pack"] == 2 and saved["num_seeds"] == 2
  with open(tmp_path / "pack2" / "train_seconds.json") as f:
    trained = json.load(f)["seconds"]
  assert trained > 0 and report["summary"]["pack2"]["seconds"] == trained
  again = remedies.run(config, str(tmp_path), 2, ("pack2",), log=lambda _: None)
  assert again["summary"]["pack2"]["seconds"] == trained  # Reused: its training time, kept.
  table = remedies.markdown(report).splitlines()
  assert table[0].startswith("| remedy | modes (EMA) |") and len(table) == 4
  assert table[3].startswith("| pack2 |") and report["notes"] == []


def test_the_main_refuses_a_bad_variant_in_one_line(tmp_path):
  result = run_main("experiments.remedies", f"--workdir={tmp_path}/study", "--variants=nope")
  assert_one_line_error(result, "variants='nope': valid are")
  assert not os.path.exists(tmp_path / "study")
