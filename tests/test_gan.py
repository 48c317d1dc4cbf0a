"""GAN networks and train step: n_critic, clipping, spectral norm, conditioning, EMA, resume."""
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import gan_ring8
from genjax import augment, models, train
from genjax.errors import GenjaxError
from genjax.models import gan


def tiny_gan(**loss):
  config = gan_ring8.get_config()
  config.num_steps = 20
  config.steps_per_call = 5
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.batch_size = 32
  config.model.hidden = (32, 32)
  config.eval.mode_samples = 200
  for k, v in loss.items():
    config.loss[k] = v
  return config


def _counts(opt_state):
  return [int(s.count) for s in jax.tree.leaves(
      opt_state, is_leaf=lambda s: isinstance(s, optax.ScaleByAdamState))
          if isinstance(s, optax.ScaleByAdamState)]


def _step(family, state, seed=0, step_fn=None):
  batch = {"image": jax.random.normal(jax.random.PRNGKey(seed), (family.examples_per_step, 2))}
  return (step_fn or jax.jit(family.train_step))(state, batch, jax.random.PRNGKey(seed + 1))


def test_n_critic_really_performs_n_discriminator_updates():
  family = train.build(tiny_gan(n_critic=3), (2,))
  state, metrics = _step(family, family.init_state(0))
  assert _counts(state.disc.opt_state) == [3] and _counts(state.gen.opt_state) == [1]
  assert family.examples_per_step == 3 * 32 and "g_loss" in metrics


def test_weight_clipping_bounds_every_critic_weight():
  config = tiny_gan(name="wasserstein", clip=0.01)
  config.optim.learning_rate = 0.1
  family = train.build(config, (2,))
  state = family.init_state(0)
  step_fn = jax.jit(family.train_step)
  for s in range(3):
    state, _ = _step(family, state, s, step_fn)
  leaves = jax.tree.leaves(state.disc.params)
  assert max(float(jnp.abs(p).max()) for p in leaves) <= 0.01 + 1e-7
  assert max(float(jnp.abs(p).max()) for p in leaves) == pytest.approx(0.01)  # it binds


def test_spectral_norm_brings_the_top_singular_value_to_one():
  config = tiny_gan()
  config.model.spectral_norm = True
  family = train.build(config, (2,))
  state = family.init_state(0)
  step_fn = jax.jit(family.train_step)
  for s in range(30):
    state, _ = _step(family, state, s, step_fn)
  raw_tops = []
  for layer_stats in state.disc.collections["batch_stats"].values():
    for name, sigma in layer_stats.items():
      if name.endswith("/kernel/sigma"):
        kernel = np.asarray(state.disc.params[name.split("/")[0]]["kernel"])
        top = np.linalg.svd(kernel, compute_uv=False)[0]
        assert top / float(sigma) == pytest.approx(1.0, abs=0.05)  # W / sigma has norm ~1
        raw_tops.append(top)
  assert len(raw_tops) == 3
  assert max(abs(t - 1.0) for t in raw_tops) > 0.1  # the raw kernels are not normalized


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3)])
def test_dcgan_shapes(size, channels):
  g = gan.DCGANGenerator(8, (size, size, channels))
  d = gan.DCGANDiscriminator(8)
  z = jnp.zeros((2, 16))
  g_vars = g.init(jax.random.PRNGKey(0), z, train=False)
  x = g.apply(g_vars, z, train=False)
  assert x.shape == (2, size, size, channels) and float(jnp.abs(x).max()) <= 1.0
  d_vars = d.init(jax.random.PRNGKey(1), x, train=False)
  assert d.apply(d_vars, x, train=False).shape == (2,)


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_sampling_returns_the_requested_classes(conditioning):
  config = tiny_gan()
  config.data.name = "digits"
  config.data.value_range = "-1,1"
  config.model.generator = config.model.discriminator = "dcgan"
  config.model.width = 8
  config.model.latent_dim = 8
  config.model.conditioning = conditioning
  family = train.build(config, (8, 8, 1), num_classes=10)
  state = family.init_state(0)
  batch = {"image": jnp.zeros((32, 8, 8, 1)), "label": jnp.arange(32) % 10}
  state, _ = jax.jit(family.train_step)(state, batch, jax.random.PRNGKey(0))
  key = jax.random.PRNGKey(5)
  threes = family.sample(state, key, 4, labels=jnp.full((4,), 3))
  sevens = family.sample(state, key, 4, labels=jnp.full((4,), 7))
  assert threes.shape == sevens.shape == (4, 8, 8, 1)
  assert not np.allclose(threes, sevens)  # same noise, other class: another image


def test_diffaugment_keeps_shapes_and_passes_gradients():
  x = jax.random.uniform(jax.random.PRNGKey(0), (4, 16, 16, 3), minval=-1, maxval=1)
  policies = augment.parse("color,translation,cutout")
  y = augment.diff_augment(jax.random.PRNGKey(1), x, policies)
  assert y.shape == x.shape and not np.allclose(x, y)
  np.testing.assert_array_equal(y, augment.diff_augment(jax.random.PRNGKey(1), x, policies))
  grad = jax.grad(lambda v: augment.diff_augment(jax.random.PRNGKey(1), v, policies).sum())(x)
  assert float(jnp.abs(grad).sum()) > 0
  cut = augment.cutout(jax.random.PRNGKey(2), jnp.ones((3, 8, 8, 1)))
  holes = 64 - np.asarray(cut.reshape(3, -1).sum(1))
  assert np.all((holes >= 4) & (holes <= 16))  # a 4x4 hole each, clipped at the border
  with pytest.raises(GenjaxError, match="rotate"):
    augment.parse("color,rotate")


def test_instance_noise_anneals_to_zero():
  family = train.build(tiny_gan(instance_noise=1.0, instance_noise_steps=100), (2,))
  x = jnp.zeros((5000, 2))
  key = jax.random.PRNGKey(0)
  assert float(family._d_input(x, key, 0.0, "real").std()) == pytest.approx(1.0, abs=0.05)
  assert float(family._d_input(x, key, 50.0, "real").std()) == pytest.approx(0.5, abs=0.05)
  assert float(jnp.abs(family._d_input(x, key, 100.0, "real")).max()) == 0.0


def test_unknown_loss_and_incompatible_output_are_refused():
  with pytest.raises(GenjaxError, match="non_saturating.*wgan_gp.*hinge"):
    train.build(tiny_gan(name="wgan-gp"), (2,))
  config = tiny_gan(name="wasserstein")
  config.model.sigmoid_output = True
  with pytest.raises(GenjaxError, match="unbounded"):
    train.build(config, (2,))
  config = tiny_gan()
  config.model.conditioning = "projection"
  with pytest.raises(GenjaxError, match="labelled"):
    models.build(config.model, (2,), 0)


def test_gan_resume_with_ema_and_spectral_norm_is_bit_exact(tmp_path):
  config = tiny_gan(name="hinge")
  config.model.spectral_norm = True
  config.ema_decay = 0.9
  straight = train.train_and_evaluate(config, str(tmp_path / "straight"))
  interrupted = str(tmp_path / "interrupted")
  train.train_and_evaluate(config, interrupted)
  shutil.rmtree(os.path.join(interrupted, "checkpoints", "20"))
  resumed = train.train_and_evaluate(config, interrupted)
  for a, b in zip(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed)),
                  strict=True):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(jax.tree.leaves(resumed.ema_params)[0],
                            jax.tree.leaves(resumed.gen.params)[0])


def smoothed_d(d_real_B, d_fake_B, real_target: float = 0.9):
  """The README's worked example of a new GAN loss."""
  real = real_target * jax.nn.softplus(-d_real_B) + (1 - real_target) * jax.nn.softplus(d_real_B)
  return jnp.mean(real + jax.nn.softplus(d_fake_B))


def test_a_new_gan_loss_is_a_function_pair_and_a_config(monkeypatch):
  from genjax import losses
  real, fake = jnp.array([2.0, -1.0]), jnp.array([0.5, -3.0])
  assert float(smoothed_d(real, fake, 1.0)) == pytest.approx(float(losses.minimax_d(real, fake)))
  monkeypatch.setitem(losses.GAN_LOSSES, "smoothed", (smoothed_d, losses.non_saturating_g, False))
  family = train.build(tiny_gan(name="smoothed"), (2,))
  state, metrics = _step(family, family.init_state(0))
  assert int(state.step) == 1 and np.isfinite(float(metrics["d_loss"]))


def test_a_short_ring8_run_covers_at_least_seven_modes(tmp_path):
  config = gan_ring8.get_config()
  config.model.hidden = (128, 128, 128)
  config.batch_size = 256
  config.num_steps = 2000
  config.steps_per_call = 100
  config.log_every = 500
  config.eval_every = config.checkpoint_every = 2000
  config.optim.learning_rate = 1e-3
  config.ema_decay = 0.99
  state = train.train_and_evaluate(config, str(tmp_path / "ring"))
  result = train.build(config, (2,)).evaluate(state)
  assert result["eval/modes"] >= 7 and result["eval/high_quality"] > 0.5
  from PIL import Image  # pylint: disable=g-import-not-at-top
  histogram = Image.open(tmp_path / "ring" / "samples" / "samples_0002000.png")
  assert 128 <= histogram.size[0] < 256  # a 128 px histogram, not upscaled like 8 px digits


def test_latent_codes_extend_the_prior_with_a_uniform_one_hot_code():
  config = tiny_gan()
  config.model.latent_codes = 5
  family = train.build(config, (2,))
  z = family.latent(jax.random.PRNGKey(0), 4000)
  assert z.shape == (4000, config.model.latent_dim + 5)
  codes = np.asarray(z[:, -5:])
  np.testing.assert_array_equal(codes.sum(1), 1.0)
  np.testing.assert_allclose(codes.mean(0), 0.2, atol=0.03)
  state, _ = _step(family, family.init_state(0))
  assert family.sample(state, jax.random.PRNGKey(1), 7).shape == (7, 2)


def test_sample_and_evaluate_mains_on_a_gan_workdir(tmp_path):
  from genjax import workdirs
  config = tiny_gan()
  workdir = str(tmp_path / "ring")
  train.train_and_evaluate(config, workdir)
  points = workdirs.sample(workdir, 50, seed=3)
  assert points.shape == (50, 2)
  np.testing.assert_array_equal(points, workdirs.sample(workdir, 50, seed=3))
  with pytest.raises(GenjaxError, match="not class-conditional"):
    workdirs.sample(workdir, 5, seed=0, label=3)
  step, metrics = workdirs.evaluate(workdir)
  assert step == 20 and set(metrics) == {"eval/modes", "eval/high_quality", "eval/kl"}
