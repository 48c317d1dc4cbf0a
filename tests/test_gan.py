"""GAN networks and train step: n_critic, clipping, spectral norm, conditioning, EMA, resume."""
import logging
import os
import shutil

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from configs import dcgan_digits
from configs import gan_ring8
from genjax import diffaugment, evaluators, families, losses, models, optim, train
from genjax.errors import GenjaxError
from genjax.families import DataInfo
from genjax.families import common
from genjax.families import gan as gan_family
from genjax.models import gan
from tests.conftest import class_hits, ring8_recipe_before, tiny_gan


def _counts(opt_state):
  return [int(s.count) for s in jax.tree.leaves(
      opt_state, is_leaf=lambda s: isinstance(s, optax.ScaleByAdamState))
          if isinstance(s, optax.ScaleByAdamState)]


def _step(family, state, seed=0, step_fn=None):
  batch = {"image": jax.random.normal(jax.random.PRNGKey(seed), (family.examples_per_step, 2))}
  return (step_fn or jax.jit(family.train_step))(state, batch, jax.random.PRNGKey(seed + 1))


def tiny_dcgan(conditioning="none", spectral_norm=False):
  config = dcgan_digits.get_config()
  config.model.generator.width = config.model.discriminator.width = 8
  config.model.latent_dim, config.batch_size = 8, 16
  config.model.conditioning = conditioning
  config.model.discriminator.spectral_norm = spectral_norm
  return config


def _image_batch(family, seed=0):
  n = family.examples_per_step
  return {"image": jax.random.uniform(jax.random.PRNGKey(seed), (n, 8, 8, 1), minval=-1),
          "label": jnp.arange(n) % 10}


@pytest.mark.slow
def test_n_critic_really_performs_n_discriminator_updates():
  family = families.build(tiny_gan(n_critic=3), DataInfo((2,)))
  state, metrics = _step(family, family.init_state(0))
  assert _counts(state.nets["disc"].opt_state) == [3] and _counts(state.nets["gen"].opt_state) == [1]
  assert family.examples_per_step == 3 * 32 and "g_loss" in metrics


@pytest.mark.slow
def test_weight_clipping_bounds_every_critic_weight():
  config = tiny_gan(name="wasserstein", weight_clip=0.01)
  config.optim.learning_rate = 0.1
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  step_fn = jax.jit(family.train_step)
  for s in range(3):
    state, _ = _step(family, state, s, step_fn)
  leaves = jax.tree.leaves(state.nets["disc"].params)
  assert max(float(jnp.abs(p).max()) for p in leaves) <= 0.01 + 1e-7
  assert max(float(jnp.abs(p).max()) for p in leaves) == pytest.approx(0.01)  # it binds


@pytest.mark.slow
def test_spectral_norm_brings_the_top_singular_value_to_one():
  config = tiny_gan()
  config.model.discriminator.spectral_norm = True
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  step_fn = jax.jit(family.train_step)
  for s in range(30):
    state, _ = _step(family, state, s, step_fn)
  raw_tops = []
  for layer_stats in state.nets["disc"].collections["batch_stats"].values():
    for name, sigma in layer_stats.items():
      if name.endswith("/kernel/sigma"):
        kernel = np.asarray(state.nets["disc"].params[name.split("/")[0]]["kernel"])
        top = np.linalg.svd(kernel, compute_uv=False)[0]
        assert top / float(sigma) == pytest.approx(1.0, abs=0.05)  # W / sigma has norm ~1
        raw_tops.append(top)
  assert len(raw_tops) == 3
  assert max(abs(t - 1.0) for t in raw_tops) > 0.1  # the raw kernels are not normalized


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_sampling_returns_the_requested_classes(conditioning):
  config = tiny_gan()
  config.data.name = "digits"
  config.data.value_range = "-1,1"
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 8
  config.model.latent_dim = 8
  config.model.conditioning = conditioning
  family = families.build(config, DataInfo((8, 8, 1), num_classes=10))
  state = family.init_state(0)
  batch = {"image": jnp.zeros((32, 8, 8, 1)), "label": jnp.arange(32) % 10}
  state, _ = jax.jit(family.train_step)(state, batch, jax.random.PRNGKey(0))
  key = jax.random.PRNGKey(5)
  threes = family.predict["sample"](state, key, 4, labels=jnp.full((4,), 3))
  sevens = family.predict["sample"](state, key, 4, labels=jnp.full((4,), 7))
  assert threes.shape == sevens.shape == (4, 8, 8, 1)
  assert not np.allclose(threes, sevens)  # same noise, other class: another image


@pytest.mark.slow
def test_diffaugment_keeps_shapes_and_passes_gradients():
  x = jax.random.uniform(jax.random.PRNGKey(0), (4, 16, 16, 3), minval=-1, maxval=1)
  policies = diffaugment.parse("color,translation,cutout")
  y = diffaugment.diff_augment(jax.random.PRNGKey(1), x, policies)
  assert y.shape == x.shape and not np.allclose(x, y)
  np.testing.assert_array_equal(y, diffaugment.diff_augment(jax.random.PRNGKey(1), x, policies))
  grad = jax.grad(lambda v: diffaugment.diff_augment(jax.random.PRNGKey(1), v, policies).sum())(x)
  assert float(jnp.abs(grad).sum()) > 0
  cut = diffaugment.cutout(jax.random.PRNGKey(2), jnp.ones((3, 8, 8, 1)))
  holes = 64 - np.asarray(cut.reshape(3, -1).sum(1))
  assert np.all((holes >= 4) & (holes <= 16))  # a 4x4 hole each, clipped at the border
  with pytest.raises(GenjaxError, match="rotate"):
    diffaugment.parse("color,rotate")


def test_instance_noise_anneals_to_zero():
  cfg = tiny_gan(instance_noise=1.0, instance_noise_steps=100).loss.gan
  x = jnp.zeros((5000, 2))
  key = jax.random.PRNGKey(0)
  d_input = lambda step: gan_family.d_input(x, key, step, cfg, (), "real", common.Runtime())
  assert float(d_input(0.0).std()) == pytest.approx(1.0, abs=0.05)
  assert float(d_input(50.0).std()) == pytest.approx(0.5, abs=0.05)
  assert float(jnp.abs(d_input(100.0)).max()) == 0.0


def test_unknown_loss_and_incompatible_output_are_refused():
  with pytest.raises(GenjaxError, match="non_saturating.*hinge.*ragan.*loss.gan.penalties"):
    families.build(tiny_gan(name="wgan_gp"), DataInfo((2,)))
  config = tiny_gan()
  config.loss.gan.penalties.gp_typo = 1.0
  with pytest.raises(GenjaxError, match=r"loss.gan.penalties.gp_typo: valid are \('gp', 'r1', 'cr'\)"):
    families.build(config, DataInfo((2,)))
  config = tiny_gan(name="wasserstein")
  config.model.discriminator.sigmoid_output = True
  with pytest.raises(GenjaxError, match="unbounded"):
    families.build(config, DataInfo((2,)))
  config = tiny_gan()
  config.model.conditioning = "projection"
  with pytest.raises(GenjaxError, match="labelled"):
    models.build_gan(config.model, (2,), 0)


@pytest.mark.slow
def test_gan_resume_with_ema_and_spectral_norm_is_bit_exact(tmp_path, caplog):
  config = tiny_gan(name="hinge")
  config.model.discriminator.spectral_norm = True
  config.ema_decay = 0.9
  straight = train.train_and_evaluate(config, str(tmp_path / "straight"))
  interrupted = str(tmp_path / "interrupted")
  train.train_and_evaluate(config, interrupted)
  shutil.rmtree(os.path.join(interrupted, "checkpoints", "20"))
  with caplog.at_level(logging.INFO):
    resumed = train.train_and_evaluate(config, interrupted)
  assert "at step 10" in caplog.text
  for a, b in zip(jax.tree.leaves(jax.device_get(straight)), jax.tree.leaves(jax.device_get(resumed)),
                  strict=True):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(jax.tree.leaves(resumed.ema["gen"]["params"])[0],
                            jax.tree.leaves(resumed.nets["gen"].params)[0])


def smoothed_d(d_real_B, d_fake_B, axis=None, real_target: float = 0.9):
  """A one-sided label-smoothed discriminator loss (a new loss is a function)."""
  real = real_target * jax.nn.softplus(-d_real_B) + (1 - real_target) * jax.nn.softplus(d_real_B)
  return jnp.mean(real + jax.nn.softplus(d_fake_B))


def test_a_new_gan_loss_is_a_function_pair_and_a_config(monkeypatch):
  real, fake = jnp.array([2.0, -1.0]), jnp.array([0.5, -3.0])
  assert float(smoothed_d(real, fake, real_target=1.0)) == pytest.approx(
      float(losses.minimax_d(real, fake)))
  monkeypatch.setitem(losses.GAN_LOSSES, "smoothed",
                      losses.GANLoss(smoothed_d, losses.non_saturating_g))
  family = families.build(tiny_gan(name="smoothed"), DataInfo((2,)))
  state, metrics = _step(family, family.init_state(0))
  assert int(state.step) == 1 and np.isfinite(float(metrics["d_loss"]))


def test_ragan_trains_and_its_generator_loss_reads_the_real_batch():
  """The README's worked example: RaGAN is registered like any loss; its G loss sees D's
  scores on real data through the wider seam."""
  key = jax.random.PRNGKey(1)
  batch = {"image": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  shifted = {"image": batch["image"] + 3.0}
  g_losses = {}
  for name in ("ragan", "non_saturating"):
    config = tiny_gan(name=name)
    config.optim.disc.learning_rate = 1e-30  # D stays put: only the seam can carry real scores.
    family = families.build(config, DataInfo((2,)))
    step = jax.jit(family.train_step)
    state = family.init_state(0)
    g_losses[name] = [float(step(state, b, key)[1]["g_loss"]) for b in (batch, shifted)]
  ragan, plain = g_losses["ragan"], g_losses["non_saturating"]
  assert ragan[0] != pytest.approx(ragan[1], rel=1e-4)  # Reads the real scores...
  assert plain[0] == pytest.approx(plain[1], rel=1e-6)  # ...which a plain G loss never sees.


def drift_penalty(critic, x_real, x_fake, key, axis=None):
  """Progressive GAN's drift term E[D(x_real)^2] (a new penalty is a function)."""
  return jnp.mean(critic(x_real) ** 2)


def test_a_new_penalty_is_a_function_and_a_config_weight(monkeypatch):
  monkeypatch.setitem(losses.PENALTIES, "drift", drift_penalty)
  config = tiny_gan(name="wasserstein")
  config.loss.gan.penalties.drift = 0.001
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  batch = {"image": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  _, metrics = jax.jit(family.train_step)(state, batch, jax.random.PRNGKey(1))
  scores = family.predict["score"](state, batch["image"])  # Same D params, eval mode.
  assert float(metrics["drift"]) == pytest.approx(float(jnp.mean(scores**2)), rel=1e-4)
  assert float(metrics["d_loss"]) == pytest.approx(float(metrics["d_fake"] - metrics["d_real"]),
                                                   rel=1e-4, abs=1e-6)


@pytest.mark.slow
def test_a_short_ring8_run_covers_at_least_seven_modes(tmp_path):
  config = gan_ring8.get_config()
  config.model.generator.hidden = config.model.discriminator.hidden = (128, 128, 128)
  config.batch_size = 256
  config.num_steps = 2000
  config.steps_per_call = 100
  config.log_every = 500
  config.eval_every = config.checkpoint_every = 2000
  config.optim.learning_rate = 1e-3
  config.ema_decay = 0.99
  # The ring recipe before the shipped one, which needs its 10k steps (scaled to 2k steps it
  # gives 7-8 modes at 80-87%).
  ring8_recipe_before(config)
  state = train.train_and_evaluate(config, str(tmp_path / "ring"))
  family = families.build(config, DataInfo((2,)))
  result = evaluators.run(evaluators.build(config, family), state, None)
  # Seeds 0-2 reach 8 modes and 89-92% high quality at this size (that recipe's 5k steps at
  # batch 512: ~97%).
  assert result["eval/modes/modes"] == 8 and result["eval/modes/high_quality"] > 0.85
  from PIL import Image  # pylint: disable=g-import-not-at-top
  plot = Image.open(tmp_path / "ring" / "samples" / "samples_0002000.png")
  assert plot.mode == "RGB" and 300 <= plot.size[0] <= 600  # A scatter with axes, not upscaled.
  pixels = np.asarray(plot, np.int32)
  red = (pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
  assert red.sum() > 50  # The true modes, marked in red.


@pytest.mark.slow
def test_latent_codes_extend_the_prior_with_a_uniform_one_hot_code():
  config = tiny_gan()
  config.model.latent_codes = 5
  family = families.build(config, DataInfo((2,)))
  z = gan_family.latent(jax.random.PRNGKey(0), 4000, config.model.latent_dim, 5)
  assert z.shape == (4000, config.model.latent_dim + 5)
  codes = np.asarray(z[:, -5:])
  np.testing.assert_array_equal(codes.sum(1), 1.0)
  np.testing.assert_allclose(codes.mean(0), 0.2, atol=0.03)
  state, _ = _step(family, family.init_state(0))
  assert family.predict["sample"](state, jax.random.PRNGKey(1), 7).shape == (7, 2)


@pytest.mark.slow
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
  assert step == 20 and set(metrics) == {f"eval/modes/{raw}{m}" for raw in ("", "raw/")
                                         for m in ("modes", "high_quality", "kl", "spread")}


# --- fixes found in review (each fails on the code before the family contract) ---------------
def test_the_discriminator_schedule_follows_the_train_step_not_its_update_count():
  """Cosine decay to 0 over 4 train steps with n_critic=4: D must still learn at step 2
  (its rate reads the train step; counted per update it would be spent after step 1)."""
  config = tiny_gan(n_critic=4)
  config.num_steps = 4
  config.optim.schedule = "cosine"
  family = families.build(config, DataInfo((2,)))
  step = jax.jit(family.train_step)
  state, _ = _step(family, family.init_state(0), 0, step)
  after_one = jax.device_get(state.nets["disc"].params)
  state, _ = _step(family, state, 1, step)
  moved = [float(np.abs(a - b).max()) for a, b in zip(
      jax.tree.leaves(after_one), jax.tree.leaves(jax.device_get(state.nets["disc"].params)))]
  assert max(moved) > 1e-5


def test_the_ema_generator_has_its_own_batch_norm_statistics():
  config = tiny_dcgan()
  config.ema_decay = 0.5
  family = families.build(config, DataInfo((8, 8, 1)))
  state0 = family.init_state(0)
  state, _ = jax.jit(family.train_step)(state0, _image_batch(family), jax.random.PRNGKey(1))
  online = state.nets["gen"].collections["batch_stats"]
  ema = state.ema["gen"]["batch_stats"]
  expected = jax.tree.map(lambda e, o: 0.5 * e + 0.5 * o, state0.ema["gen"]["batch_stats"], online)
  for a, b in zip(jax.tree.leaves(ema), jax.tree.leaves(expected)):
    np.testing.assert_allclose(a, b, rtol=1e-6)
  key = jax.random.PRNGKey(2)
  with_ema_stats = family.predict["sample"](state, key, 4)
  swapped = state.replace(ema={"gen": {**state.ema["gen"], "batch_stats": online}})
  assert not np.allclose(with_ema_stats, family.predict["sample"](swapped, key, 4))


def test_sigmoid_output_keeps_the_generator_gradient_when_d_is_confident():
  """Losses read D's logit: at logit -30 on fakes the non-saturating loss still pulls G
  (a clipped inverse of the probability gave exactly zero there)."""
  config = tiny_gan()
  config.model.discriminator.sigmoid_output = True
  config.optim.disc.learning_rate = 1e-12  # Keep D (confident) where it is for the step.
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  disc = state.nets["disc"]
  params = {**disc.params, "score": {**disc.params["score"],
                                     "kernel": jnp.zeros_like(disc.params["score"]["kernel"]),
                                     "bias": jnp.full_like(disc.params["score"]["bias"], -30.0)}}
  state = state.replace(nets={**state.nets, "disc": disc.replace(params=params)})
  new_state, metrics = _step(family, state)
  assert float(metrics["g_loss"]) == pytest.approx(30.0, rel=1e-3)
  before = jax.tree.leaves(state.nets["gen"].params)
  after = jax.tree.leaves(new_state.nets["gen"].params)
  assert any(not np.allclose(a, b) for a, b in zip(before, after))


def test_the_projection_embedding_is_spectrally_normalised():
  family = families.build(tiny_dcgan(spectral_norm=True, conditioning="projection"),
                          DataInfo((8, 8, 1), 10))
  stats = family.init_state(0).nets["disc"].collections["batch_stats"]
  names = {name for layer in stats.values() for name in layer}
  assert "projection/embedding/sigma" in names, names


@pytest.mark.slow
def test_conditional_gradient_penalty_interpolates_within_a_class(monkeypatch):
  seen = []
  original = gan_family.generate

  def recording(g, rt, variables, key, num, model_cfg, num_classes, train, labels=None):
    seen.append(labels)
    return original(g, rt, variables, key, num, model_cfg, num_classes, train, labels)

  monkeypatch.setattr(gan_family, "generate", recording)
  for gp, labels_from_real in ((10.0, True), (0.0, False)):
    config = tiny_dcgan(conditioning="projection")
    config.model.discriminator.batch_norm = False  # A penalized critic has none.
    config.loss.gan.name = "wasserstein"
    config.loss.gan.penalties.gp = gp
    family = families.build(config, DataInfo((8, 8, 1), 10))
    seen.clear()
    family.train_step(family.init_state(0), _image_batch(family), jax.random.PRNGKey(0))
    assert (seen[0] is not None) == labels_from_real  # The critic's fakes.
    assert seen[-1] is None  # The generator update draws its own labels.


@pytest.mark.parametrize("penalty", ["gp", "r1"])
def test_a_penalty_on_a_batch_norm_discriminator_is_refused_in_one_line(penalty):
  """The penalty is taken in eval mode (running statistics) while D trains on batch
  statistics: it would constrain another function. Refused among the config's problems."""
  config = tiny_dcgan()
  assert config.model.discriminator.batch_norm
  config.loss.gan.penalties[penalty] = 10.0
  config.loss.gan.n_critic = 0  # Another problem: both lines come at once.
  with pytest.raises(GenjaxError) as refused:
    families.build(config, DataInfo((8, 8, 1)))
  lines = str(refused.value).splitlines()
  assert len(lines) == 2 and "loss.gan.n_critic=0" in lines[0], lines
  assert lines[1] == (f"loss.gan.penalties.{penalty}=10.0 needs a discriminator without batch"
                      " norm (a per-example input gradient through batch statistics is not the"
                      " penalty the papers define): set model.discriminator.batch_norm=False")
  config.loss.gan.n_critic = 1
  config.model.discriminator.batch_norm = False
  families.build(config, DataInfo((8, 8, 1)))
  ring = tiny_gan()  # An MLP D has no batch norm, whatever the flag says.
  ring.loss.gan.penalties[penalty] = 10.0
  families.build(ring, DataInfo((2,)))


@pytest.mark.parametrize("name", sorted(losses.GAN_LOSSES))
def test_every_gan_loss_trains_in_a_step_with_its_own_d_loss(name):
  family = families.build(tiny_gan(name=name), DataInfo((2,)))
  state = family.init_state(0)
  batch = {"image": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  new_state, metrics = jax.jit(family.train_step)(state, batch, jax.random.PRNGKey(1))
  assert int(new_state.step) == 1 and all(np.isfinite(float(v)) for v in metrics.values())
  d_real = family.predict["score"](state, batch["image"][:32])  # D before its update.
  assert float(metrics["d_real"]) == pytest.approx(float(d_real.mean()), rel=1e-4, abs=1e-5)


def test_ttur_gives_each_network_its_own_learning_rate():
  """Adam's first update moves every weight with a non-zero gradient by exactly the rate."""
  config = tiny_gan()
  config.optim.learning_rate, config.optim.disc.learning_rate = 1e-4, 4e-4
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  new_state, _ = _step(family, state)
  for net, rate in (("gen", 1e-4), ("disc", 4e-4)):
    moved = np.concatenate([np.abs(np.asarray(a) - np.asarray(b)).ravel() for a, b in zip(
        jax.tree.leaves(new_state.nets[net].params), jax.tree.leaves(state.nets[net].params))])
    assert np.median(moved[moved > 0]) == pytest.approx(rate, rel=0.01), net


@pytest.mark.slow
def test_a_batch_norm_discriminator_normalizes_real_and_fake_batches_separately():
  config = tiny_dcgan()  # DCGAN D with batch norm after every conv but the first (the paper).
  config.model.generator.width = config.model.discriminator.width = 4
  family = families.build(config, DataInfo((16, 16, 1)))
  disc = family.init_state(0).nets["disc"]
  assert any("BatchNorm" in name for name in disc.collections["batch_stats"])
  _, d = models.build_gan(config.model, (16, 16, 1), 0)
  opt = optim.make(config.optim, 10, "disc")
  real = jax.random.uniform(jax.random.PRNGKey(0), (8, 16, 16, 1), minval=-1)
  fakes = [jax.random.uniform(jax.random.PRNGKey(i), (8, 16, 16, 1), minval=-1) * i
           for i in (1, 2)]
  d_real = {}
  for separate in (True, False):
    d_real[separate] = [float(gan_family.critic_update(
        d, disc, opt, common.Runtime(), losses.GAN_LOSSES["non_saturating"], {}, real, fake,
        None, None, jax.random.PRNGKey(3), 0, 0.0, separate)[1]["d_real"]) for fake in fakes]
  assert d_real[True][0] == d_real[True][1]  # Real scores do not see the fake batch...
  assert d_real[False][0] != d_real[False][1]  # ...as they would in one mixed batch.


@pytest.mark.slow
def test_disc_features_returns_the_named_layers_output():
  config = tiny_dcgan()
  family = families.build(config, DataInfo((16, 16, 1)))
  state = family.init_state(0)
  _, d = models.build_gan(config.model, (16, 16, 1), 0)
  x = jax.random.uniform(jax.random.PRNGKey(0), (3, 16, 16, 1))
  variables = state.nets["disc"].variables
  first = gan_family.disc_features(d, common.Runtime(), variables, x, None, "Conv_0")
  width = config.model.discriminator.width
  assert first.shape == (3, 8, 8, width)
  import flax.linen as nn  # pylint: disable=g-import-not-at-top
  conv = nn.Conv(width, (4, 4), strides=(2, 2), padding="SAME")
  by_hand = conv.apply({"params": variables["params"]["Conv_0"]}, x)
  np.testing.assert_allclose(first, by_hand, rtol=1e-5, atol=1e-6)
  second = gan_family.disc_features(d, common.Runtime(), variables, x, None, "Conv_1")
  assert second.shape == (3, 4, 4, 2 * width)
  with pytest.raises(GenjaxError, match="no layer named 'Conv_9'"):
    gan_family.disc_features(d, common.Runtime(), variables, x, None, "Conv_9")


@pytest.mark.slow
def test_a_conditional_gan_draws_the_requested_class(tmp_path):
  """Samples of class c are classified as c far above chance (10%) by a logistic regression
  trained on the digits (96% on their eval split): 2,000 DCGAN steps on 8x8 digits reach ~77%."""
  from genjax import data as data_lib, workdirs  # pylint: disable=g-import-not-at-top
  config = dcgan_digits.get_config()
  config.model.conditioning = "concat"
  config.model.generator.width = config.model.discriminator.width = 16
  config.num_steps, config.log_every = 2000, 500
  config.eval_every = config.checkpoint_every = 2000
  workdir = str(tmp_path / "cgan")
  train.train_and_evaluate(config, workdir)
  dataset = data_lib.load(config.data)
  hits = class_hits(dataset, lambda c: workdirs.sample(workdir, 50, seed=0, label=c), "-1,1")
  assert np.mean(hits) > 0.5, np.round(hits, 2)


@pytest.mark.parametrize("penalty,weight", [("gp", 10.0), ("r1", 0.5)])
def test_a_configured_penalty_is_added_to_the_critic_loss_in_the_step(penalty, weight):
  config = tiny_gan(name="wasserstein")
  config.loss.gan.penalties[penalty] = weight
  batch = {"image": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  discs = []
  for w in (weight, 0.0):
    config.loss.gan.penalties[penalty] = w
    family = families.build(config, DataInfo((2,)))
    state, metrics = jax.jit(family.train_step)(family.init_state(0), batch, jax.random.PRNGKey(1))
    discs.append(jax.tree.leaves(state.nets["disc"].params))
    if w:  # d_loss is the objective's; each penalty is logged under its name.
      assert float(metrics[penalty]) > 0 and float(metrics["d_loss"]) == pytest.approx(
          float(metrics["d_fake"] - metrics["d_real"]), rel=1e-4, abs=1e-6)
    else:
      assert penalty not in metrics
  assert any(not np.allclose(a, b) for a, b in zip(*discs))  # The penalty moved D's update.


def test_pack_puts_consecutive_examples_into_one_input():
  x = jnp.arange(4 * 3, dtype=jnp.float32).reshape(4, 3)
  np.testing.assert_array_equal(gan.pack(x, 2), [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
  images = jax.random.normal(jax.random.PRNGKey(0), (6, 5, 5, 2))
  packed = gan.pack(images, 3)
  assert packed.shape == (2, 5, 5, 6)
  for p in range(2):  # Pack p holds images 3p, 3p+1, 3p+2 as channel groups, in order.
    np.testing.assert_array_equal(packed[p], jnp.concatenate(images[3 * p:3 * p + 3], -1))
  assert gan.pack(x, 1) is x


@pytest.mark.slow
def test_a_packing_discriminator_scores_packs_of_real_and_of_fake_examples():
  """PacGAN: the step's critic loss is the objective on D's scores of packed real and
  packed fake batches (rebuilt by hand from the same keys), D's input is m examples wide,
  and the `score` predict function still gives one logit per example."""
  config = tiny_gan()
  config.model.discriminator.pack = 4
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  assert state.nets["disc"].params["Dense_0"]["kernel"].shape[0] == 4 * 2
  batch = {"image": jax.random.normal(jax.random.PRNGKey(0), (32, 2))}
  rng = jax.random.PRNGKey(1)
  _, metrics = jax.jit(family.train_step)(state, batch, rng)
  g, d = models.build_gan(config.model, (2,), 0)
  from genjax import rng as rng_lib  # pylint: disable=g-import-not-at-top
  key = jax.random.split(rng_lib.purpose_key(rng, "critic"), 1)[0]
  fake, _, _ = gan_family.generate(g, common.Runtime(), state.nets["gen"].variables, key, 32,
                                   config.model, 0, True)
  scores = [d.apply(state.nets["disc"].variables, gan.pack(x, 4)) for x in (batch["image"], fake)]
  assert scores[0].shape == (8,)
  by_hand = losses.GAN_LOSSES["non_saturating"].d(*scores)
  np.testing.assert_allclose(metrics["d_loss"], by_hand, rtol=1e-5)
  assert family.predict["score"](state, batch["image"][:5]).shape == (5,)


def test_per_layer_noise_has_a_learned_scale_and_its_own_key():
  config = tiny_gan()
  config.model.generator.noise_injection = 0.5
  family = families.build(config, DataInfo((2,)))
  state = family.init_state(0)
  scales = {k: v["scale"] for k, v in state.nets["gen"].params.items() if "Noise" in k}
  assert len(scales) == 2 and all(np.all(s == 0.5) and s.shape == (32,) for s in scales.values())
  z = family.predict["prior"](jax.random.PRNGKey(0), 16)
  decode = lambda st, key=None: family.predict["decode"](st, z, key=key, ema=False)
  k1, k2 = jax.random.PRNGKey(1), jax.random.PRNGKey(2)
  np.testing.assert_array_equal(decode(state, k1), decode(state, k1))  # Noise from the key.
  assert not np.allclose(decode(state, k1), decode(state, k2))
  z1 = family.predict["prior"](k1, 16)  # Sampling: the prior and the layers' noise from its key.
  np.testing.assert_array_equal(family.predict["sample"](state, k1, 16, ema=False),
                                family.predict["decode"](state, z1, key=k1, ema=False))
  params = {k: {"scale": 0 * v["scale"]} if "Noise" in k else v
            for k, v in state.nets["gen"].params.items()}
  quiet = state.replace(nets={**state.nets, "gen": state.nets["gen"].replace(params=params)})
  np.testing.assert_allclose(decode(quiet, k1), decode(quiet), atol=1e-6)  # scale * noise.
  new, _ = _step(family, state)
  assert all(not np.allclose(new.nets["gen"].params[k]["scale"], 0.5) for k in scales)


def test_image_noise_is_one_plane_per_example_scaled_per_channel():
  layer = gan.NoiseInjection(1.0)
  h = jnp.zeros((2, 4, 4, 3))
  params = layer.init(jax.random.PRNGKey(0), h)
  out = layer.apply(params, h, rngs={"noise": jax.random.PRNGKey(1)})
  np.testing.assert_array_equal(out[..., 0], out[..., 2])  # One plane, every channel.
  assert not np.allclose(out[0], out[1])  # Its own plane per example.
  scaled = layer.apply({"params": {"scale": jnp.array([1.0, 2.0, 0.0])}}, h,
                       rngs={"noise": jax.random.PRNGKey(1)})
  np.testing.assert_allclose(scaled[..., 1], 2 * out[..., 0])
  np.testing.assert_array_equal(scaled[..., 2], 0.0)
  np.testing.assert_array_equal(layer.apply(params, h), h)  # No 'noise' rng: no noise.


@pytest.mark.parametrize("field,value,match", [
    ("discriminator.pack", 0, r"pack=0 must be a positive integer"),
    ("discriminator.pack", 5, r"pack=5 must divide batch_size=32"),
    ("generator.noise_injection", -0.1, r"noise_injection=-0.1 must be >= 0"),
    ("discriminator.fourier_features", -1, r"fourier_features=-1 must be an integer >= 0"),
    ("discriminator.fourier_scale", 0.0, r"fourier_scale=0.0 must be > 0"),
])
def test_bad_remedy_settings_are_refused(field, value, match):
  config = tiny_gan()
  part, name = field.split(".")
  config.model[part][name] = value
  with pytest.raises(GenjaxError, match=match):
    families.build(config, DataInfo((2,)))


def test_a_gan_workdir_from_before_noise_injection_and_packing_reads_as_without_them():
  from genjax import schema  # pylint: disable=g-import-not-at-top
  saved = tiny_gan().to_dict()
  del saved["model"]["generator"]["noise_injection"], saved["model"]["discriminator"]["pack"]
  del saved["model"]["discriminator"]["fourier_features"]
  del saved["model"]["discriminator"]["fourier_scale"]
  upgraded = schema.upgrade(saved)
  assert upgraded["model"]["generator"]["noise_injection"] == 0.0
  assert upgraded["model"]["discriminator"]["pack"] == 1
  assert upgraded["model"]["discriminator"]["fourier_features"] == 0
  del saved["loss"]["gan"]["generator_terms"], saved["loss"]["gan"]["margin"]
  upgraded = schema.upgrade(saved)
  assert upgraded["loss"]["gan"]["generator_terms"] == {}
  config = ml_collections.ConfigDict(upgraded)
  family = families.build(config, DataInfo((2,)))  # Opens as before: no term, the default margin.
  assert not family.setup.generator_terms and family.setup.objective.d is losses.minimax_d


@pytest.mark.parametrize("field, value, match", [
    ("margin", 0.5, r"loss.gan.margin=0.5: the 'non_saturating' objective takes no margin \(leave"
                    r" it at 1.0\); its hyperparameters are \('label_smoothing',\)"),
    ("label_smoothing", -0.1, r"loss.gan.label_smoothing=-0.1 must lie in \[0, 1\)"),
    ("generator_terms.matching", 1.0, r"loss.gan.generator_terms.matching=1.0: valid are weights"
                                      r" >= 0 of \('feature_matching',\)"),
])
def test_objective_hyperparameters_and_generator_terms_are_checked(field, value, match):
  config = tiny_gan()
  section = config.loss.gan
  *parts, name = field.split(".")
  for part in parts:
    section = section[part]
  section[name] = value
  with pytest.raises(GenjaxError, match=match):
    families.build(config, DataInfo((2,)))


def test_a_hyperparameter_reaches_the_objective_and_cr_is_refused_on_points():
  config = tiny_gan(name="hinge")
  config.loss.gan.margin = 0.25
  objective = families.build(config, DataInfo((2,))).setup.objective
  assert float(objective.d(jnp.array([0.0]), jnp.array([0.0]))) == pytest.approx(0.5)
  config.loss.gan.penalties.cr = 1.0
  with pytest.raises(GenjaxError, match="loss.gan.penalties.cr augments images; 2-D data has"):
    families.build(config, DataInfo((2,)))


@pytest.mark.slow
def test_fourier_features_feed_sinusoids_of_learned_projections_to_the_discriminator():
  """D(x) = score(concat[x, sin(x W), cos(x W)]) with W_DxF learned, drawn N(0, scale^2)."""
  d = gan.MLPDiscriminator((), fourier_features=3, fourier_scale=5.0)
  x_Bx2 = jax.random.normal(jax.random.PRNGKey(0), (4, 2))
  params = d.init(jax.random.PRNGKey(1), x_Bx2)["params"]
  w_2x3 = params["fourier"]
  assert w_2x3.shape == (2, 3) and 2.0 < float(jnp.std(w_2x3)) < 10.0
  kernel_8x1 = np.zeros((8, 1), np.float32)
  kernel_8x1[2 + 1] = 1.0   # sin of the second projection...
  kernel_8x1[2 + 3 + 2] = -2.0  # ...minus twice the cos of the third.
  score_B = d.apply({"params": {**params, "score": {"kernel": kernel_8x1,
                                                    "bias": np.zeros(1, np.float32)}}}, x_Bx2)
  angle_Bx3 = x_Bx2 @ w_2x3
  np.testing.assert_allclose(score_B, jnp.sin(angle_Bx3[:, 1]) - 2 * jnp.cos(angle_Bx3[:, 2]),
                             rtol=1e-5, atol=1e-6)


def test_fourier_features_are_refused_on_a_conv_discriminator():
  config = tiny_gan()
  config.model.discriminator.net = "dcgan"
  config.model.discriminator.fourier_features = 8
  assert ("model.discriminator.fourier_features=8 needs model.discriminator.net='mlp', not"
          " 'dcgan'") in models.gan_problems(config.model)
