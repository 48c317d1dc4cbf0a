"""experiments.prior_sweep's maths: nearest-neighbour distances, and a sweep over priors of a
tiny trained VAE, scored with a stand-in feature network."""
import numpy as np
import pytest

from genjax import latent_prior
from genjax import train
from genjax.applications import prior_sweep
from tests.conftest import tiny
from tests.conftest import run_main
from tests.test_features import _pixels

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.


def test_nearest_distances_match_brute_force():
  rng = np.random.default_rng(0)
  x, ref = rng.normal(size=(37, 5)), rng.normal(size=(50, 5))
  want = np.sqrt(((x[:, None] - ref[None]) ** 2).sum(-1)).min(1)
  np.testing.assert_allclose(prior_sweep.nearest_distances(x, ref, chunk=8), want, rtol=1e-9)
  assert prior_sweep.nearest_distances(ref[:3], ref).max() == pytest.approx(0, abs=1e-6)


@pytest.fixture(scope="module")
def vae_workdir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("sweep") / "vae")
  config = tiny()
  config.evals = {}
  train.train_and_evaluate(config, workdir)
  return workdir


def test_a_sweep_scores_each_prior_and_flags_copied_training_images(vae_workdir, tmp_path,
                                                                    monkeypatch):
  extractor = _pixels("", 100)
  kwargs = dict(metrics=("fid", "score"), cache_dir=str(tmp_path))
  report = prior_sweep.sweep([vae_workdir], ["standard", "gmm2"], extractor, 64, **kwargs)
  assert [r["prior"] for r in report["rows"]] == ["standard", "gmm2"]
  assert all(r["fid"] > 0 and r["nn"] > 0 for r in report["rows"]) and report["eval_nn"] > 0
  assert report["rows"][0]["fid"] != report["rows"][1]["fid"]
  assert "gmm2" in prior_sweep.table(report)

  def copier(family, state, data_config, spec, dataset=None, **_):
    """A 'prior' that returns training images: a perfect copier."""
    images = np.asarray(dataset.train_images[:64], np.float32)
    return lambda state, key, num: images[:num]
  monkeypatch.setattr(latent_prior, "sampler", copier)
  copied = prior_sweep.sweep([vae_workdir], ["gmm2"], extractor, 64, **kwargs)
  assert copied["rows"][0]["nn"] < 1e-5 and copied["eval_nn"] > 0.1


def test_kid_subsets_are_drawn_with_a_key_no_sample_batch_uses(vae_workdir, tmp_path,
                                                               monkeypatch):
  """The KID subsets' key is none of the sample batches' keys (two batches of 100 here)."""
  from genjax.metrics import kid  # pylint: disable=g-import-not-at-top
  sampler, sample_keys, kid_keys = latent_prior.sampler, [], []

  def recording(*args, **kwargs):
    sample = sampler(*args, **kwargs)
    return lambda state, key, num: (sample_keys.append(np.asarray(key)), sample(state, key,
                                                                               num))[1]
  kid_fn = kid.kid
  monkeypatch.setattr(kid, "kid", lambda real, fake, key, *a: (
      kid_keys.append(np.asarray(key)), kid_fn(real, fake, key, *a))[1])
  monkeypatch.setattr(latent_prior, "sampler", recording)
  report = prior_sweep.sweep([vae_workdir], ["standard"], _pixels("", 100), 200, metrics=("kid",),
                             cache_dir=str(tmp_path))
  assert "kid" in report["rows"][0] and len(sample_keys) == 2 and len(kid_keys) == 1
  assert len({k.tobytes() for k in sample_keys + kid_keys}) == 3


def test_the_main_refuses_a_bad_prior_in_one_line(vae_workdir):
  result = run_main("experiments.prior_sweep", f"--workdirs={vae_workdir}", "--priors=gmmx",
                    "--extractor_path=/nowhere")
  assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert "error:" in result.stderr
