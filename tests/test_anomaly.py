"""Anomaly detection: AUROC / average precision against scikit-learn, the held-out digit kept
out of every training batch, and experiments.anomaly end to end (files, reuse, errors)."""
import itertools
import json
import logging
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import metrics as sk_metrics

from genjax.applications import anomaly
from genjax import data as data_lib
from genjax import families
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from genjax.metrics import ranking
from tests.conftest import assert_one_line_error
from tests.conftest import run_main
from tests.conftest import TINY_FLAGS
from tests.conftest import tiny



def _run(*args):
  return run_main("experiments.anomaly", *args)


@pytest.mark.parametrize("scores,positive", [
    ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
    ([1, 1, 1, 2, 2, 0], [1, 0, 1, 1, 0, 0]),  # Ties within and across classes.
    ([3, 3, 3, 3], [1, 0, 0, 0]),  # All tied: chance.
    ([5, 4, 3, 2, 1], [1, 1, 0, 0, 0]),  # Perfect.
    ([5, 4, 3, 2, 1], [0, 0, 0, 1, 1]),  # Inverted.
])
def test_auroc_and_average_precision_equal_scikit_learn(scores, positive):
  positive = np.asarray(positive, bool)
  assert ranking.auroc(scores, positive) == pytest.approx(
      sk_metrics.roc_auc_score(positive, scores), abs=1e-12)
  assert ranking.average_precision(scores, positive) == pytest.approx(
      sk_metrics.average_precision_score(positive, scores), abs=1e-12)


def _stand_in_model(train_images01):
  """A model whose code is the image itself and whose NLL is its ink (the sum of its pixels):
  typical_knn's two parts then have closed forms."""
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  import ml_collections  # pylint: disable=g-import-not-at-top
  flat = lambda x: x.reshape(len(x), -1)
  predict = {"encode": lambda state, x: (flat(x), None),
             "iwae_nll": lambda state, x, key, k, chunk: jnp.sum(flat(x), -1)}
  data = ml_collections.ConfigDict(dict(dynamic_binarization=False, value_range="0,1"))
  return SimpleNamespace(family=SimpleNamespace(predict=predict), state=None,
                         dataset=SimpleNamespace(train_images=train_images01),
                         config=SimpleNamespace(seed=0, data=data))


def test_typical_knn_flags_far_codes_and_too_likely_images():
  """Training images: 2 pixels on (100 of them) or 3 (100), at random places of an 8x8 image,
  so the stand-in NLL (ink) has median 2.5 and interquartile range 1. A far code scores high;
  so does a blank image, whose NLL (0) is below every training image's though its code is
  as near the training codes as theirs are to each other; a training image's copy scores
  lowest. The likelihood alone would call the blank image the most normal of all."""
  rng = np.random.RandomState(0)
  train_01 = np.zeros((200, 8, 8, 1), np.float32)
  for ink in (2, 3):  # 100 distinct images of each.
    on = list(itertools.combinations(range(64), ink))
    for i, pick in enumerate(rng.choice(len(on), 100, replace=False)):
      train_01.reshape(200, 64)[100 * (ink - 2) + i, list(on[pick])] = 1.0
  m = _stand_in_model(train_01)
  blank, far, copy = np.zeros((1, 8, 8, 1)), 0.5 + np.ones((1, 8, 8, 1)), train_01[:1]
  x = np.concatenate([copy, blank, far]).astype(np.float32)
  key = jax.random.PRNGKey(0)
  knn, nll = anomaly._latent_knn(m, x, key), anomaly._iwae(m, x, key, 1)
  scores = anomaly._typical_knn(m, x, key, 1, {})
  knn_ref = anomaly._latent_knn(m, train_01, key, exclude_self=True)
  assert np.min(knn_ref) >= 1 - 1e-5  # Without the self-match: others, at least 1 pixel off.
  assert knn[0] < np.min(knn_ref)  # With it (a copy's own code counts) nearer than any.
  assert knn[1] == pytest.approx(np.sqrt(2), abs=1e-5) and knn[1] <= np.median(knn_ref)
  assert nll[1] == 0 and nll[1] < nll[0]
  q25, q50, q75 = np.percentile(knn_ref, [25, 50, 75])
  z_knn = (knn - q50) / (q75 - q25)
  # The closed form: z(knn) + max(0, -z(nll)), z in the training images' median and IQR.
  np.testing.assert_allclose(scores, z_knn + np.maximum(0, -(nll - 2.5) / 1.0), rtol=1e-5)
  assert scores[1] >= z_knn[1] + 2.5 - 1e-5 and scores[2] > 3 and scores[0] < min(scores[1:])


def test_ranking_metrics_refuse_one_class_labels():
  with pytest.raises(GenjaxError, match="both positives and negatives"):
    ranking.auroc([1.0, 2.0], [True, True])


def test_png_code_length_is_longer_for_noise_than_for_a_blank_image():
  blank, noise = np.zeros((8, 8, 1)), np.random.RandomState(0).rand(8, 8, 1)
  nats = anomaly.png_nats(np.stack([blank, noise]))
  assert 0 < nats[0] < nats[1]


def test_excluded_labels_leave_the_train_split_only():
  config = tiny()
  config.data.exclude_labels = "3,5"
  dataset = data_lib.load(config.data)
  assert not np.isin(dataset.train_labels, [3, 5]).any()
  assert np.isin(dataset.eval_labels, [3, 5]).any()  # The anomalies to score.
  for bad, message in (("11", "valid classes are 0..9"), ("x", "comma-separated")):
    config.data.exclude_labels = bad
    with pytest.raises(GenjaxError, match=message):
      data_lib.load(config.data)


@pytest.mark.slow
@pytest.mark.parametrize("excluded", ["3", ""])
def test_the_held_out_digit_never_reaches_a_train_step(tmp_path, monkeypatch, caplog, excluded):
  """A VAE whose train step reports how many 3s its batch held, trained through the loop:
  none with data.exclude_labels='3' (and some without, so the probe can see them)."""
  def build(config, data_info):
    family = families.FAMILIES["vae"](config, data_info)

    def train_step(state, batch, rng):
      new, metrics = family.train_step(state, batch, rng)
      return new, {**metrics, "threes": jnp.sum(batch["label"] == 3).astype(jnp.float32)}
    return family._replace(train_step=train_step)
  monkeypatch.setitem(families.FAMILIES, "vae_probe", build)
  config = tiny()
  config.model.name, config.data.exclude_labels = "vae_probe", excluded
  with caplog.at_level(logging.INFO):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  seen = [float(line.split(" threes ")[1].split()[0]) for line in caplog.text.splitlines()
          if " threes " in line]
  assert len(seen) == 2 and (sum(seen) == 0) == bool(excluded), seen


@pytest.fixture(scope="module")
def study(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("anomaly") / "vae"
  result = _run(*TINY_FLAGS, f"--workdir={workdir}", "--digits=3,7", "--seeds=2",
                "--iwae_samples=10")
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result


@pytest.mark.slow
def test_a_study_trains_one_run_per_digit_and_writes_its_table_and_figures(study):
  workdir, result = study
  for name in ("anomaly.json", "anomaly.md", "anomaly_auroc.png", "anomaly_histograms.png",
               "without_3/checkpoints/20", "without_7/checkpoints/20"):
    assert os.path.exists(workdir / name), name
  report = json.loads((workdir / "anomaly.json").read_text())
  assert report["digits"] == [3, 7] and report["seeds"] == 2
  assert {r["score"] for r in report["rows"]} == {"neg_elbo", "iwae", "complexity",
                                                  "reconstruction", "latent_knn",
                                                  "typical_knn"}
  for row in report["rows"]:
    assert all(0 <= a <= 1 for a in row["auroc"] + row["ap"])
    assert row["mean_auroc"] == pytest.approx(np.mean(row["auroc"]))
  normal = report["histograms"]["3"]["iwae"]["normal"]
  assert len(normal) + len(report["histograms"]["3"]["iwae"]["anomalous"]) == 360
  table = (workdir / "anomaly.md").read_text()
  assert "| published VAE | (baseline) | 0.940 | 0.770 |" in table and "| vae | iwae |" in table
  assert "wrote" in result.stdout
  # The two seeds are two replicas of one run per digit.
  assert json.loads((workdir / "without_3" / "config.json").read_text())["num_seeds"] == 2


@pytest.mark.slow
def test_a_rerun_reuses_the_trained_runs_and_studies_combine(study, tmp_path):
  workdir, _ = study
  before = sorted(os.listdir(workdir / "without_3" / "checkpoints"))
  result = _run(*TINY_FLAGS, f"--workdir={workdir}", "--digits=3,7", "--seeds=2",
                "--scores=reconstruction", f"--out={tmp_path / 'again'}")
  assert result.returncode == 0, result.stderr[-3000:]
  assert sorted(os.listdir(workdir / "without_3" / "checkpoints")) == before
  assert "step 10/20" not in result.stderr  # Nothing trained.
  again = json.loads((tmp_path / "again" / "anomaly.json").read_text())
  assert [r["score"] for r in again["rows"]] == ["reconstruction"]
  result = _run(f"--studies={workdir},{tmp_path / 'again'}", f"--out={tmp_path / 'both'}")
  assert result.returncode == 0, result.stderr[-3000:]
  both = json.loads((tmp_path / "both" / "anomaly.json").read_text())
  assert len(both["rows"]) == 7 and os.path.exists(tmp_path / "both" / "anomaly_auroc.png")


@pytest.mark.parametrize("flags,message", [
    (["--scores=disc"], "--scores disc: a 'vae' model does not provide them"),
    (["--scores=sharpness"], "unknown --scores sharpness: valid are neg_elbo"),
    (["--digits=3,12"], "--digits=3,12 must be distinct digits 0..9"),
])
@pytest.mark.slow
def test_bad_flags_are_one_line_errors_before_training(tmp_path, flags, message):
  result = _run(*TINY_FLAGS, f"--workdir={tmp_path / 'w'}", *flags)
  assert_one_line_error(result, f"error: {message}")
  assert not os.path.exists(tmp_path / "w" / "without_3")


def test_studies_without_a_report_and_conditional_models_are_refused(tmp_path):
  with pytest.raises(GenjaxError, match="has no readable anomaly.json"):
    anomaly.combine([str(tmp_path)], str(tmp_path / "out"))
  config = tiny()
  config.model.conditioning = "concat"
  family = families.build(config, families.DataInfo((8, 8, 1), 10))
  with pytest.raises(GenjaxError, match="class-conditional"):
    anomaly.check_scores(family, [])


@pytest.mark.slow
def test_a_workdir_written_before_exclude_labels_still_samples_and_resumes(tmp_path):
  config = tiny()
  config.num_steps = 10
  workdir = tmp_path / "run"
  train.train_and_evaluate(config, str(workdir))
  saved = json.loads((workdir / "config.json").read_text())
  del saved["data"]["exclude_labels"]  # As genjax wrote it before the field existed.
  (workdir / "config.json").write_text(json.dumps(saved))
  assert workdirs.sample(str(workdir), 2, seed=0).shape == (2, 8, 8, 1)
  config.num_steps = 20
  assert int(train.train_and_evaluate(config, str(workdir)).step) == 20


def _assert_blank_images_score_above_the_eval_digits(workdir, num_normal=100):
  """The trained model of `workdir` scores images at the top of the value range everywhere
  (white: ink on every pixel, far from any digit) above its eval digits, on every score it
  provides: AUROC of blank (anomalous) against normal >= 0.95."""
  from genjax.applications import common as apps  # pylint: disable=g-import-not-at-top
  m = apps.load(str(workdir))
  normal = np.asarray(m.eval_data["image"][:num_normal])
  x = np.concatenate([normal, np.full((20,) + normal.shape[1:], normal.max())]).astype(np.float32)
  anomalous = np.arange(len(x)) >= num_normal
  done = {}
  for name in anomaly.available(m.family):
    values = done[name] = anomaly.SCORES[name][1](m, x, jax.random.PRNGKey(0), 10, done)
    assert ranking.auroc(values, anomalous) >= 0.95, (workdir, name,
                                                      ranking.auroc(values, anomalous))
  return list(done)


@pytest.mark.slow
def test_a_vaegan_and_a_gan_study_score_with_their_discriminators(tmp_path):
  """In-process studies of one held-out digit: the VAE-GAN adds feature_error and disc to
  the encoder's scores, the GAN has disc only; every AUROC is a probability, and each
  trained model scores blank white images above the eval digits on every score."""
  from tests.conftest import tiny_dcgan_sn, tiny_vaegan  # pylint: disable=g-import-not-at-top
  expected = {"vaegan": {"reconstruction", "latent_knn", "feature_error", "disc"},
              "gan": {"disc"}}
  for config in (tiny_vaegan(), tiny_dcgan_sn()):
    report = anomaly.study(config, str(tmp_path / config.model.name), [3], 1, [], 10)
    assert {r["score"] for r in report["rows"]} == expected[config.model.name]
    assert all(0 <= r["auroc"][0] <= 1 for r in report["rows"])
    scored = _assert_blank_images_score_above_the_eval_digits(
        tmp_path / config.model.name / "without_3")
    assert set(scored) == expected[config.model.name]


@pytest.mark.slow
def test_a_trained_vae_scores_blank_images_above_the_eval_digits(tmp_path):
  """A VAE trained 300 steps: every score of it ranks blank white images above the eval
  digits (20 steps are too few for the latent codes to tell them apart)."""
  config = tiny()
  config.num_steps = config.checkpoint_every = config.eval_every = config.log_every = 300
  config.evals = {}
  train.train_and_evaluate(config, str(tmp_path / "vae"))
  assert _assert_blank_images_score_above_the_eval_digits(tmp_path / "vae") == [
      "neg_elbo", "iwae", "complexity", "reconstruction", "latent_knn", "typical_knn"]


def _noise_model():
  """A stand-in whose neg_elbo and iwae are nothing but their key's noise (uniform per image,
  whatever the image): equal values mean equal keys."""
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  noise = lambda key, x: jax.random.uniform(key, (len(x),))
  predict = {"neg_elbo": lambda state, x, key: noise(key, x),
             "iwae_nll": lambda state, x, key, k, chunk: noise(key, x)}
  return SimpleNamespace(family=SimpleNamespace(predict=predict), state=None)


def test_each_batch_and_each_score_draws_its_own_key():
  """Two batches of the same images get different noise, and neg_elbo and iwae (and iwae's
  reference images in typical_knn) draw from different keys: one key reused for all of them
  would correlate the scores' errors."""
  x = np.zeros((2 * anomaly.BATCH, 8, 8, 1), np.float32)  # Two batches of identical images.
  key, m = jax.random.PRNGKey(0), _noise_model()
  neg_elbo = anomaly.SCORES["neg_elbo"][1](m, x, key, 1, {})
  iwae = anomaly.SCORES["iwae"][1](m, x, key, 1, {})
  assert not np.allclose(neg_elbo[:anomaly.BATCH], neg_elbo[anomaly.BATCH:])
  assert not np.allclose(iwae[:anomaly.BATCH], iwae[anomaly.BATCH:])
  assert not np.allclose(neg_elbo, iwae)
  # And with a real (untrained) VAE: its -ELBO of one image differs between the batches.
  family = families.build(tiny(), families.DataInfo((8, 8, 1)))
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  vae = SimpleNamespace(family=family, state=family.init_state(0))
  values = anomaly.SCORES["neg_elbo"][1](vae, x + 1.0, key, 1, {})
  assert not np.allclose(values[:anomaly.BATCH], values[anomaly.BATCH:])


def test_typical_knn_scores_its_reference_images_with_their_own_key(monkeypatch):
  """The training images that set typical_knn's scale draw from another key than the eval
  images' iwae (and the reference's knn and iwae are of the training images, not `x`)."""
  rng = np.random.RandomState(0)
  m = _stand_in_model(rng.rand(50, 8, 8, 1).astype(np.float32))
  keys = []
  iwae = anomaly._iwae
  monkeypatch.setattr(anomaly, "_iwae", lambda m, x, key, k: (keys.append(np.asarray(key)),
                                                              iwae(m, x, key, k))[1])
  anomaly._typical_knn(m, rng.rand(3, 8, 8, 1).astype(np.float32), jax.random.PRNGKey(0), 1, {})
  assert len(keys) == 2 and not np.array_equal(keys[0], keys[1])


def _pca_model(components: int = 8, sigma: float = 0.1):
  """A linear model of the training digits in closed form, with every part the scores use:
  the reconstruction is the projection on the top principal components, the NLL a Gaussian's
  of its error plus a standard normal prior on the components, -ELBO that plus positive
  noise (its key's), the codes the (centred) pixels, D's features the pixels and D's logit
  minus the squared distance to the mean training image (D calls images far from the digits
  fake)."""
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  config = tiny()
  dataset = data_lib.load(config.data)
  train_x = np.asarray(anomaly.pipeline.fixed_eval_images(dataset.train_images, config.seed + 1,
                                                           config.data)).reshape(-1, 64)
  mu = train_x.mean(0)
  u = jnp.asarray(np.linalg.svd(train_x - mu, full_matrices=False)[2][:components].T)
  flat = lambda x: x.reshape(len(x), -1)
  code = lambda x: (flat(x) - mu) @ u
  rebuild = lambda x: (mu + code(x) @ u.T).reshape(x.shape)
  nll = lambda x: (0.5 * jnp.sum(flat(x - rebuild(x)) ** 2, -1) / sigma**2
                   + 0.5 * jnp.sum(code(x) ** 2, -1))
  predict = {
      "encode": lambda state, x: (flat(x) - mu, jnp.zeros((len(x), 64))),
      "reconstruct": lambda state, x: rebuild(x),
      "iwae_nll": lambda state, x, key, k, chunk: nll(x),
      "neg_elbo": lambda state, x, key: nll(x) + jax.random.uniform(key, (len(x),)),
      "disc_features": lambda state, x: flat(x),
      "score": lambda state, x: 5.0 - jnp.sum(flat(x) - mu, -1) ** 2 / 64,
  }
  family = SimpleNamespace(predict=predict, num_classes=0, name="pca")
  eval_x = anomaly.pipeline.fixed_eval_images(dataset.eval_images, config.seed, config.data)
  return SimpleNamespace(family=family, state=None, dataset=dataset, config=config,
                         eval_data={"image": np.asarray(eval_x)})


def test_every_score_ranks_inverted_digits_above_normal_ones():
  """Each score is 'higher = more anomalous': with a model of the digits (principal
  components, in closed form), inverted eval digits (ink where the digits have none) score
  above the normal eval digits on every score, the discriminator's included."""
  m = _pca_model()
  assert anomaly.available(m.family) == list(anomaly.SCORES)
  normal = m.eval_data["image"][:100]
  x = np.concatenate([normal, 1.0 - normal]).astype(np.float32)
  anomalous = np.arange(len(x)) >= len(normal)
  done = {}
  for name in anomaly.SCORES:
    values = done[name] = anomaly.SCORES[name][1](m, x, jax.random.PRNGKey(0), 10, done)
    assert values.shape == (len(x),) and np.isfinite(values).all(), name
    assert ranking.auroc(values, anomalous) == 1.0, (name, ranking.auroc(values, anomalous))
