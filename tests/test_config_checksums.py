"""Every shipped config trains two steps to recorded parameters: a change of the code that
moves any bit of any network fails here (the figures in the docs stay valid while it passes).

Each config runs as shipped except what keeps the check short: 2 steps of batch 8 (one step
per call, a checkpoint at the end), no evaluators, 4-sample pictures, no `init_from` (it
names other runs' workdirs), no super-resolution feature loss (it reads another run's
classifier; tests/test_superres.py checks that term by hand) and, for SMILES, 2,000 training
molecules. The recorded values
(tests/data/config_checksums.json) hold for the jax and flax versions they name; after a
dependency update that moves them, re-record with `python -m tests.test_config_checksums`
and say so in the commit.
"""
import glob
import importlib
import json
import os
import sys

import jax
import flax
import pytest

from genjax import train
from tests.test_contract import checksum

ROOT = os.path.join(os.path.dirname(__file__), "..")
RECORDED = os.path.join(os.path.dirname(__file__), "data", "config_checksums.json")
CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs", "*.py"))
                 if "__init__" not in p)
VERSIONS = {"jax": jax.__version__, "flax": flax.__version__}


def short_run(name: str):
  """The shipped config `name`, cut down to a two-step run (see the module docstring)."""
  config = importlib.import_module(f"configs.{name}").get_config()
  config.update(num_steps=2, batch_size=8, steps_per_call=1, log_every=1, eval_every=2,
                checkpoint_every=2, init_from="")
  config.eval.num_samples_png = 4
  for evaluator in config.get("evals", {}).values():
    evaluator.every_steps = -1
  if config.data.name == "smiles":
    config.data.max_train = 2000
  if config.model.name == "superres":
    config.loss.superres.update(feature_weight=0.0, feature_path="")
  return config


def checksums(name: str, workdir: str) -> dict:
  """{net/params, net/opt_state, ema/net: checksum} after the two steps of `name`."""
  state = train.train_and_evaluate(short_run(name), workdir)
  assert int(state.step) == 2
  out = {}
  for net_name, net in sorted(state.nets.items()):
    out[f"{net_name}/params"] = checksum(net.params)
    out[f"{net_name}/opt_state"] = checksum(net.opt_state)
  for net_name, variables in sorted(state.ema.items()):
    out[f"ema/{net_name}"] = checksum(variables)
  return out


def recorded() -> dict:
  with open(RECORDED) as f:
    return json.load(f)


def test_every_shipped_config_has_recorded_values_for_these_versions():
  saved = recorded()
  assert saved["versions"] == VERSIONS, (
      f"recorded with {saved['versions']}, running {VERSIONS}: re-record (module docstring)")
  assert sorted(saved["configs"]) == CONFIGS


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_two_steps_of_every_shipped_config_end_on_the_recorded_bits(name, tmp_path, monkeypatch):
  monkeypatch.chdir(ROOT)  # Data paths are relative to the repository root.
  expected = recorded()["configs"][name]
  got = checksums(name, str(tmp_path / name))
  assert sorted(got) == sorted(expected)
  for key, value in expected.items():
    assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), (name, key)


if __name__ == "__main__":
  import tempfile
  os.chdir(ROOT)
  names = sys.argv[1:] or CONFIGS
  out = recorded() if os.path.exists(RECORDED) and sys.argv[1:] else {"configs": {}}
  out["versions"] = VERSIONS
  with tempfile.TemporaryDirectory() as tmp:
    for config_name in names:
      out["configs"][config_name] = checksums(config_name, os.path.join(tmp, config_name))
      print(config_name, out["configs"][config_name], flush=True)
  with open(RECORDED, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
