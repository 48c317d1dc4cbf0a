"""experiments.latent: the interpolation maths, the manifold grid and the embedding in closed
form; the main end to end on a tiny VAE (latent_dim=2) and a tiny DCGAN; one-line errors."""
import collections
import json
import os

import numpy as np
import pytest
from PIL import Image

from configs import default
from configs import gan_ring8
from genjax import run as run_lib
from genjax.applications import latent
from genjax.errors import GenjaxError
from tests import conftest
from tests.conftest import assert_one_line_error
from tests.conftest import run_main

TINY_VAE = ["--config=configs/default.py", "--config.model.latent_dim=2",
            "--config.num_steps=20", "--config.steps_per_call=5", "--config.log_every=10",
            "--config.eval_every=20", "--config.checkpoint_every=10", "--config.batch_size=32",
            "--config.model.encoder.hidden=(32,)", "--config.model.decoder.hidden=(32,)",
            "--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
            "--config.evals.nll.iwae_examples=20", "--config.eval.num_samples_png=16"]
TINY_DCGAN = ["--config=configs/dcgan_digits.py", "--config.model.generator.width=8",
              "--config.model.discriminator.width=8", "--config.batch_size=16",
              "--config.num_steps=2", "--config.log_every=1", "--config.eval_every=2",
              "--config.checkpoint_every=2", "--config.eval.num_samples_png=4"]
FIGURES = ("interp_linear", "interp_spherical")


def run(*args):
  return run_main("experiments.latent", *args)



def test_lerp_and_slerp_hit_the_endpoints_exactly():
  rng = np.random.default_rng(0)
  z0, z1 = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
  t = np.linspace(0, 1, 7)
  for path in (latent.lerp, latent.slerp):
    z = path(z0, z1, t)
    assert z.shape == (3, 7, 5)
    np.testing.assert_allclose(z[:, 0], z0, atol=1e-12)
    np.testing.assert_allclose(z[:, -1], z1, atol=1e-12)
  np.testing.assert_allclose(latent.lerp(z0, z1, [0.25])[:, 0], 0.75 * z0 + 0.25 * z1)


def test_slerp_between_orthogonal_vectors_stays_on_their_circle_at_constant_speed():
  a, b = np.array([[3.0, 0.0, 0.0]]), np.array([[0.0, 3.0, 0.0]])
  t = np.linspace(0, 1, 9)
  z = latent.slerp(a, b, t)[0]
  np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 3.0)
  np.testing.assert_allclose(latent.slerp(a, b, [0.5])[0, 0], (a[0] + b[0]) / np.sqrt(2))
  np.testing.assert_allclose(np.arctan2(z[:, 1], z[:, 0]), t * np.pi / 2, atol=1e-12)
  # Linear paths cut the corner: their midpoint is shorter by 1/sqrt(2).
  assert np.linalg.norm(latent.lerp(a, b, [0.5])) == pytest.approx(3 / np.sqrt(2))


def test_slerp_of_degenerate_pairs_falls_back_to_lerp():
  a = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
  b = np.array([[2.0, 4.0], [-1.0, -2.0], [1.0, 1.0]])  # Parallel, antiparallel, zero start.
  t = np.linspace(0, 1, 5)
  z = latent.slerp(a, b, t)
  assert np.all(np.isfinite(z))
  np.testing.assert_allclose(z, latent.lerp(a, b, t))


def test_manifold_latents_are_a_symmetric_grid_of_normal_quantiles():
  z = latent.manifold_latents(5)
  assert z.shape == (5, 5, 2)
  np.testing.assert_allclose(z, -z[::-1, ::-1], atol=1e-6)  # Point symmetry about 0.
  np.testing.assert_allclose(z[2, 2], [0.0, 0.0], atol=1e-6)
  assert z[0, 0, 0] == pytest.approx(-1.6449, abs=1e-3)  # Phi^-1(0.05)...
  assert z[0, 0, 1] == pytest.approx(1.6449, abs=1e-3)   # ...with z_2 largest in the top row.
  assert np.all(np.diff(z[..., 0], axis=1) > 0) and np.all(np.diff(z[..., 1], axis=0) < 0)


def test_pca_embedding_of_points_on_a_line_is_a_line_and_2d_latents_stay_themselves():
  rng = np.random.default_rng(1)
  s = rng.normal(size=50)
  direction = np.array([1.0, -2.0, 0.5, 3.0])
  points = 7.0 + s[:, None] * direction
  e = latent.embed(points, "pca")
  assert e.shape == (50, 2)
  np.testing.assert_allclose(e[:, 1], 0.0, atol=1e-9)
  np.testing.assert_allclose(np.abs(e[:, 0]), np.abs(s - s.mean()) * np.linalg.norm(direction))
  z2 = rng.normal(size=(10, 2))
  np.testing.assert_array_equal(latent.embed(z2, "tsne"), z2)


def test_path_smoothness_of_even_and_jumpy_paths():
  even = np.arange(5.0)[None, :, None] * np.array([3.0, 4.0])  # Steps of length 5.
  assert latent.path_smoothness(even) == pytest.approx((5.0, 1.0))
  jumpy = np.array([[[0.0], [0.0], [0.0], [4.0]]])  # All change in one of 3 steps.
  assert latent.path_smoothness(jumpy) == pytest.approx((4 / 3, 3.0))


def test_models_without_a_decodable_latent_space_are_refused_by_name():
  """Asked of the family's predict functions (and the data's shape), not of model.name."""
  check = lambda config: latent.check_model(run_lib.family_of(config), "x")
  config = default.get_config()
  check(config)
  config.model.decoder.ar_channels = 4
  with pytest.raises(GenjaxError, match=r"x holds a 'vae' model without decode \(latent tools"
                                        r" decode latents of its prior\): its autoregressive"
                                        r" head \(model.decoder.ar_channels=4\)"):
    check(config)
  with pytest.raises(GenjaxError, match="latent tools need an image model"):
    check(gan_ring8.get_config())
  with pytest.raises(GenjaxError, match="x holds a 'classifier' model without decode, prior"):
    check(conftest.tiny_classifier())
  assert latent.tags(["/a/run", "/b/run/", "/c/gan"]) == ["run", "run_2", "gan"]


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("latent") / "vae2")
  result = run(*TINY_VAE, f"--workdir={workdir}", "--pairs=3", "--steps=4")
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result


def _report(outdir):
  with open(os.path.join(outdir, "latent.json")) as f:
    return json.load(f)


@pytest.mark.slow
def test_main_trains_then_writes_report_and_figures_of_a_2d_vae(vae_run):
  workdir, result = vae_run
  assert "step 20/20" in result.stderr  # Trained through the loop.
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["10", "20"]
  outdir = os.path.join(workdir, "latent")
  report = _report(outdir)
  (row,) = report["rows"]
  assert (row["family"], row["latent_dim"], row["step"]) == ("vae", 2, 20)
  assert 0.0 <= row["knn_acc"] <= 1.0 and 0.5 < row["knn_pixels"] <= 1.0  # Pixels: ~0.8.
  assert row["active_units"] in (0, 1, 2)
  for key in ("lin_step", "slerp_step"):
    assert 0.0 <= row[key] < 8.0  # Per-image L2 in [0, 1] pixels: at most sqrt(64).
  for key in ("lin_jump", "slerp_jump"):
    assert 1.0 <= row[key] <= 3.0  # Between even steps and all change in one of 3 steps.
  names = [f"vae2_{name}.png" for name in FIGURES + ("manifold", "scatter")]
  assert sorted(row["figures"]) == sorted(names)
  for name in names:
    assert Image.open(os.path.join(outdir, name)).size[0] > 100
  with open(os.path.join(outdir, "latent.md")) as f:
    table = f.read().splitlines()
  assert table[0].startswith("| workdir | family | latent_dim |") and len(table) == 3
  assert table[2].startswith("| vae2 | vae | 2 | 20 |")
  assert table == result.stdout.splitlines()[:3]


@pytest.mark.slow
def test_rerun_on_the_workdir_reuses_it_without_training(vae_run, tmp_path):
  workdir, _ = vae_run
  before = sorted(os.listdir(os.path.join(workdir, "checkpoints")))
  result = run(f"--workdirs={workdir}", f"--out={tmp_path}", "--pairs=3", "--steps=4")
  assert result.returncode == 0, result.stderr[-3000:]
  assert "step 20/20" not in result.stderr
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == before
  old, new = _report(os.path.join(workdir, "latent"))["rows"][0], _report(tmp_path)["rows"][0]
  assert new["step"] == 20
  for key in ("knn_acc", "knn_pixels", "lin_step", "slerp_step"):  # Same model, same seed.
    assert new[key] == pytest.approx(old[key], rel=1e-5)


@pytest.mark.slow
def test_a_gan_gets_interpolations_between_prior_draws_but_no_scatter(tmp_path):
  workdir = str(tmp_path / "dcgan")
  result = run(*TINY_DCGAN, f"--workdir={workdir}", "--pairs=2", "--steps=3")
  assert result.returncode == 0, result.stderr[-3000:]
  (row,) = _report(os.path.join(workdir, "latent"))["rows"]
  assert (row["family"], row["latent_dim"]) == ("gan", 32)
  assert row["knn_acc"] is None and row["active_units"] is None
  assert sorted(os.listdir(os.path.join(workdir, "latent"))) == sorted(
      ["latent.json", "latent.md"] + [f"dcgan_{name}.png" for name in FIGURES])


@pytest.mark.parametrize("args,fragments", [
    ((), ("nothing to analyse",)),
    (("--workdirs=/nowhere", "--config=configs/default.py", "--workdir=/tmp/x"), ("not both",)),
    (("--workdirs=/nowhere", "--steps=1"), ("--steps=1 must be at least 2",)),
    (("--workdirs=/nowhere",), ("'/nowhere' has no readable config.json",)),
])
@pytest.mark.slow
def test_bad_flags_are_one_line_errors(args, fragments):
  assert_one_line_error(run(*args), *fragments)


@pytest.mark.slow
def test_a_2d_points_config_is_refused_before_training(tmp_path):
  workdir = tmp_path / "ring8"
  assert_one_line_error(run("--config=configs/gan_ring8.py", f"--workdir={workdir}"),
                        "latent tools need an image model")
  assert not workdir.exists()


def _linear_model(eval_x, eval_y, decode):
  """A stand-in trained model: the posterior mean is the first 4 pixels of the image, the
  decoder `decode(z_Bx4) -> images` (no state, no labels)."""
  from types import SimpleNamespace  # pylint: disable=g-import-not-at-top
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  encode = lambda state, x, y=None: (x.reshape(len(x), -1)[:, :4], jnp.zeros((len(x), 4)))
  family = SimpleNamespace(name="linear", num_classes=0,
                           predict={"encode": encode, "decode": lambda state, z, y=None: decode(z)})
  config = default.get_config()
  state = collections.namedtuple("State", "step")(np.int32(7))  # A pytree, as jit needs.
  return SimpleNamespace(workdir="/linear", config=config, family=family, state=state,
                         eval_data={"image": eval_x, "label": eval_y})


def _hand_made_eval_set():
  """100 images of 8x8: labels alternate 0, 1; the first two pixels are (0.8, 0.2) for label
  0 and (0.2, 0.8) for label 1, pixels 2, 3 are 0 and the others noise."""
  rng = np.random.default_rng(0)
  labels = np.arange(100) % 2
  x = rng.random((100, 64)).astype(np.float32)
  x[:, :2] = np.where(labels[:, None] == 0, [0.8, 0.2], [0.2, 0.8])
  x[:, 2:4] = 0.0
  return x.reshape(100, 8, 8, 1), labels


def test_analyse_measures_paths_and_codes_in_closed_form(tmp_path, monkeypatch):
  """With codes (0.8, 0.2, 0, 0) and (0.2, 0.8, 0, 0) for the two classes and a decoder
  that writes the code into the image's first 4 pixels (an isometry), a linear path from
  one class to the other moves |z1 - z0| / (steps - 1) per step, evenly (jump 1), and the
  spherical one a chord 2 |z| sin(w / (2 (steps - 1))) per step, w the codes' angle, also
  evenly; the classes are separated in latent space (k-NN accuracy 1) along 2 active units.
  A decoder that switches the image where z_1 crosses z_2 makes every path jump: all of the
  change in the middle step of 3, jump = steps - 1 = 3."""
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  x, labels = _hand_made_eval_set()
  monkeypatch.setattr(latent, "_pick_pairs", lambda n, labels, num_pairs, rng: (
      np.array([0, 1]), np.array([1, 0])))
  isometry = lambda z: jnp.pad(z, ((0, 0), (0, 60))).reshape(len(z), 8, 8, 1)
  row = latent.analyse(_linear_model(x, labels, isometry), "lin", str(tmp_path), pairs=2,
                       steps=5, seed=0, embedding="pca", num_points=100)
  z0, z1 = np.array([0.8, 0.2]), np.array([0.2, 0.8])
  angle = np.arccos(z0 @ z1 / (z0 @ z0))
  assert row["lin_step"] == pytest.approx(np.linalg.norm(z1 - z0) / 4, rel=1e-5)
  assert row["slerp_step"] == pytest.approx(2 * np.linalg.norm(z0) * np.sin(angle / 8), rel=1e-5)
  assert row["lin_jump"] == pytest.approx(1.0, rel=1e-5)
  assert row["slerp_jump"] == pytest.approx(1.0, rel=1e-5)
  assert row["knn_acc"] == 1.0 and row["active_units"] == 2 and row["latent_dim"] == 4
  assert row["knn_pixels"] < 0.9  # The pixels: 2 of 64 carry the class.
  switch = lambda z: jnp.broadcast_to(
      (z[:, 0] > z[:, 1]).astype(jnp.float32)[:, None, None, None], (len(z), 8, 8, 1))
  row = latent.analyse(_linear_model(x, labels, switch), "switch", str(tmp_path), pairs=2,
                       steps=4, seed=0, embedding="pca", num_points=100)
  assert row["lin_jump"] == pytest.approx(3.0) and row["slerp_jump"] == pytest.approx(3.0)
  assert row["lin_step"] == pytest.approx(8.0 / 3)  # One step of |64 pixels of 1| = 8, of 3.


def test_knn_accuracy_of_hand_made_codes():
  """Separated classes: accuracy 1. Twenty far-apart sites, each with 10 tight points of
  class 1 and one point of class 0 a little off: a class-0 point's 5 nearest neighbours are
  its site's class-1 points (it is always wrong), a class-1 point's are class-1 points too
  (always right): accuracy 10/11, whichever fold a point is held out in (the class-1 points
  are listed site by site in turn, so each fold keeps 8 of every site's 10)."""
  rng = np.random.default_rng(0)
  separated = np.concatenate([np.zeros((20, 2)), np.ones((20, 2)) * 10])
  separated += rng.normal(0, 0.1, separated.shape)
  assert latent.knn_accuracy(separated, np.repeat([0, 1], 20)) == 1.0
  sites = 100.0 * np.arange(20)
  ones = np.tile(sites, 10) + rng.uniform(-0.01, 0.01, 200)  # Site i % 20 for the i-th.
  codes = np.concatenate([ones, sites + 0.5])[:, None]
  labels = np.repeat([1, 0], [200, 20])
  assert latent.knn_accuracy(codes, labels) == pytest.approx(10 / 11)
