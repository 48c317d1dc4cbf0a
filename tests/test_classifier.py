"""The evaluation suite's classifier: a CI-sized run through experiments.train_classifier
reaches its accuracy, the accuracy evaluator is the by-hand computation, unlabelled data and
other families are refused in one line, and a workdir serves features and probabilities.
(The family contract, device counts and bf16 are in test_contract.py / test_parallel.py.)"""
import json
import os
import re
import subprocess
import sys

import ml_collections
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import evaluators
from genjax import families
from genjax import run as run_lib
from genjax import train
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.families import DataInfo, Family
from tests.conftest import tiny_classifier

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# configs/classifier_digits.py cut to 800 steps of 64 (~36 epochs, ~17 s with start-up):
# 0.9944, 0.9917, 0.9889 eval accuracy on the 360 held-out digits with seeds 0, 1, 2 (the full
# 2,200 steps: 0.9889, 0.9972, 0.9972).
CI_STEPS = ["--config.num_steps=800", "--config.eval_every=800", "--config.checkpoint_every=800",
            "--config.log_every=200", "--config.optim.warmup_steps=20"]
CI_ACCURACY = 0.98


def run_main(*args):
  return subprocess.run([sys.executable, "-m", "experiments.train_classifier", *args], cwd=ROOT,
                        capture_output=True, text=True, timeout=600,
                        env={**os.environ, "JAX_PLATFORMS": "cpu"})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """(workdir, the main's stdout) of the CI-sized digits run."""
  workdir = str(tmp_path_factory.mktemp("classifier") / "run")
  result = run_main("--config=configs/classifier_digits.py", f"--workdir={workdir}", *CI_STEPS)
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result.stdout


def test_a_ci_sized_run_reaches_its_accuracy(trained):
  _, stdout = trained
  match = re.search(r"eval/accuracy/accuracy (\S+) \(xent (\S+) nats\) at step 800", stdout)
  assert match, stdout
  assert float(match.group(1)) >= CI_ACCURACY, stdout


def test_the_workdir_serves_features_and_probabilities(trained):
  workdir, stdout = trained
  fn, info = run_lib.classifier(workdir, batch_size=100)
  assert info.image_shape == (8, 8, 1) and info.num_classes == 10 and info.feature_dim == 128
  assert info.step == 800 and re.fullmatch(r"[0-9a-f]{64}", info.weights_sha256)
  config = ml_collections.ConfigDict(json.load(open(os.path.join(workdir, "config.json"))))
  dataset = data_lib.load(config.data)
  x, labels = dataset.eval_images[:250], dataset.eval_labels[:250]  # Three batches, one short.
  out = fn(x)
  assert out["features"].shape == (250, 128) and out["features"].dtype == np.float32
  assert out["probs"].shape == (250, 10) and out["probs"].dtype == np.float32
  np.testing.assert_allclose(out["probs"].sum(-1), 1.0, rtol=1e-5)
  assert np.mean(out["probs"].argmax(-1) == labels) >= CI_ACCURACY - 0.03
  again, _ = run_lib.classifier(workdir, batch_size=7)  # Batching does not change the outputs.
  np.testing.assert_allclose(again(x)["probs"], out["probs"], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(again(x[:3])["features"], out["features"][:3], rtol=1e-5, atol=1e-5)
  with pytest.raises(GenjaxError, match=r"takes images of shape \[N, 8, 8, 1\], got \(4, 8, 8\)"):
    fn(x[:4, ..., 0])
  with pytest.raises(GenjaxError, match=r"images in \[0, 1\], got values in \[-1"):
    fn(x * 2.0 - 1.0)


def test_the_loader_refuses_other_workdirs_in_one_line(tmp_path):
  with pytest.raises(GenjaxError, match=r"^workdir .* has no readable config.json[^\n]*$"):
    run_lib.classifier(str(tmp_path / "nothing"))
  vae = tmp_path / "vae"
  vae.mkdir()
  (vae / "config.json").write_text(json.dumps({"model": {"name": "vae"}}))
  (vae / "data_info.json").write_text(json.dumps({"image_shape": [8, 8, 1], "num_classes": 10}))
  with pytest.raises(GenjaxError, match=r"^workdir .* holds a 'vae' model, not a classifier:"
                                        r" train one with experiments.train_classifier$"):
    run_lib.classifier(str(vae))


def test_the_accuracy_evaluator_is_the_by_hand_computation(trained):
  workdir, _ = trained
  config, image_shape, num_classes = run_lib.read_config(workdir)
  config.evals.accuracy.batch_size = 100  # 360 eval digits: 3 full batches and one of 60.
  family = families.build(config, DataInfo(image_shape, num_classes))
  state = run_lib.restore_latest(family, config, workdir)
  eval_data = pipeline.eval_set(data_lib.load(config.data), config.seed, config.data)
  result = evaluators.run(evaluators.build(config, family), state, eval_data)
  logits = np.asarray(family.predict["logits"](state, eval_data["image"]), np.float64)
  labels = np.asarray(eval_data["label"])
  shifted = logits - logits.max(-1, keepdims=True)
  log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
  assert result["eval/accuracy/accuracy"] == np.mean(logits.argmax(-1) == labels)
  assert result["eval/accuracy/xent"] == pytest.approx(-np.mean(log_probs[np.arange(360), labels]),
                                              rel=1e-5)
  assert result["eval/accuracy/accuracy"] >= CI_ACCURACY  # A trained net: the argmax check is not vacuous.


def test_the_accuracy_evaluator_refuses_unlabelled_data():
  family = Family("unlabelled", None, None, {"logits": None}, 1, DataInfo((8, 8, 1), 0))
  config = tiny_classifier()
  with pytest.raises(GenjaxError, match=r"^evals.accuracy: evals type 'accuracy' needs labelled"
                                        r" eval data;"
                                        r" this data has no labels[^\n]*$"):
    evaluators.build(config, family)
  labelled = families.build(config, DataInfo((8, 8, 1), 10))
  (evaluator,) = evaluators.build(config, labelled)
  with pytest.raises(GenjaxError, match="the eval split has no labels"):
    evaluator.run(labelled.init_state(0), {"image": np.zeros((4, 8, 8, 1), np.float32)})


@pytest.mark.parametrize("data", ["ring8", "npz_without_labels"])
def test_unlabelled_data_is_refused_in_one_line(data, tmp_path):
  config = tiny_classifier()
  if data == "ring8":
    config.data.name = "ring8"
    message = r"a classifier needs labelled images; data.name='ring8' has no labels"
  else:
    path = str(tmp_path / "images.npz")
    np.savez(path, images=np.zeros((100, 8, 8), np.uint8))
    config.data.update(name="npz", path=path, num_eval=20)
    message = (r"a classifier needs labelled images; data.name='npz' has no labels \(npz: the"
               r" file needs a 'labels' array\)")
  with pytest.raises(GenjaxError) as error:
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert re.fullmatch(message, str(error.value))
  assert not os.path.exists(tmp_path / "run")


def test_other_value_ranges_and_binarization_are_refused_with_one_line_each():
  config = tiny_classifier()
  config.data.value_range, config.data.dynamic_binarization = "-1,1", True
  config.loss.classifier.augment_shift = 8
  with pytest.raises(GenjaxError) as error:
    families.build(config, DataInfo((8, 8, 1), 10))
  assert str(error.value).splitlines() == [
      "loss.classifier.augment_shift=8 must be smaller than the images (8x8)",
      "a classifier reads images in [0, 1]: set data.value_range='0,1', not '-1,1'",
      "a classifier trains on the images as they are: set data.dynamic_binarization=False"]


def test_train_classifier_refuses_another_family_in_one_line(tmp_path):
  result = run_main("--config=configs/default.py", f"--workdir={tmp_path / 'run'}")
  assert result.returncode == 2
  assert result.stderr.splitlines()[-1] == (
      "error: model.name='vae': experiments.train_classifier trains model.name='classifier'"
      " configs (configs/classifier_*.py); train other models with experiments.main")
  assert len([l for l in result.stderr.splitlines() if l.startswith("error:")]) == 1
  assert not os.path.exists(tmp_path / "run")


@pytest.mark.slow
def test_a_classifier_named_by_its_config_file_trains_on_first_use(tmp_path, monkeypatch):
  """An FCD evaluator whose classifier `path` is a config file: the classifier trains once,
  when the evaluator is built (before the model's first step), into the runs cache; the next
  build reuses it; an evaluator turned off needs nothing."""
  from genjax.evaluators import extractors  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv("GENJAX_CACHE", str(tmp_path / "cache"))
  clf_file = tmp_path / "tiny_clf.py"
  clf_file.write_text("from tests.conftest import tiny_classifier\n\ndef get_config():\n"
                      "  return tiny_classifier()\n")
  trained_in = []
  monkeypatch.setattr(train, "train_and_evaluate", lambda c, w, *a, _real=train.train_and_evaluate:
                      (trained_in.append(w), _real(c, w, *a))[1])
  first = extractors.load("classifier", str(clf_file))
  (workdir,) = trained_in
  assert workdir.startswith(str(tmp_path / "cache" / "runs" / "tiny_clf-"))
  assert first.probs and first.shape == (8, 8, 1) and workdir in first.id
  again = extractors.load("classifier", str(clf_file))
  assert trained_in == [workdir] and again.id == first.id  # Reused, not retrained.
  images = np.random.RandomState(0).uniform(size=(3, 8, 8, 1)).astype(np.float32)
  np.testing.assert_array_equal(first.fn(images)["probs"], again.fn(images)["probs"])
  config = tiny_classifier()
  config.evals = {"fcd": dict(type="features", extractor="classifier", every_steps=-1,
                              path=str(tmp_path / "never.py"))}
  assert not evaluators.build(config, families.build(config, DataInfo((8, 8, 1), 10)))
