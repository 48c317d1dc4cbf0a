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


def test_the_main_refuses_a_bad_prior_in_one_line(vae_workdir):
  result = run_main("experiments.prior_sweep", f"--workdirs={vae_workdir}", "--priors=gmmx",
                    "--extractor_path=/nowhere")
  assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert "error:" in result.stderr
