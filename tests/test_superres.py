"""The super-resolution family: its image operations in closed form, PSNR and SSIM against
independent computations, the train step checked by hand (each network's update is the
gradient of its own loss, recomputed from the Flax modules), one-line refusals, and learning
that beats bicubic upsampling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import families
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from genjax.evaluators import superres as superres_eval
from genjax.families import DataInfo
from genjax.metrics import ssim as ssim_lib
from genjax.models import superres as nets
from tests.conftest import tiny_classifier, tiny_superres
from tests.test_step_gradients import assert_updated_by, step_with

mean = jnp.mean


def test_area_downsample_averages_blocks_and_nearest_upsample_repeats_pixels():
  x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
  low = nets.area_downsample(x, 2)
  np.testing.assert_allclose(low[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
  up = nets.nearest_upsample(low, 2)
  np.testing.assert_allclose(up[0, :2, :2, 0], np.full((2, 2), 2.5))
  np.testing.assert_allclose(nets.area_downsample(up, 2), low)  # Downsampling undoes it.


def test_pixel_shuffle_is_pytorchs_in_nhwc():
  """Input channel c*r*r + i*r + j lands at pixel (h*r + i, w*r + j), channel c."""
  b, h, w, c, r = 2, 3, 2, 3, 2
  x = np.random.RandomState(0).rand(b, h, w, c * r * r).astype(np.float32)
  out = np.asarray(nets.pixel_shuffle(x, r))
  assert out.shape == (b, h * r, w * r, c)
  for hh, ww, cc, i, j in [(0, 0, 0, 0, 1), (2, 1, 2, 1, 0), (1, 0, 1, 1, 1)]:
    assert out[1, hh * r + i, ww * r + j, cc] == x[1, hh, ww, cc * r * r + i * r + j]
  torch = pytest.importorskip("torch")
  ref = torch.nn.functional.pixel_shuffle(torch.from_numpy(x).permute(0, 3, 1, 2), r)
  np.testing.assert_array_equal(out, ref.permute(0, 2, 3, 1).numpy())


def _ssim_by_hand(x, y, size=11, sigma=1.5):
  """Wang et al.'s formula at every valid window position, written out with numpy loops."""
  r = np.arange(size) - (size - 1) / 2
  g = np.exp(-0.5 * (r / sigma) ** 2)
  w = np.outer(g, g) / np.outer(g, g).sum()
  c1, c2 = 0.01 ** 2, 0.03 ** 2
  values = []
  for i in range(x.shape[0] - size + 1):
    for j in range(x.shape[1] - size + 1):
      a, b = x[i:i + size, j:j + size], y[i:i + size, j:j + size]
      ma, mb = (w * a).sum(), (w * b).sum()
      va, vb = (w * a * a).sum() - ma ** 2, (w * b * b).sum() - mb ** 2
      cov = (w * a * b).sum() - ma * mb
      values.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1)
                                                            * (va + vb + c2)))
  return float(np.mean(values))


def test_ssim_and_psnr_against_their_definitions():
  rng = np.random.RandomState(0)
  x = rng.rand(2, 16, 16, 1)
  y = np.clip(x + 0.1 * rng.randn(*x.shape), 0, 1)
  got = ssim_lib.ssim(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32))
  for k in range(2):
    assert float(got[k]) == pytest.approx(_ssim_by_hand(x[k, ..., 0], y[k, ..., 0]), abs=1e-4)
  assert np.allclose(ssim_lib.ssim(jnp.asarray(x, jnp.float32), jnp.asarray(x, jnp.float32)), 1.0)
  assert ssim_lib.window_size(8, 8) == 7 and ssim_lib.window_size(28, 28) == 11
  mse = np.mean((x - y) ** 2, axis=(1, 2, 3))
  np.testing.assert_allclose(superres_eval.psnr(jnp.asarray(x), jnp.asarray(y)),
                             10 * np.log10(1 / mse), rtol=1e-5)


def test_the_step_updates_g_and_d_by_their_own_losses():
  """G: pixel MSE + 0.1 x hinge G loss on D(G(low) | low); D: hinge on (x | low) real and
  (G(low) | low) fake, plus 0.5 x R1 = 0.5 x (1/2) E||grad_x D||^2 on the real images (the
  gradient w.r.t. the image only, not the input beside it)."""
  config = tiny_superres()
  family = families.build(config, DataInfo((8, 8, 1)))
  s = family.setup
  x = jax.random.uniform(jax.random.PRNGKey(0), (16, 8, 8, 1), minval=-1.0, maxval=1.0)
  batch, rng = {"image": x}, jax.random.PRNGKey(3)

  def reference(state, new, batch, rng):
    del new, rng
    high = batch["image"]
    low = high.reshape(16, 2, 4, 2, 4, 1).mean((2, 4))
    beside = jnp.repeat(jnp.repeat(low, 4, axis=1), 4, axis=2)
    d_mod = s.d.d  # The DCGAN discriminator inside the conditional wrapper.
    disc_vars = state.nets["disc"].variables
    score = lambda v, img: d_mod.apply({k: val["d"] for k, val in v.items()}, jnp.concatenate(
        [img, beside], -1), None, train=False)
    fake_of = lambda p: jnp.tanh(s.g.apply({"params": p}, low))

    def g_loss(p):
      fake = fake_of(p)
      return mean((fake - high) ** 2) + 0.1 * -mean(score(disc_vars, fake))

    def d_loss(p):
      v = {**disc_vars, "params": p}
      fake = jax.lax.stop_gradient(fake_of(state.nets["gen"].params))
      hinge = mean(jax.nn.relu(1 - score(v, high))) + mean(jax.nn.relu(1 + score(v, fake)))
      grad_x = jax.grad(lambda img: jnp.sum(score(v, img)))(high)
      return hinge + 0.5 * 0.5 * mean(jnp.sum(grad_x.reshape(16, -1) ** 2, -1))

    return (jax.grad(g_loss)(state.nets["gen"].params),
            jax.grad(d_loss)(state.nets["disc"].params))

  _, new, (g_grads, d_grads) = step_with(family, batch, rng, reference)
  assert_updated_by(new.nets["gen"], [g_grads], config.optim.b1, "gen")
  assert_updated_by(new.nets["disc"], [d_grads], config.optim.b1, "disc")


@pytest.mark.slow
def test_the_feature_loss_reads_the_classifier_and_content_only_has_no_critic(tmp_path):
  """feature_weight x MSE of a trained classifier's penultimate features of G(low) and of the
  image (in [0, 1]) joins the pixel loss; adversarial_weight 0 builds no D (SRResNet)."""
  classifier = str(tmp_path / "classifier")
  train.train_and_evaluate(tiny_classifier(), classifier)
  config = tiny_superres()
  config.loss.superres.update(adversarial_weight=0.0, feature_weight=0.3,
                              feature_path=classifier)
  family = families.build(config, DataInfo((8, 8, 1)))
  assert family.setup.d is None and set(family.init_state(0).nets) == {"gen"}
  from genjax import run as run_lib  # pylint: disable=import-outside-toplevel
  run = run_lib.open_run(classifier)
  c_state, features = run.restore(0, "seed"), run.family.predict["features"]
  s = family.setup
  x = jax.random.uniform(jax.random.PRNGKey(0), (16, 8, 8, 1), minval=-1.0, maxval=1.0)

  def reference(state, new, batch, rng):
    del new, rng
    high = batch["image"]
    low = high.reshape(16, 2, 4, 2, 4, 1).mean((2, 4))

    def g_loss(p):
      fake = jnp.tanh(s.g.apply({"params": p}, low))
      f = lambda img: features(c_state, (img + 1) / 2)
      return mean((fake - high) ** 2) + 0.3 * mean((f(fake) - f(high)) ** 2)

    return jax.grad(g_loss)(state.nets["gen"].params)

  _, new, g_grads = step_with(family, {"image": x}, jax.random.PRNGKey(3), reference)
  assert_updated_by(new.nets["gen"], [g_grads], config.optim.b1, "gen")


@pytest.mark.parametrize("fields, message", [
    ({"model.factor": 3}, "model.factor=3 must be a power of 2 >= 2"),
    ({"model.factor": 16}, "model.factor=16 must divide the images' 8x8"),
    ({"loss.superres.feature_weight": 1.0}, "feature_weight > 0 needs loss.superres.feature_path"),
    ({"loss.superres.pixel_weight": 0.0, "loss.superres.adversarial_weight": 0.0},
     "every weight is 0"),
    ({"loss.gan.name": "hinj"}, "unknown loss.gan.name='hinj'"),
    ({"data.dynamic_binarization": True}, "set data.dynamic_binarization=False"),
    ({"model.generator.blocks": -1}, "model.generator.blocks=-1 must be an integer >= 0"),
])
def test_bad_settings_are_one_line_errors(fields, message):
  config = tiny_superres()
  for field, value in fields.items():
    section, _, name = field.rpartition(".")
    target = config
    for part in section.split("."):
      target = target[part]
    target[name] = value
  with pytest.raises(GenjaxError, match=message):
    families.build(config, DataInfo((8, 8, 1)))


def test_a_model_without_a_prior_says_why_it_cannot_sample():
  family = families.build(tiny_superres(), DataInfo((8, 8, 1)))
  with pytest.raises(GenjaxError, match="restores a given image; it draws none from a prior"):
    families.require(family, ("sample",), "workdir 'X'")


@pytest.mark.slow
def test_content_only_training_beats_bicubic_upsampling(tmp_path):
  """300 steps of the pixel loss alone on the digits (2x2 -> 8x8): PSNR and SSIM of the
  restorations well above bicubic upsampling's, on the 360 eval digits."""
  config = tiny_superres()
  config.num_steps, config.eval_every, config.checkpoint_every = 300, 300, 300
  config.model.generator.update(channels=16, blocks=2)
  config.loss.superres.adversarial_weight = 0.0
  config.optim.learning_rate, config.optim.b1 = 2e-3, 0.9
  workdir = str(tmp_path / "sr")
  train.train_and_evaluate(config, workdir)
  _, metrics = workdirs.evaluate(workdir, [])
  assert metrics["eval/superres/psnr"] > metrics["eval/superres/bicubic_psnr"] + 3.0, metrics
  assert metrics["eval/superres/ssim"] > metrics["eval/superres/bicubic_ssim"] + 0.2, metrics
