"""The `moses` evaluator (genjax/evaluators/moses.py): its numbers against hand counts and
against moses.all_metrics on the same SMILES, the reference statistics computed once, the
SMILES data source's splits it reads, its one-line refusals, and a tiny seq_vae run through
experiments.main and experiments.evaluate.

Needs RDKit (the `molecules` extra); the FCD test also ChemNet's weights (the `weights`
fixture of tests/test_moses.py: fcd_torch's wheel converted by torch), else it skips.
"""
import json
import os
import shutil
import sys
import warnings
import zipfile

import jax.numpy as jnp
import ml_collections
import pytest

from genjax import evaluators
from genjax.applications import curves
from genjax import families
from genjax.data import smiles as smiles_lib
from genjax.errors import GenjaxError
from genjax.families.contract import DataInfo, Family
from tests.conftest import MOSES_TINY, run_main, tiny, tiny_seq_vae

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

pytest.importorskip("rdkit", reason="the MOSES metrics need RDKit: pip install -e '.[molecules]'")
from genjax.metrics import moses  # pylint: disable=g-import-not-at-top  (needs rdkit's skip)
from tests.test_moses import weights  # pylint: disable=g-import-not-at-top,unused-import  (fixture)

INVALID = ["xyz", "C1CC", "", "c1cccc1", "[Zz]"]


def _canonical_as_given(smiles_list, num):
  """The first `num` SMILES that are their own canonical form (so that novelty by hand, which
  compares canonical SMILES with the training file as given, is plain set arithmetic)."""
  chosen = [s for s in smiles_list if moses.canonical(s) == s][:num]
  assert len(chosen) == num
  return chosen


@pytest.fixture(scope="module")
def data(tmp_path_factory):
  """(a data folder: tests/data/moses_tiny plus a `test_scaffolds` split of the test file's
  last 100 molecules; its train, test and test_scaffolds SMILES)."""
  folder = tmp_path_factory.mktemp("moses_tiny")
  for name in ("train.csv", "test.csv"):
    shutil.copy(os.path.join(MOSES_TINY, name), folder / name)
  test = smiles_lib.read_smiles(str(folder / "test.csv"))
  (folder / "test_scaffolds.csv").write_text("SMILES\n" + "\n".join(test[100:]) + "\n")
  train = smiles_lib.read_smiles(str(folder / "train.csv"))
  return str(folder), train, test, test[100:]


@pytest.fixture(scope="module")
def generated(data):
  """40 SMILES: 20 training molecules, 10 test molecules absent from training, the first 5
  training ones again, 5 invalid strings. By hand: valid 35/40, unique 30/35, novelty 10/30."""
  _, train, test, _ = data
  seen = _canonical_as_given(train, 20)
  in_train = set(train)
  novel = _canonical_as_given([s for s in test if s not in in_train], 10)
  return seen + novel + seen[:5] + INVALID


def stand_in(smiles_list, name="stand_in"):
  """A family whose `sample` draws row i = i (jittable) and whose `smiles` maps row i to
  smiles_list[i]: the evaluator scores exactly `smiles_list`."""
  sample = lambda state, key, num: jnp.arange(num)[:, None]
  decode = lambda tokens_Nx1: [smiles_list[int(i)] for i in tokens_Nx1[:, 0]]
  return Family(name, None, None, {"sample": sample, "smiles": decode}, 1, DataInfo((1,)))


def config_for(path, **options):
  config = tiny_seq_vae()
  config.data.path = path
  options = {"type": "moses", "every_steps": 0, "num_reference": 50, **options}
  config.evals = ml_collections.ConfigDict({"moses": options})
  return config


def build_one(family, config):
  (evaluator,) = evaluators.build(config, family)
  return evaluator


def test_valid_unique_novelty_are_the_hand_counts(data, generated, tmp_path):
  evaluator = build_one(stand_in(generated), config_for(
      data[0], metrics="valid,unique,novelty", num_samples=40, cache_dir=str(tmp_path)))
  assert evaluator.run(None, None) == {"valid": 35 / 40, "unique": 30 / 35,
                                       "Novelty": 10 / 30}
  assert os.listdir(tmp_path) == []   # No reference statistics asked: none made.


@pytest.fixture(scope="module")
def answer(data, generated, weights):  # pylint: disable=redefined-outer-name
  """moses.all_metrics of `generated` against 50 drawn of test and test_scaffolds, with
  'unique@40' (all 40) named 'unique' as the evaluator names it."""
  _, train, test, test_sf = data
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")   # unique@40 of only 35 valid molecules.
    metrics = moses.all_metrics(generated, train, smiles_lib.subset(test, 50),  # Drawn, not heads.
                                smiles_lib.subset(test_sf, 50), k=40,
                                chemnet_path=weights[0], cache_dir=None)
  metrics["unique"] = metrics.pop("unique@40")
  return metrics


def test_every_metric_equals_all_metrics_and_references_are_described_once(
    data, generated, answer, weights, tmp_path, monkeypatch):  # pylint: disable=redefined-outer-name
  described = []
  describe = moses._describe_reference  # pylint: disable=protected-access
  monkeypatch.setattr(moses, "_describe_reference",
                      lambda s, **kw: described.append(s) or describe(s, **kw))
  config = config_for(data[0], metrics="all", num_samples=40, chemnet=weights[0],
                      cache_dir=str(tmp_path / "cache"))
  evaluator = build_one(stand_in(generated), config)
  got = evaluator.run(None, None)
  assert len(described) == 100   # The first 50 of test and of test_scaffolds.
  assert evaluator.run(None, None) == got and len(described) == 100   # Kept in memory...
  assert build_one(stand_in(generated), config).run(None, None) == got
  assert len(described) == 100 and len(os.listdir(tmp_path / "cache")) == 2   # ...and on disk.
  assert sorted(got) == sorted(f"{k}" for k in answer)
  for name, value in answer.items():
    assert got[f"{name}"] == pytest.approx(value, rel=1e-6, abs=1e-9), name
  assert got["valid"] == 35 / 40 and got["unique"] == 30 / 35
  assert got["FCD/Test"] > 0 and 0 < got["SNN/TestSF"] < 1
  assert evaluator.about["chemnet"].startswith("sha256=")


def test_a_metric_subset_needs_no_chemnet_and_equals_all_metrics(data, generated, answer,
                                                                 tmp_path):
  config = config_for(data[0], metrics="snn,scaf,intdiv", num_samples=40,
                      chemnet=str(tmp_path / "none.msgpack"), cache_dir="")
  got = build_one(stand_in(generated), config).run(None, None)
  names = ["SNN/Test", "Scaf/Test", "SNN/TestSF", "Scaf/TestSF", "IntDiv", "IntDiv2"]
  assert list(got) == [f"{name}" for name in names]
  for name in names:
    assert got[f"{name}"] == pytest.approx(answer[name], rel=1e-6, abs=1e-9), name


def test_temperature_reaches_the_sample_and_no_valid_sample_gives_nan(data):
  temperatures = []

  def sample(state, key, num, temperature=1.0):
    temperatures.append(temperature)
    return jnp.zeros((num, 1), jnp.int32)

  family = Family("seq", None, None, {"sample": sample, "smiles": lambda t: ["xyz"] * len(t)},
                  1, DataInfo((1,)))
  got = build_one(family, config_for(data[0], metrics="valid,unique", num_samples=8,
                                     temperature=0.5)).run(None, None)
  assert temperatures == [0.5]   # Traced once, at the option's temperature.
  assert got["valid"] == 0 and got["unique"] != got["unique"]   # NaN.


def test_split_smiles_reads_folders_one_file_and_the_wheel(data, tmp_path):
  folder, train, test, test_sf = data
  config = config_for(folder)
  assert smiles_lib.split_names(folder) == ["test", "test_scaffolds", "train"]
  assert smiles_lib.split_smiles(config.data, "train") == train   # Whole: not max_train...
  assert smiles_lib.split_smiles(config.data, "eval") == test     # ...nor num_eval.
  assert smiles_lib.split_smiles(config.data, "test_scaffolds") == test_sf
  one_file = tmp_path / "mols.smi"
  one_file.write_text("CCO a\nCCN b\nCCC c\n")
  config.data.update(path=str(one_file), num_eval=1)
  assert smiles_lib.split_names(str(one_file)) == []
  assert smiles_lib.split_smiles(config.data, "train") == ["CCO", "CCN"]
  assert smiles_lib.split_smiles(config.data, "eval") == ["CCC"]
  with pytest.raises(GenjaxError, match="is one SMILES file: it has no split 'test_scaffolds'"):
    smiles_lib.split_smiles(config.data, "test_scaffolds")
  wheel = str(tmp_path / "molsets-0.3.1-py3-none-any.whl")
  with zipfile.ZipFile(wheel, "w") as z:
    z.write(os.path.join(folder, "test_scaffolds.csv"), f"{smiles_lib.WHEEL_DIR}/test_scaffolds.csv")
  config.data.path = wheel
  assert smiles_lib.split_names(wheel) == ["test_scaffolds"]
  assert smiles_lib.split_smiles(config.data, "test_scaffolds") == test_sf


def _refusal(family, config):
  with pytest.raises(GenjaxError) as e:
    evaluators.build(config, family)
  message = str(e.value)
  assert "\n" not in message and message.startswith("evals.moses"), message
  return message


@pytest.mark.parametrize("options, fragment", [
    (dict(metrics="valid,fid"), "metrics='valid,fid': valid are comma-separated"),
    (dict(metrics=""), "metrics='': valid are"),
    (dict(num_samples=0), "num_samples=0 must be a positive integer"),
    (dict(batch_size=2.5), "batch_size=2.5 must be a positive integer"),
    (dict(n_jobs=0), "n_jobs=0 must be a positive integer"),
    (dict(num_reference=-1), "num_reference=-1 must be an integer >= 0"),
    (dict(temperature=-0.5), "temperature=-0.5 must be a number >= 0"),
    (dict(temperature="hot"), "temperature='hot' must be a number >= 0"),
    (dict(metrics="snn", scaffold_split="scaffolds"),
     "scaffold_split='scaffolds': data.path="),
    (dict(metrics="valid", scaffold_split=3), "scaffold_split=3 must be a string"),
    (dict(nope=1), "evals.moses.nope is not an option of type 'moses'"),
])
def test_bad_options_are_one_line(data, options, fragment):
  assert fragment in _refusal(stand_in(["CCO"]), config_for(data[0], **options))


def test_refusals_name_what_is_missing(data, tmp_path, monkeypatch):
  # The tiny data has no test_scaffolds split; one SMILES file has no splits at all.
  message = _refusal(stand_in(["CCO"]), config_for(MOSES_TINY, metrics="snn"))
  assert "holds the splits ['test', 'train']" in message and "scaffold_split=''" in message
  one_file = os.path.join(MOSES_TINY, "train.csv")
  assert "is one SMILES file, without splits" in _refusal(
      stand_in(["CCO"]), config_for(one_file, metrics="frag"))
  build_one(stand_in(["CCO"]), config_for(MOSES_TINY, metrics="snn", scaffold_split=""))
  build_one(stand_in(["CCO"]), config_for(one_file, metrics="valid"))  # No reference: no split.
  # FCD without ChemNet's weights says how to make them.
  message = _refusal(stand_in(["CCO"]), config_for(
      data[0], metrics="fcd", chemnet=str(tmp_path / "none.msgpack")))
  assert "needs ChemNet" in message and "experiments.convert_chemnet" in message
  # An image VAE has no `smiles`.
  vae_config = tiny()
  vae = families.build(vae_config, DataInfo((8, 8, 1)))
  message = _refusal(vae, config_for(data[0]))
  assert "needs the predict functions ('sample', 'smiles')" in message and "'vae'" in message
  # A sample without a temperature, asked for one.
  no_temperature = stand_in(["CCO"])
  assert "takes no temperature" in _refusal(no_temperature, config_for(
      data[0], metrics="valid", temperature=0.7))
  # Without RDKit.
  monkeypatch.setitem(sys.modules, "rdkit", None)
  moses._tools.cache_clear()  # pylint: disable=protected-access
  try:
    assert "pip install -e '.[molecules]'" in _refusal(stand_in(["CCO"]),
                                                       config_for(data[0], metrics="valid"))
  finally:
    monkeypatch.undo()
    moses._tools.cache_clear()  # pylint: disable=protected-access


def _scalars(workdir):
  """{tag: [(step, value)]} of a run's TensorBoard event files."""
  return {tag: [(step, value) for step, _, value in points]
          for tag, points in curves.read_events(workdir)[1].items()}


def test_a_tiny_seq_vae_run_logs_moses_metrics_and_evaluate_repeats_them(tmp_path):
  workdir = str(tmp_path / "run")
  moses_flags = [f"--config.evals.moses.{k}={v}" for k, v in dict(
      metrics="valid,unique,novelty", num_samples=20, scaffold_split="").items()]
  result = run_main(
      "experiments.main", "--config=configs/seq_vae_moses_cpu.py", f"--workdir={workdir}",
      f"--config.data.path={MOSES_TINY}", "--config.data.num_eval=50",
      "--config.num_steps=10", "--config.steps_per_call=5", "--config.batch_size=16",
      "--config.log_every=10", "--config.eval_every=10", "--config.checkpoint_every=10",
      "--config.model.latent_dim=4", "--config.model.encoder.hidden=8",
      "--config.model.decoder.hidden=16", *moses_flags)
  assert result.returncode == 0, result.stderr[-3000:]
  scalars = _scalars(workdir)
  assert [step for step, _ in scalars["eval/moses/valid"]] == [10]
  assert {"eval/moses/unique", "eval/moses/Novelty"} <= set(scalars)
  out = str(tmp_path / "eval.json")
  result = run_main("experiments.evaluate", f"--workdir={workdir}", f"--out={out}")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.load(open(out))
  assert metrics["step"] == 10
  assert metrics["eval/moses/valid"] == pytest.approx(scalars["eval/moses/valid"][0][1])
  assert metrics["provenance"]["moses"]["num_samples"] == 20
