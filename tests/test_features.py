"""The `features` evaluator: sample metrics in a feature network's space, reference features
cached on disk, refusals. A stand-in extractor (downsampled pixels) keeps these fast; the real
networks have their own tests (test_inception.py, test_classifier.py)."""
import os

import jax
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import evaluators
from genjax import families
from genjax.errors import GenjaxError
from genjax.evaluators import extractors
from genjax.evaluators import features
from genjax.families import DataInfo
from tests.conftest import tiny


def _pixels(path, batch_size):
  """Features: the image's 4x4 average pools; 'probs': a softmax of 10 of them."""
  def fn(x):
    x = np.asarray(x)
    pooled = x.reshape(len(x), 4, x.shape[1] // 4, 4, x.shape[2] // 4, -1).mean((2, 4, 5))
    flat = pooled.reshape(len(x), -1)
    logits = 20 * flat[:, :10]
    probs = np.exp(logits - logits.max(1, keepdims=True))
    return {"features": flat, "probs": probs / probs.sum(1, keepdims=True)}
  return extractors.Extractor(fn, (8, 8, 1), "pixels:test", probs=True)


@pytest.fixture
def pixels(monkeypatch):
  monkeypatch.setitem(extractors.EXTRACTORS, "pixels", _pixels)


def _evaluator(config, family, **options):
  config.evals = {"q": dict(type="features", **{"extractor": "pixels", **options})}
  (evaluator,) = evaluators.build(config, family)
  return evaluator


def test_compare_is_zero_for_a_set_against_itself_and_grows_with_a_shift():
  rng = np.random.default_rng(0)
  real = {"features": rng.normal(size=(400, 8)), "probs": np.eye(10)[np.arange(400) % 10]}
  same = features.compare(real, real, features.METRICS, jax.random.PRNGKey(0), 20, 100)
  assert abs(same["fid"]) < 1e-6
  assert same["precision"] == same["recall"] == same["coverage"] == 1.0
  assert same["score"] == pytest.approx(10, rel=0.05) and same["classes_covered"] == 10
  shifted = {"features": real["features"] + 2.0, "probs": np.eye(10)[np.zeros(400, int)]}
  worse = features.compare(real, shifted, features.METRICS, jax.random.PRNGKey(0), 20, 100)
  assert worse["fid"] == pytest.approx(8 * 4.0, rel=0.1)  # ||mu1 - mu2||^2, equal covariances.
  assert worse["kid"] > 10 * worse["kid_std"] and worse["precision"] < 0.2
  assert abs(same["kid"]) < 0.05 * worse["kid"]
  assert worse["score"] == pytest.approx(1.0) and worse["classes_covered"] == 1


def test_the_evaluator_scores_samples_and_computes_the_reference_once(pixels, tmp_path,
                                                                       monkeypatch):
  config = tiny()
  family = families.build(config, DataInfo((8, 8, 1), 10))
  loads = []
  monkeypatch.setattr(data_lib, "load", lambda cfg, *a, _load=data_lib.load, **k: (
      loads.append(1), _load(cfg, *a, **k))[1])
  evaluator = _evaluator(config, family, metrics="fid,kid,pr,dc,score,classes", num_samples=64,
                         batch_size=32, kid_subsets=10, kid_subset_size=50,
                         cache_dir=str(tmp_path / "cache"))
  assert evaluator.about["extractor"] == "pixels:test" and evaluator.about["num_samples"] == 64
  state = family.init_state(0)
  first = evaluator.run(state, None)
  assert set(first) == {k for k in ("fid", "kid", "kid_std", "precision", "recall",
                                                 "density", "coverage", "score", "score_std",
                                                 "class_entropy", "classes_covered")}
  assert first["fid"] > 0 and np.isfinite(list(first.values())).all()
  assert evaluator.run(state, None) == first  # Fixed sample key: the same samples.
  assert len(loads) == 1 and len(os.listdir(tmp_path / "cache")) == 1
  calls = []
  monkeypatch.setitem(extractors.EXTRACTORS, "pixels", lambda path, batch: _pixels(
      path, batch)._replace(fn=lambda x: (calls.append(len(x)), _pixels(path, batch).fn(x))[1]))
  again = _evaluator(config, family, metrics="fid", num_samples=64, batch_size=32,
                     cache_dir=str(tmp_path / "cache"))
  assert again.run(state, None)["fid"] == pytest.approx(first["fid"])
  assert calls == [64]  # The samples only: the reference features came from the disk cache.


def test_the_reference_cache_is_keyed_by_the_images_not_their_file_path(tmp_path):
  """A data file replaced at the same path gets the new images' features, not those cached
  for the old file; the same images again come from the cache (no extractor call)."""
  rng = np.random.RandomState(0)
  data_config = tiny().data
  data_config.update(name="npz", path=str(tmp_path / "data.npz"), num_eval=10)
  calls = []
  pixels = _pixels("", 10)
  extractor = pixels._replace(fn=lambda x: (calls.append(len(x)), pixels.fn(x))[1])
  reference = lambda: features.reference_features(extractor, data_config, "eval", 0,
                                                  str(tmp_path / "cache"))
  for seed in (0, 1):
    images = np.random.RandomState(seed).randint(0, 256, (30, 8, 8), np.uint8)
    np.savez(data_config.path, images=images)
    got = reference()
    want = pixels.fn(images[-10:, :, :, None].astype(np.float32) / 255)["features"]
    np.testing.assert_allclose(got["features"], want, rtol=1e-6)
  assert calls == [10, 10]
  np.testing.assert_allclose(reference()["features"], want, rtol=1e-6)
  assert calls == [10, 10] and len(os.listdir(tmp_path / "cache")) == 2


def test_the_kid_subsets_are_drawn_with_a_key_no_sample_batch_uses(pixels, tmp_path,
                                                                     monkeypatch):
  """The samples' batches and KID's random subsets draw from distinct keys: a KID subset
  key equal to a batch's sample key would tie the subsets to those samples' noise."""
  from genjax.metrics import kid  # pylint: disable=g-import-not-at-top
  config = tiny()
  family = families.build(config, DataInfo((8, 8, 1), 10))
  sample_keys, kid_keys = [], []

  def sample(state, key, num, labels=None):
    jax.debug.callback(lambda k: sample_keys.append(np.asarray(k)), key)
    return family.predict["sample"](state, key, num)
  kid_fn = kid.kid
  monkeypatch.setattr(kid, "kid", lambda real, fake, key, *a: (
      kid_keys.append(np.asarray(key)), kid_fn(real, fake, key, *a))[1])
  evaluator = _evaluator(config, family._replace(predict={**family.predict, "sample": sample}),
                         metrics="kid", num_samples=96, batch_size=32, kid_subsets=4,
                         kid_subset_size=20, cache_dir=str(tmp_path))
  evaluator.run(family.init_state(0), None)
  assert len(sample_keys) == 3 and len(kid_keys) == 1
  assert len({k.tobytes() for k in sample_keys + kid_keys}) == 4


def test_real_images_score_better_than_an_untrained_model(pixels, tmp_path):
  """The metric is read against the reference: real eval images as 'samples' are close."""
  config = tiny()
  family = families.build(config, DataInfo((8, 8, 1), 10))
  dataset = data_lib.load(config.data)
  real_train = np.asarray(dataset.train_images[:300])
  fake = family._replace(predict={"sample": lambda state, key, num: jax.numpy.asarray(
      real_train)[jax.random.randint(key, (num,), 0, 300)]})
  untrained = _evaluator(config, family, num_samples=300, batch_size=100,
                         cache_dir=str(tmp_path)).run(family.init_state(0), None)
  real = _evaluator(config, fake, num_samples=300, batch_size=100,
                    cache_dir=str(tmp_path)).run(None, None)
  assert real["fid"] < 0.2 * untrained["fid"]
  assert real["kid"] < 0.2 * untrained["kid"]


@pytest.mark.parametrize("options,match", [
    (dict(metrics="fid,ssim"), "metrics='fid,ssim': valid are"),
    (dict(reference="test"), "reference='test': valid are"),
    (dict(num_samples=0), "num_samples=0 must be a positive integer"),
    (dict(extractor="vgg"), "extractor='vgg': valid are"),
])
def test_bad_options_are_one_line_errors_naming_the_evaluator(pixels, options, match):
  config = tiny()
  family = families.build(config, DataInfo((8, 8, 1), 10))
  with pytest.raises(GenjaxError, match=f"evals.q: .*{match}"):
    _evaluator(config, family, **options)


def test_shape_mismatch_and_inception_scores_are_refused(pixels, monkeypatch):
  config = tiny()
  family = families.build(config, DataInfo((8, 8, 1), 10))
  with pytest.raises(GenjaxError, match=r"takes images of shape \(8, 8, 1\), these are"
                                        r" \(16, 16, 1\)"):
    features.features_of(_pixels("", 1), np.zeros((2, 16, 16, 1), np.float32))
  monkeypatch.setitem(extractors.EXTRACTORS, "inception",
                      lambda path, batch: _pixels(path, batch)._replace(probs=False))
  with pytest.raises(GenjaxError, match="'score' and 'classes' need class probabilities"):
    _evaluator(config, family, extractor="inception", metrics="fid,score")


def test_reconstructions_are_scored_against_the_reference_with_class_agreement(pixels, tmp_path):
  config = tiny()
  config.data.dynamic_binarization = False
  family = families.build(config, DataInfo((8, 8, 1), 10))
  identity = family._replace(predict={**family.predict, "reconstruct": lambda state, x: x})
  dataset = data_lib.load(config.data)
  eval_data = {"image": np.asarray(dataset.eval_images[:100], np.float32),
               "label": np.asarray(dataset.eval_labels[:100])}
  evaluator = _evaluator(config, identity, source="reconstructions", metrics="fid,classes",
                         num_samples=100, batch_size=32, cache_dir=str(tmp_path))
  result = evaluator.run(family.init_state(0), eval_data)
  by_hand = np.mean(_pixels("", 0).fn(eval_data["image"])["probs"].argmax(1) == eval_data["label"])
  assert result["class_agreement"] == pytest.approx(by_hand)
  untrained = _evaluator(config, family, source="reconstructions", metrics="fid",
                         num_samples=100, batch_size=32, cache_dir=str(tmp_path))
  worse = untrained.run(family.init_state(0), eval_data)
  assert result["fid"] < 0.2 * worse["fid"]


@pytest.mark.slow
def test_the_torch_reference_dcgan_writes_snapshots_of_samples_in_the_unit_range(tmp_path):
  pytest.importorskip("torch")
  from tests.conftest import MNIST_IMAGES, run_main  # pylint: disable=g-import-not-at-top
  if not os.path.exists(MNIST_IMAGES):
    pytest.skip("needs ../shared/data/mnist10k")
  result = run_main("experiments.torch_dcgan", f"--out={tmp_path}", "--epochs=1",
                    "--num_train=128", "--num=10", "--snapshot_every_s=1000")
  assert result.returncode == 0, result.stderr[-2000:]
  files = sorted(os.listdir(tmp_path))
  assert len(files) == 1 and files[0].startswith("samples_"), files
  x = np.load(tmp_path / files[0])
  assert x.shape == (10, 28, 28, 1) and x.min() >= 0 and x.max() <= 1 and x.std() > 0


@pytest.mark.slow
def test_the_torch_reference_dcgan_learns(tmp_path):
  """The reference DCGAN (experiments.torch_dcgan's) on 128 digits (8x8 scaled to 24x24,
  padded to 28x28), 6 epochs of 2 steps: D's loss, logged per epoch, falls to under half its first value and well under
  2 ln 2, the loss of a D that cannot tell real from fake."""
  pytest.importorskip("torch")
  from experiments import torch_reference  # pylint: disable=g-import-not-at-top
  digits = np.asarray(data_lib.load(tiny().data).train_images[:128])
  images = np.pad(np.kron(digits, np.ones((1, 3, 3, 1))), ((0, 0), (2, 2), (2, 2), (0, 0)))
  lines = []
  torch_reference.train(images, str(tmp_path), epochs=6, num=4, snapshot_every_s=1e9,
                        log=lines.append)
  d_loss = [float(line.split("d_loss ")[1].split()[0]) for line in lines]
  assert len(d_loss) == 6 and d_loss[-1] < 0.5 * d_loss[0] and d_loss[-1] < 0.7, lines


@pytest.mark.slow
def test_metric_baselines_refuse_sample_files_of_the_wrong_shape(tmp_path):
  from tests.conftest import assert_one_line_error, run_main  # pylint: disable=g-import-not-at-top
  np.save(tmp_path / "s.npy", np.zeros((5, 28, 28, 1), np.float32))
  result = run_main("experiments.metric_baselines", "--config=configs/default.py",
                    f"--samples={tmp_path}/s.npy", "--num=5", "--nobaselines")
  assert_one_line_error(result, "s.npy' holds images of shape (5, 28, 28, 1)", "(8, 8, 1)")
  result = run_main("experiments.torch_dcgan", "--config=configs/dcgan_digits.py",
                    f"--out={tmp_path}/t")
  assert_one_line_error(result, "sized for 28x28x1 images", "(8, 8, 1)")
