"""experiments.inpaint: masks, repairs that keep the visible pixels, the main end to end on a
tiny VAE and a tiny GAN trained through its --config path, and one-line errors."""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from genjax.applications import inpaint
from genjax.applications import common as apps
from genjax import train
from genjax.errors import GenjaxError
from tests.conftest import assert_one_line_error
from tests.conftest import run_main
from tests.conftest import tiny_classifier

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

TINY_VAE = ["--config=configs/default.py", "--config.num_steps=60", "--config.steps_per_call=20",
            "--config.log_every=20", "--config.eval_every=60", "--config.checkpoint_every=60",
            "--config.batch_size=32", "--config.model.latent_dim=4",
            "--config.model.encoder.hidden=(32,)", "--config.model.decoder.hidden=(32,)",
            "--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
            "--config.evals.nll.iwae_examples=20", "--config.eval.num_samples_png=16"]
TINY_GAN = ["--config=configs/dcgan_digits.py", "--config.num_steps=10",
            "--config.steps_per_call=5", "--config.log_every=5", "--config.eval_every=10",
            "--config.checkpoint_every=10", "--config.batch_size=16",
            "--config.model.generator.width=8", "--config.model.discriminator.width=8",
            "--config.eval.num_samples_png=4"]
FAST = ["--num=40", "--steps=15", "--iterations=4", "--batch=20"]


def run(*args):
  return run_main("experiments.inpaint", *args)



@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("inpaint") / "classifier")
  train.train_and_evaluate(tiny_classifier(), path)
  return path


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory, classifier_dir):
  """(workdir, out folder, result) of the main training a tiny VAE and repairing with it."""
  root = tmp_path_factory.mktemp("inpaint")
  workdir, out = str(root / "vae"), str(root / "out")
  result = run(*TINY_VAE, f"--workdir={workdir}", f"--out={out}", *FAST,
               f"--classifier={classifier_dir}")
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, out, result


@pytest.fixture(scope="module")
def vae(vae_run):
  return apps.load(vae_run[0], ("decode", "encode", "prior"))


def test_masks_hide_the_named_pixels():
  centre = np.asarray(inpaint.masks("centre", (2, 8, 8), None))
  assert centre.shape == (2, 8, 8, 1)
  hidden = np.zeros((8, 8), bool)
  hidden[2:6, 2:6] = True
  np.testing.assert_array_equal(centre[1, ..., 0], ~hidden)
  assert np.asarray(inpaint.masks("centre", (1, 28, 28), None)).mean() == 0.75
  bottom = np.asarray(inpaint.masks("bottom", (1, 28, 28), None))[0, ..., 0]
  assert bottom[:14].all() and not bottom[14:].any()
  key = jax.random.PRNGKey(0)
  random = np.asarray(inpaint.masks("random", (64, 28, 28), key))
  assert set(np.unique(random)) == {0.0, 1.0} and abs(random.mean() - 0.5) < 0.01
  assert not np.array_equal(random[0], random[1])  # Drawn per image...
  np.testing.assert_array_equal(random, inpaint.masks("random", (64, 28, 28), key))  # ...by key.
  with pytest.raises(GenjaxError, match="unknown mask 'oval': valid masks are centre, bottom"):
    inpaint.masks("oval", (1, 8, 8), key)


def test_compose_keeps_observed_pixels_exactly():
  x, filled = np.random.RandomState(0).rand(2, 3, 8, 8, 1).astype(np.float32)
  mask = np.asarray(inpaint.masks("random", (3, 8, 8), jax.random.PRNGKey(1)))
  out = np.asarray(inpaint.compose(x, filled, mask))
  np.testing.assert_array_equal(out[mask > 0], x[mask > 0])
  np.testing.assert_array_equal(out[mask == 0], filled[mask == 0])


def _eval_batch(trained, kind, num=16):
  x = jnp.asarray(trained.dataset.eval_images[:num], jnp.float32)
  return x, inpaint.masks(kind, x.shape[:3], jax.random.PRNGKey(2))


def test_latent_optimization_fits_visible_pixels_and_keeps_them(vae):
  _, decode = inpaint.unit_model(vae.family, vae.config.data.value_range)
  x, mask = _eval_batch(vae, "bottom")
  z0 = vae.family.predict["prior"](jax.random.PRNGKey(3), 2 * len(x)).reshape(2, len(x), -1)
  repaired, z, trace = inpaint.repair_by_latent_optimization(
      decode, vae.state, x, mask, z0, 30, 0.05, 0.05, None)
  repaired, trace = np.asarray(repaired), np.asarray(trace)
  assert repaired.shape == x.shape and z.shape == (len(x), 4) and trace.shape == (31,)
  visible = np.broadcast_to(np.asarray(mask) > 0, x.shape)
  np.testing.assert_array_equal(repaired[visible], np.asarray(x)[visible])
  np.testing.assert_allclose(repaired[~visible],
                             np.asarray(decode(vae.state, z, None))[~visible], atol=1e-6)
  assert trace[-1] < 0.8 * trace[0], trace  # Adam on z fits the visible pixels.


def test_iteration_keeps_visible_pixels_and_refills_hidden_ones_from_the_model(vae):
  encode, decode = inpaint.unit_model(vae.family, vae.config.data.value_range)
  x, mask = _eval_batch(vae, "centre")
  repair = lambda k: np.asarray(inpaint.repair_by_iteration(encode, decode, vae.state, x, mask, k))
  visible = np.broadcast_to(np.asarray(mask) > 0, x.shape)
  np.testing.assert_array_equal(repair(0)[~visible], 0.5)  # The mid-grey start.
  four, five = repair(4), repair(5)
  np.testing.assert_array_equal(five[visible], np.asarray(x)[visible])
  step = np.asarray(decode(vae.state, encode(vae.state, four, None), None))
  np.testing.assert_allclose(five[~visible], step[~visible], atol=1e-5)
  assert 0.0 <= five.min() and five.max() <= 1.0 and not np.allclose(five, repair(0))


def test_main_writes_report_table_and_figures(vae_run):
  _, out, result = vae_run
  with open(os.path.join(out, "inpaint.json")) as f:
    report = json.load(f)
  rows = report["rows"]
  assert [(r["mask"], r["method"]) for r in rows] == [
      (m, k) for m in ("centre", "bottom", "random") for k in ("optimize", "iterate")]
  hidden = {r["mask"]: r["hidden_fraction"] for r in rows}
  assert hidden["centre"] == 0.25 and hidden["bottom"] == 0.5 and 0.4 < hidden["random"] < 0.6
  for r in rows:
    assert 0.0 < r["mse"] < 1.0 and 0.0 < r["baseline_mse"] < 1.0
    assert 0.0 <= r["accuracy_masked"] <= 1.0 and 0.0 <= r["accuracy_repaired"] <= 1.0
  optimize = [r for r in rows if r["method"] == "optimize"]
  assert all(r["visible_mse_end"] < r["visible_mse_start"] for r in optimize)
  with open(os.path.join(out, "inpaint.md")) as f:
    table = f.read()
  assert table.startswith("| run | mask | method | masked MSE |") and sum(l.startswith("| vae |") for l in table.splitlines()) == 6
  assert "| vae | centre | optimize |" in result.stdout
  for kind in ("centre", "bottom", "random"):
    assert Image.open(os.path.join(out, f"inpaint_vae_{kind}.png")).size[0] > 200


def test_main_repairs_with_a_gan_by_latent_optimization(tmp_path):
  workdir, out = str(tmp_path / "gan"), str(tmp_path / "out")
  # --methods unset: the GAN skips 'iterate' (asked for explicitly, it is refused below).
  result = run(*TINY_GAN, f"--workdir={workdir}", "--masks=centre", f"--out={out}", *FAST)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(out, "inpaint.json")) as f:
    (row,) = json.load(f)["rows"]
  assert row["model"] == "gan" and row["method"] == "optimize" and row["accuracy_masked"] is None
  assert os.path.isfile(os.path.join(out, "inpaint_gan_centre.png"))
  assert_one_line_error(run(f"--workdirs={workdir}", "--methods=iterate"),
                        "--methods=iterate", "has no encoder")


@pytest.mark.parametrize("args,fragments", [
    (["--masks=centre,oval"], ("unknown 'oval'", "valid are centre, bottom, random")),
    (["--methods=paint"], ("unknown 'paint'", "valid are optimize, iterate")),
    (["--workdir=/tmp/x"], ("--config and --workdir go together",)),
    (["--config=configs/gan_ring8.py", "--workdir=/tmp/x"], ("2-D points",)),
    (["--config=configs/default.py", "--config.model.decoder.ar_channels=4", "--workdir=/tmp/x"],
     ("autoregressive head", "no deterministic decode")),
])
def test_bad_flags_are_refused_in_one_line(args, fragments):
  assert_one_line_error(run(*args), *fragments)


def test_bad_workdirs_are_refused_in_one_line(vae_run, classifier_dir):
  workdir = vae_run[0]
  assert_one_line_error(run(f"--workdirs={workdir}", *TINY_VAE[:1], f"--workdir={workdir}"),
                        "either --workdirs", "not both")
  assert_one_line_error(run(), "either --workdirs")
  assert_one_line_error(run(f"--workdirs={workdir}", "--num=100000"),
                        "--num=100000", "has 360 images")
  assert_one_line_error(run(f"--workdirs={classifier_dir}"), "'classifier' model", "without decode, prior")
