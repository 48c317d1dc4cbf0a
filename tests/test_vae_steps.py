"""VAE train/eval steps: learning, the IWAE bound's ordering, sampling determinism."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import losses as losses_lib
from genjax import families
from genjax.families import DataInfo
from genjax.data import pipeline
from genjax.errors import GenjaxError
from tests.conftest import assert_draws_and_reconstructs_classes, tiny


@pytest.fixture(scope="module")
def trained():
  """A small MLP VAE trained for 300 steps on digits, and its eval images."""
  config = tiny()
  config.model.encoder.hidden = config.model.decoder.hidden = (64,)
  config.model.latent_dim = 8
  config.num_steps = 300
  dataset = data_lib.load(config.data)
  family = families.build(config, DataInfo(dataset.image_shape))
  state = family.init_state(config.seed)
  x = jnp.asarray(dataset.train_images)
  losses = []
  step = jax.jit(family.train_step)
  for s in range(config.num_steps):
    key = jax.random.PRNGKey(s)
    batch = {"image": pipeline.preprocess(x[(s * 32) % 1400:(s * 32) % 1400 + 32], key, config.data)}
    state, metrics = step(state, batch, key)
    losses.append(float(metrics["loss"]))
  eval_x = pipeline.fixed_eval_images(dataset.eval_images[:200], 0, config.data)
  return family, state, eval_x, losses


@pytest.mark.slow
def test_training_reduces_the_loss_and_uses_the_latent(trained):
  family, state, eval_x, losses = trained
  assert np.mean(losses[-20:]) < 0.8 * np.mean(losses[:20])
  # A decoder that ignored z would reach the loss bar too: the latent must carry information
  # (KL well above 0) and reconstructions must beat the best z-independent image (the mean),
  # measured against the grey-level images the binarized ones were drawn from.
  mean, log_std = family.predict["encode"](state, eval_x)
  assert float(jnp.mean(losses_lib.kl_diag_gaussian_standard_normal(mean, log_std))) > 0.5
  grey = jnp.asarray(data_lib.load(tiny().data).eval_images[:200])
  recon = family.predict["reconstruct"](state, eval_x)
  mean_image = jnp.mean(grey, 0, keepdims=True)
  assert float(jnp.mean((recon - grey) ** 2)) < 0.95 * float(jnp.mean((mean_image - grey) ** 2))


@pytest.mark.slow
def test_training_with_the_iwae_objective_reduces_its_loss():
  config = tiny()
  config.loss.vae.name, config.loss.vae.num_samples = "iwae", 4
  family = families.build(config, DataInfo((8, 8, 1)))
  x = jnp.asarray(data_lib.load(config.data).train_images[:64] > 0.5, jnp.float32)
  step = jax.jit(family.train_step)
  state, first = step(family.init_state(0), {"image": x}, jax.random.PRNGKey(0))
  for s in range(1, 100):
    state, metrics = step(state, {"image": x}, jax.random.PRNGKey(s))
  assert float(metrics["loss"]) < 0.8 * float(first["loss"])


@pytest.mark.slow
def test_iwae_bound_tightens_with_k_and_lies_under_the_elbo_bound(trained):
  family, state, eval_x, _ = trained
  key = jax.random.PRNGKey(7)
  predict = family.predict
  neg_elbo = float(jnp.mean(jnp.stack(
      [predict["neg_elbo"](state, eval_x, jax.random.fold_in(key, i)) for i in range(20)])))
  nll = {k: float(predict["iwae_nll"](state, eval_x, key, k, min(k, 50)).mean())
         for k in (1, 10, 100, 1000)}
  assert nll[1] == pytest.approx(neg_elbo, rel=0.02)  # k=1 is the ELBO
  assert nll[1000] < nll[100] < nll[10] < nll[1]
  assert neg_elbo - nll[1000] > 0.1  # a real gap, not noise


@pytest.mark.slow
def test_iwae_chunk_must_divide_k(trained):
  family, state, eval_x, _ = trained
  with pytest.raises(GenjaxError, match="multiple"):
    family.predict["iwae_nll"](state, eval_x, jax.random.PRNGKey(0), 10, 3)


@pytest.mark.slow
def test_sampling_is_deterministic_in_the_key(trained):
  family, state, *_ = trained
  a = family.predict["sample"](state, jax.random.PRNGKey(0), 5)
  b = family.predict["sample"](state, jax.random.PRNGKey(0), 5)
  c = family.predict["sample"](state, jax.random.PRNGKey(1), 5)
  assert a.shape == (5, 8, 8, 1) and 0.0 <= float(a.min()) and float(a.max()) <= 1.0
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


@pytest.mark.slow
def test_autoregressive_sampling_draws_each_pixel_from_its_conditional():
  """Pixels are binary, change with the key, and each pixel's frequency over many samples
  matches the mean of its teacher-forced probability given the earlier pixels drawn."""
  config = tiny()
  config.model.decoder.ar_channels = 8
  family = families.build(config, DataInfo((8, 8, 1)))
  state = family.init_state(0)
  net = state.nets["vae"]
  params = jax.tree.map(lambda p: p * 3.0, net.params)  # Sharper, pixel-dependent probabilities.
  state = state.replace(nets={"vae": net.replace(params=params)})
  sample = jax.jit(family.predict["sample"], static_argnums=2)
  samples = sample(state, jax.random.PRNGKey(0), 2000)
  assert samples.shape == (2000, 8, 8, 1) and set(np.unique(samples)) == {0.0, 1.0}
  assert not np.array_equal(samples[:5], sample(state, jax.random.PRNGKey(1), 5))
  model = family.predict  # Teacher-forced probabilities of the drawn samples, at their z:
  from genjax import models, rng as rng_lib  # pylint: disable=g-import-not-at-top
  vae_module = models.build_vae(config.model, (8, 8, 1))
  z = jax.random.normal(rng_lib.purpose_key(jax.random.PRNGKey(0), "prior"), (2000, 4))
  logits = vae_module.apply({"params": params}, z, samples, method="decode")
  probs = np.asarray(jax.nn.sigmoid(logits)).mean(0)
  freqs = np.asarray(samples).mean(0)
  assert np.abs(freqs - probs).max() < 0.05  # 2000 draws: ~0.011 standard error.
  assert probs.std() > 0.05  # The check is not trivially met by constant probabilities.
  del model


@pytest.mark.slow
def test_gaussian_likelihood_learns_its_scale():
  config = tiny()
  config.model.decoder.likelihood = "gaussian"
  config.model.decoder.learn_scale = True
  config.model.decoder.log_scale = 0.0
  config.optim.learning_rate = 1e-2  # Adam moves log_scale ~lr per step.
  config.data.dynamic_binarization = False
  family = families.build(config, DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jnp.asarray(data_lib.load(config.data).train_images[:64])
  step = jax.jit(family.train_step)
  for s in range(200):
    state, _ = step(state, {"image": x}, jax.random.PRNGKey(s))
  log_scale = float(state.nets["vae"].params["log_scale"][0])
  assert log_scale < -0.5  # The scale shrank from 1 to fit the data...
  residual = float(jnp.mean((family.predict["reconstruct"](state, x) - x) ** 2))
  # ...to the maximum-likelihood variance given the reconstructions: exp(2 log_scale) ~ MSE
  # (a decoder outputting zeros would have MSE ~ E[x^2], far from a shrunken scale).
  assert np.exp(2 * log_scale) == pytest.approx(residual, rel=0.5)


def test_bernoulli_needs_unit_value_range():
  config = tiny()
  config.data.value_range = "-1,1"
  with pytest.raises(GenjaxError, match="bernoulli"):
    families.build(config, DataInfo((8, 8, 1)))


def kl_floor_elbo(terms, beta: float = 1.0, floor: float = 5.0):
  """The README's worked example of a new loss."""
  reconstruction = -terms["log_px_SxB"].mean(0)
  loss = jnp.mean(reconstruction + beta * jnp.maximum(terms["kl_B"], floor))
  return loss, {"loss": loss, "reconstruction": reconstruction.mean(), "kl": terms["kl_B"].mean()}


def test_a_new_loss_is_a_function_and_a_config(monkeypatch):
  from genjax import losses
  monkeypatch.setitem(losses.VAE_OBJECTIVES, "kl_floor", kl_floor_elbo)
  config = tiny()
  config.loss.vae.name = "kl_floor"
  family = families.build(config, DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jnp.asarray(data_lib.load(config.data).train_images[:32])
  new_state, metrics = jax.jit(family.train_step)(state, {"image": x}, jax.random.PRNGKey(0))
  # At init the KL is ~0, so the floor binds: loss = reconstruction + 5.
  assert float(metrics["kl"]) < 1.0
  assert float(metrics["loss"]) == pytest.approx(float(metrics["reconstruction"]) + 5.0, rel=1e-5)
  assert int(new_state.step) == 1
  config.loss.vae.name = "kl_flor"
  with pytest.raises(GenjaxError, match="kl_floor"):
    families.build(config, DataInfo((8, 8, 1)))


def test_a_loss_hyperparameter_comes_from_its_config_section(monkeypatch):
  """A registered objective's keywords are config fields of loss.vae: floor=2 binds at init
  (KL ~0), so loss = reconstruction + 2; a field no objective takes is refused by name."""
  from genjax import losses
  monkeypatch.setitem(losses.VAE_OBJECTIVES, "kl_floor", kl_floor_elbo)
  config = tiny()
  config.loss.vae.name = "kl_floor"
  config.loss.vae.floor = 2.0
  family = families.build(config, DataInfo((8, 8, 1)))
  x = jnp.asarray(data_lib.load(config.data).train_images[:32])
  _, metrics = jax.jit(family.train_step)(family.init_state(0), {"image": x},
                                           jax.random.PRNGKey(0))
  assert float(metrics["loss"]) == pytest.approx(float(metrics["reconstruction"]) + 2.0, rel=1e-5)
  config.loss.vae.name = "elbo"
  with pytest.raises(GenjaxError, match=r"unknown config field loss.vae.floor: valid loss.vae"
                                        r" fields are \(.*'free_bits'.*'kl_warmup_steps'"):
    families.build(config, DataInfo((8, 8, 1)))


@pytest.mark.parametrize("field, value, message", [
    ("free_bits", 0.5, "loss.vae.free_bits=0.5: the 'iwae' objective takes no free_bits"),
    ("kl_warmup_steps", 100, "the 'iwae' objective takes no kl_warmup_steps"),
])
def test_a_kl_schedule_on_the_iwae_bound_is_refused(field, value, message):
  config = tiny()
  config.loss.vae.name = "iwae"
  config.loss.vae[field] = value
  with pytest.raises(GenjaxError, match=message):
    families.build(config, DataInfo((8, 8, 1)))


def test_negative_warm_up_and_free_bits_are_refused_in_one_error():
  config = tiny()
  config.loss.vae.update(kl_warmup_steps=-1, free_bits=-0.5)
  with pytest.raises(GenjaxError) as error:
    families.build(config, DataInfo((8, 8, 1)))
  assert str(error.value).splitlines() == [
      "loss.vae.kl_warmup_steps=-1 must be >= 0 (0: off)",
      "loss.vae.free_bits=-0.5 must be >= 0 nats (0: off)"]


def test_iwae_with_a_kl_weight_is_refused():
  config = tiny()
  config.loss.vae.name, config.loss.vae.beta = "iwae", 0.5
  with pytest.raises(GenjaxError, match="loss.vae.beta=0.5 has no meaning for loss.vae.name='iwae'"):
    families.build(config, DataInfo((8, 8, 1)))


@pytest.mark.slow
def test_gradient_clipping_and_weight_decay_act_inside_a_train_step():
  x = jnp.asarray(data_lib.load(tiny().data).train_images[:32] > 0.5, jnp.float32)

  def first_moments(**optim):
    config = tiny()
    config.optim.update(optim)
    family = families.build(config, DataInfo((8, 8, 1)))
    state, _ = jax.jit(family.train_step)(family.init_state(0), {"image": x},
                                          jax.random.PRNGKey(0))
    adam = state.nets["vae"].opt_state[-1 if not optim.get("weight_decay") else -2]
    return state, jnp.sqrt(sum(jnp.sum(m**2) for m in jax.tree.leaves(adam.mu)))

  plain, plain_norm = first_moments()
  _, clipped_norm = first_moments(grad_clip_norm=0.01)
  # Adam's first moment after one step is (1 - b1) * gradient: clipped to norm 0.01.
  assert float(plain_norm) > 0.1 * 0.01 * 10 and float(clipped_norm) == pytest.approx(0.1 * 0.01,
                                                                                       rel=1e-4)
  decayed, _ = first_moments(weight_decay=0.5)
  moved = [float(jnp.abs(a - b).max()) for a, b in zip(
      jax.tree.leaves(plain.nets["vae"].params), jax.tree.leaves(decayed.nets["vae"].params))]
  assert max(moved) > 1e-6  # Decoupled decay: lr * 0.5 * param more, per weight.


@pytest.mark.slow
def test_a_conditional_vae_draws_the_requested_class():
  """Labels into encoder and decoder: samples of class c are classified as c far above
  chance (10%) by a logistic regression trained on the digits."""
  config = tiny()
  config.model.conditioning = "concat"
  config.model.latent_dim = 2  # Little room for the class: the label must carry it.
  config.optim.learning_rate = 3e-3
  dataset = data_lib.load(config.data)
  family = families.build(config, DataInfo(dataset.image_shape, dataset.num_classes))
  assert family.num_classes == 10
  state, step = family.init_state(0), jax.jit(family.train_step)
  x, y = jnp.asarray(dataset.train_images), jnp.asarray(dataset.train_labels, jnp.int32)
  for i in range(400):
    rows = jax.random.randint(jax.random.PRNGKey(i), (64,), 0, len(x))
    batch = {"image": (x[rows] > 0.5).astype(jnp.float32), "label": y[rows]}
    state, _ = step(state, batch, jax.random.PRNGKey(10_000 + i))
  assert_draws_and_reconstructs_classes(family, state, dataset)
