"""The VAE-GAN: each parameter group is updated by the gradient of its own loss alone
(recomputed here from the networks, not from the family's code), the balancing switches,
the feature layer, and a short run that learns."""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from genjax import cli
from genjax import data as data_lib
from genjax import families
from genjax import models
from genjax import rng as rng_lib
from genjax import runs_cache
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families import init_from
from genjax.families import gan
from genjax.families import vaegan
from genjax.families import DataInfo
from tests.conftest import (assert_draws_and_reconstructs_classes, tiny, tiny_gan,
                            tiny_vaegan)

SHAPE = (8, 8, 1)


def _batch():
  return {"image": jnp.asarray(data_lib.load(tiny_vaegan().data).train_images[:32])}


def _first_moment(opt_state):
  """Adam's first moment mu: after one step it is (1 - b1) x the gradient the step applied."""
  is_adam = lambda node: isinstance(node, optax.ScaleByAdamState)
  (adam,) = [s for s in jax.tree.leaves(opt_state, is_leaf=is_adam) if is_adam(s)]
  return adam.mu


@pytest.mark.slow
def test_each_network_is_updated_by_its_own_loss_alone():
  """Encoder <- beta*KL + L_llike; decoder <- gamma*L_llike + G's adversarial loss; D <- its
  real-vs-fake loss. A step that summed the three backward passes (so the decoder helps D,
  or D learns from L_llike) fails this."""
  config = tiny_vaegan()
  config.loss.vaegan.beta, config.loss.vaegan.gamma = 0.5, 2.0
  family = families.build(config, DataInfo(SHAPE))
  state, batch, rng = family.init_state(0), _batch(), jax.random.PRNGKey(3)
  new, _ = jax.jit(family.train_step)(state, batch, rng)

  vae_module = models.build_vae(config.model, SHAPE)
  d = models.build_discriminator(config.model, SHAPE, 0)
  x, rt = batch["image"], common.Runtime()
  eps = rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "reparam"), (32, 4))
  z_prior = jax.random.normal(rng_lib.purpose_key(rng, "noise"), (32, 4))
  d_params = state.nets["disc"].params
  feats = lambda images: d.apply({"params": d_params}, images, train=False,
                                 capture_intermediates=lambda m, _: m.name == "Conv_0",
                                 mutable=["intermediates"])[1]["intermediates"]["Conv_0"][
                                     "__call__"][0]
  score = lambda images: d.apply({"params": d_params}, images, train=False)

  def parts(enc, dec):
    params = {**enc, **dec}
    mean, log_std = vae_module.apply({"params": params}, x, method="encode")
    decode = lambda z: jax.nn.sigmoid(vae_module.apply({"params": params}, z, method="decode"))
    x_tilde = decode(mean + jnp.exp(log_std) * eps)
    llike = 0.5 * jnp.sum((feats(x) - feats(x_tilde)).reshape(32, -1) ** 2, -1)
    kl = 0.5 * jnp.sum(mean**2 + jnp.exp(2 * log_std) - 1 - 2 * log_std, -1)
    return kl, llike, x_tilde, decode(z_prior)

  enc0, dec0 = state.nets["enc"].params, state.nets["dec"].params
  g_enc = jax.grad(lambda e: jnp.mean(0.5 * parts(e, dec0)[0] + parts(e, dec0)[1]))(enc0)

  def dec_loss(dec):
    _, llike, x_tilde, x_prior = parts(enc0, dec)
    fake = score(jnp.concatenate([x_tilde, x_prior]))
    return 2.0 * llike.mean() + jnp.mean(jax.nn.softplus(-fake))  # non-saturating G loss
  g_dec = jax.grad(dec_loss)(dec0)

  _, _, x_tilde, x_prior = parts(enc0, dec0)
  fakes = jnp.concatenate([x_tilde, x_prior])

  def d_loss(p):
    s = lambda images: d.apply({"params": p}, images, train=False)
    return (jnp.mean(jax.nn.softplus(-s(jnp.concatenate([x, x]))))
            + jnp.mean(jax.nn.softplus(s(fakes))))
  g_disc = jax.grad(d_loss)(d_params)

  for net, grads in (("enc", g_enc), ("dec", g_dec), ("disc", g_disc)):
    applied = _first_moment(new.nets[net].opt_state)
    for a, b in zip(jax.tree.leaves(applied), jax.tree.leaves(grads), strict=True):
      np.testing.assert_allclose(a, (1 - config.optim.b1) * b, rtol=2e-4, atol=1e-7,
                                 err_msg=net)


def test_balance_follows_the_reference_rules():
  eq, m = 0.68, 0.35
  cases = {  # (real cost, fake cost): (update D, update the decoder)
      (0.7, 0.7): (True, True),
      (0.2, 0.7): (False, True),   # D wins on real data: rest it.
      (0.7, 1.2): (True, False),   # The decoder loses badly: rest it.
      (0.2, 1.2): (True, True),    # Both would rest: both train.
  }
  for (real, fake), expected in cases.items():
    got = vaegan.balance(jnp.float32(real), jnp.float32(fake), eq, m)
    assert tuple(bool(g) for g in got) == expected, (real, fake)


@pytest.mark.parametrize("equilibrium,skipped", [(10.0, "disc"), (-10.0, "dec")])
def test_a_balanced_step_skips_the_named_update_and_logs_it(equilibrium, skipped):
  config = tiny_vaegan()
  config.loss.vaegan.balance = True
  config.loss.vaegan.equilibrium, config.loss.vaegan.margin = equilibrium, 0.1
  family = families.build(config, DataInfo(SHAPE))
  state = family.init_state(0)
  new, metrics = jax.jit(family.train_step)(state, _batch(), jax.random.PRNGKey(0))
  assert float(metrics["d_skipped"]) == (skipped == "disc")
  assert float(metrics["dec_skipped"]) == (skipped == "dec")
  for net in ("enc", "dec", "disc"):
    same = all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(new.nets[net]),
                                                    jax.tree.leaves(state.nets[net])))
    assert same == (net == skipped), net


@pytest.mark.parametrize("layer,match", [("score", "D's output"),
                                         ("Conv_7", "no layer named 'Conv_7'")])
def test_the_feature_layer_must_be_an_intermediate_layer_of_d(layer, match):
  config = tiny_vaegan()
  config.loss.vaegan.feature_layer = layer
  with pytest.raises(GenjaxError, match=match):
    families.build(config, DataInfo(SHAPE))


@pytest.mark.slow
def test_a_short_run_on_digits_learns_to_reconstruct():
  config = tiny_vaegan()
  config.optim.learning_rate = 1e-3  # 200 steps: pixel error 0.178 -> about 0.084.
  family = families.build(config, DataInfo(SHAPE))
  state, step = family.init_state(0), jax.jit(family.train_step)
  dataset = data_lib.load(config.data)
  eval_x = jnp.asarray(dataset.eval_images[:64])
  error = lambda s: float(jnp.mean((family.predict["reconstruct"](s, eval_x) - eval_x) ** 2))
  before = error(state)
  for i in range(200):
    batch = {"image": jnp.asarray(dataset.train_images[(i * 32) % 1400:][:32])}
    state, metrics = step(state, batch, jax.random.PRNGKey(i))
  assert all(np.isfinite(float(v)) for v in metrics.values())
  assert error(state) < 0.6 * before
  samples = family.predict["sample"](state, jax.random.PRNGKey(0), 8)
  assert samples.shape == (8,) + SHAPE and float(samples.min()) >= 0 and float(samples.max()) <= 1


@pytest.fixture(scope="module")
def vae_workdir(tmp_path_factory):
  """A tiny VAE trained for 10 steps (the encoder and decoder shapes of tiny_vaegan)."""
  config = tiny()
  config.num_steps = 10
  workdir = str(tmp_path_factory.mktemp("vae") / "run")
  return workdir, train.train_and_evaluate(config, workdir)


@pytest.mark.slow
def test_init_from_a_vae_starts_the_vaegan_from_its_encoder_and_decoder(vae_workdir, tmp_path,
                                                                        monkeypatch):
  workdir, vae_state = vae_workdir
  config = tiny_vaegan()
  config.init_from = workdir
  config.num_steps = config.steps_per_call = config.log_every = 5
  config.eval_every = config.checkpoint_every = 5
  family = families.build(config, DataInfo(SHAPE))
  supplied = init_from.sources(config, family, init_from.entries(config.init_from))
  assert sorted(supplied) == ["decoder", "encoder"]
  state = init_from.initialize(family.init_state(0), family, supplied, config)
  for part, net in (("encoder", "enc"), ("decoder", "dec")):
    for a, b in zip(jax.tree.leaves(state.nets[net].params[part]),
                    jax.tree.leaves(vae_state.nets["vae"].params[part]), strict=True):
      np.testing.assert_array_equal(a, b)
  fresh = family.init_state(0).nets["disc"].params
  assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(state.nets["disc"].params),
                                                  jax.tree.leaves(fresh)))
  calls = []
  monkeypatch.setattr(init_from, "initialize", lambda *args, _real=init_from.initialize: (
      calls.append(sorted(args[2])), _real(*args))[1])
  trained = train.train_and_evaluate(config, str(tmp_path / "vaegan"))
  assert calls == [["decoder", "encoder"]] and int(trained.step) == 5
  calls.clear()
  train.train_and_evaluate(config, str(tmp_path / "vaegan"))  # Resumed: not copied again.
  assert not calls


@pytest.mark.slow
def test_init_from_a_config_file_trains_it_once_in_the_runs_cache(tmp_path, monkeypatch):
  """init_from='X.py' trains that config first (evaluators off) in the runs cache, then
  reuses it; an edited config is another run."""
  monkeypatch.setenv("GENJAX_CACHE", str(tmp_path / "cache"))
  vae_file = tmp_path / "tiny_vae.py"
  vae_file.write_text("from tests.conftest import tiny\n\ndef get_config():\n"
                      "  config = tiny()\n  config.num_steps = 10\n  return config\n")
  config = tiny_vaegan()
  config.init_from = str(vae_file)
  config.num_steps = config.steps_per_call = config.log_every = 5
  config.eval_every = config.checkpoint_every = 5
  trained = []
  monkeypatch.setattr(train, "train_and_evaluate", lambda c, w, *a, _real=train.train_and_evaluate:
                      (trained.append(w), _real(c, w, *a))[1])
  train.train_and_evaluate(config, str(tmp_path / "first"))
  first, cached = trained  # The run asked for, then (inside it) the VAE it starts from.
  assert cached.startswith(str(tmp_path / "cache" / "runs" / "tiny_vae-"))
  assert os.path.isdir(os.path.join(cached, "checkpoints", "10"))
  assert json.load(open(os.path.join(cached, "config.json")))["evals"] == {}
  trained.clear()
  train.train_and_evaluate(config, str(tmp_path / "second"))
  assert trained == [str(tmp_path / "second")]  # The finished VAE reused.
  def cache_dir():
    loaded = cli.load_config_file(str(vae_file), "init_from")
    loaded.evals = {}
    return runs_cache.cache_dir(str(vae_file), loaded)
  assert cache_dir() == cached
  vae_file.write_text(vae_file.read_text().replace("= 10", "= 5"))
  assert cache_dir() != cached  # An edited config is another run.
  config.init_from = str(tmp_path / "missing.py")
  with pytest.raises(GenjaxError, match="init_from=.*missing.py: no such config file"):
    train.train_and_evaluate(config, str(tmp_path / "third"))


@pytest.mark.slow
def test_init_from_refuses_other_families_and_other_shapes(vae_workdir, tmp_path):
  workdir, _ = vae_workdir
  config = tiny_vaegan()
  config.model.latent_dim = 6
  config.init_from = workdir
  family = families.build(config, DataInfo(SHAPE))
  with pytest.raises(GenjaxError, match=r"parameter encoder\['encoder'\]\['mean'\]\['kernel'\]"
                                        r" has shape \(32, 4\) there, \(32, 6\) here"):
    init_from.sources(config, family, init_from.entries(config.init_from))
  ring = str(tmp_path / "ring")
  gan_config = tiny_gan()
  gan_config.num_steps = 5
  gan_config.steps_per_call = gan_config.log_every = gan_config.checkpoint_every = 5
  gan_config.eval_every = 5
  train.train_and_evaluate(gan_config, ring)
  vae_config = tiny()
  vae_config.init_from = ring
  with pytest.raises(GenjaxError, match="holds none of the networks this 'vae' model has"):
    init_from.sources(vae_config, families.build(vae_config, DataInfo(SHAPE)), [ring])


@pytest.mark.slow
@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_a_conditional_vaegan_draws_the_requested_class(conditioning):
  """Labels into encoder, decoder and D (projection or concatenation, as the GANs):
  samples of class c are classified as c far above chance by a logistic regression."""
  config = tiny_vaegan()
  config.model.conditioning = conditioning
  config.model.latent_dim = 2  # Little room for the class: the label must carry it.
  config.optim.learning_rate = 1e-3
  dataset = data_lib.load(config.data)
  family = families.build(config, DataInfo(dataset.image_shape, dataset.num_classes))
  state, step = family.init_state(0), jax.jit(family.train_step)
  x, y = jnp.asarray(dataset.train_images), jnp.asarray(dataset.train_labels, jnp.int32)
  for i in range(300):
    rows = jax.random.randint(jax.random.PRNGKey(i), (32,), 0, len(x))
    state, metrics = step(state, {"image": x[rows], "label": y[rows]},
                          jax.random.PRNGKey(10_000 + i))
  assert all(np.isfinite(float(v)) for v in metrics.values())
  assert_draws_and_reconstructs_classes(family, state, dataset)


@pytest.mark.slow
def test_a_conditional_vaegan_with_gp_interpolates_within_a_class(monkeypatch):
  """The penalty interpolates real i with fake i and scores the interpolate with real i's
  label: with gp, the prior samples take the batch's classes (as the GAN's fakes), so every
  pair shares a class; without, they keep uniform classes."""
  seen = []
  original = gan.critic_update

  def recording(*args):
    seen.append((args[8], args[9]))  # y_real, y_fake.
    return original(*args)

  monkeypatch.setattr(gan, "critic_update", recording)
  x = _batch()["image"]
  y = jnp.arange(32, dtype=jnp.int32) % 10
  for gp in (10.0, 0.0):
    config = tiny_vaegan()
    config.model.conditioning = "projection"
    config.loss.gan.penalties.gp = gp
    family = families.build(config, DataInfo(SHAPE, 10))
    seen.clear()
    _, metrics = family.train_step(family.init_state(0), {"image": x, "label": y},
                                   jax.random.PRNGKey(0))
    (y_real, y_fake), = seen
    assert np.array_equal(y_real[:32], y) and np.array_equal(y_fake[:32], y)  # Reconstructions.
    assert np.array_equal(y_fake, y_real) == bool(gp), gp  # The prior samples' classes.
    assert ("gp" in metrics) == bool(gp)


@pytest.mark.parametrize("penalty", ["gp", "r1"])
def test_a_penalty_on_a_batch_norm_discriminator_is_refused_in_one_line(penalty):
  config = tiny_vaegan()
  config.model.discriminator.batch_norm = True
  config.loss.gan.penalties[penalty] = 1.0
  config.loss.vaegan.margin = -1.0  # Another problem: both lines come at once.
  with pytest.raises(GenjaxError) as refused:
    families.build(config, DataInfo(SHAPE))
  lines = str(refused.value).splitlines()
  assert f"loss.gan.penalties.{penalty}=1.0 needs a discriminator without batch norm" in (
      "\n".join(lines)) and "set model.discriminator.batch_norm=False" in "\n".join(lines)
  assert any("loss.vaegan.margin" in line for line in lines) and len(lines) == 2
  config.loss.vaegan.margin = 0.35
  config.model.discriminator.batch_norm = False
  families.build(config, DataInfo(SHAPE))


def test_a_bernoulli_decoder_on_data_in_minus_one_one_is_refused():
  config = tiny_vaegan()
  config.data.value_range = "-1,1"
  with pytest.raises(GenjaxError, match="likelihood='bernoulli' needs data.value_range='0,1'"):
    families.build(config, DataInfo(SHAPE))
  config.model.decoder.likelihood = "gaussian"
  families.build(config, DataInfo(SHAPE))


@pytest.mark.parametrize("name", ["hinge", "wasserstein", "least_squares", "ragan"])
def test_balance_is_refused_with_a_gan_loss_without_ds_cross_entropies(name):
  """The balance rule reads D's cross-entropies, softplus(-D(x)) and softplus(D(x~)): those
  of the minimax and non-saturating losses only."""
  config = tiny_vaegan()
  config.loss.vaegan.balance = True
  config.loss.gan.name = name
  with pytest.raises(GenjaxError, match=f"loss.vaegan.balance=True .* not {name!r}"):
    families.build(config, DataInfo(SHAPE))
  config.loss.vaegan.balance = False
  families.build(config, DataInfo(SHAPE))
  config.loss.vaegan.balance, config.loss.gan.name = True, "minimax"
  families.build(config, DataInfo(SHAPE))


def test_a_gaussian_decoder_trains_on_its_unclipped_mean_and_predicts_clipped():
  """A decoder whose means all lie above the data range still gets a gradient (a clipped
  mean has none there), while samples, reconstructions and decodes stay in the range."""
  config = tiny_vaegan()
  config.model.decoder.likelihood = "gaussian"
  family = families.build(config, DataInfo(SHAPE))
  state = family.init_state(0)
  dec = state.nets["dec"]
  params = jax.tree.map(lambda p: p, dec.params)
  params["decoder"]["Dense_1"]["bias"] = params["decoder"]["Dense_1"]["bias"] + 50.0
  state = state.replace(nets={**state.nets, "dec": dec.replace(params=params)})
  new, _ = jax.jit(family.train_step)(state, _batch(), jax.random.PRNGKey(0))
  moment = jax.tree.leaves(_first_moment(new.nets["dec"].opt_state))
  assert any(float(jnp.abs(m).max()) > 0 for m in moment)
  x = _batch()["image"][:4]
  for images in (family.predict["reconstruct"](state, x),
                 family.predict["sample"](state, jax.random.PRNGKey(1), 4),
                 family.predict["decode"](state, jnp.zeros((4, 4)))):
    np.testing.assert_array_equal(images, 1.0)  # Clipped to the range's top.
