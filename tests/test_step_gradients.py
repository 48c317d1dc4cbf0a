"""Every family's train step, checked by hand: after one step, the update each network
received (Adam's first moment mu, (1 - b1) x the gradient after one update) is the gradient of
that network's own loss, recomputed here from the networks alone: the Flax modules of
`genjax.models`, the objectives written out in closed form, the step's keys derived with
`genjax.rng.purpose_key` as the families document them. Nothing here calls a family's step
code but `family.train_step` itself (the contract: `families.build`, `init_state`,
`train_step`, `State.nets[name]`), so a step that feeds a network another's loss, swaps real
and fake, flips or drops a penalty, or ignores a weight fails here. A GAN's mutable
collections (batch-norm statistics, spectral-norm vectors) are checked too.

Each test compiles the step and its reference as one program (cold: ~10-60 s each on a
loaded 2-core CPU; warm from the persistent compilation cache tests/conftest.py sets: 1-5 s).

The fast tier covers every GAN loss and penalty pairwise (conditional and batch-norm D
once each, an n_critic=2 step once); the full GAN grid is marked slow."""
import itertools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from genjax import data as data_lib
from genjax import diffaugment
from genjax import families
from genjax import losses
from genjax import models
from genjax import train
from genjax.data import smiles
from genjax.families import DataInfo
from genjax.models import classifier as classifier_nets
from genjax.models import gan as gan_nets
from genjax.models import seq as seq_nets
from genjax.rng import purpose_key
from tests.conftest import tiny, tiny_classifier, tiny_dcgan_sn, tiny_gan, tiny_seq_vae

# As tests/test_vaegan.py; plus, per network, float32 noise on the scale of its largest
# gradient entry (a gradient that is 0 in exact arithmetic, like that of a bias under batch
# norm or of D's score bias under RaGAN's relative loss, comes out as ~1e-8-1e-7).
RTOL, ATOL, NOISE = 2e-4, 1e-8, 1e-6
sp, mean = jax.nn.softplus, jnp.mean


def first_moment(opt_state):
  """Adam's first moment mu of a network's optimizer state."""
  is_adam = lambda node: isinstance(node, optax.ScaleByAdamState)
  (adam,) = [s for s in jax.tree.leaves(opt_state, is_leaf=is_adam) if is_adam(s)]
  return adam.mu


def assert_updated_by(net_state, grads, b1: float, name: str):
  """`net_state` took len(grads) Adam updates from zero moments, with gradients `grads` in
  order: mu = sum_i (1 - b1) b1^(n-1-i) g_i, leaf by leaf (in numpy: no eager XLA ops)."""
  n = len(grads)
  grads = jax.device_get(grads)
  expected = jax.tree.map(
      lambda *gs: sum((1 - b1) * b1 ** (n - 1 - i) * np.asarray(g, np.float64)
                      for i, g in enumerate(gs)), *grads)
  mu = jax.device_get(first_moment(net_state.opt_state))
  assert jax.tree.structure(mu) == jax.tree.structure(expected), name
  atol = ATOL + NOISE * max(float(np.abs(e).max()) for e in jax.tree.leaves(expected))
  for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(mu), jax.tree.leaves(expected),
                          strict=True):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=atol,
                               err_msg=f"{name}{jax.tree_util.keystr(path)}")


def assert_same_tree(got, expected, name: str):
  assert jax.tree.structure(got) == jax.tree.structure(expected), name
  for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(got), jax.tree.leaves(expected),
                          strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6,
                               err_msg=f"{name}{jax.tree_util.keystr(path)}")


def step_with(family, batch, rng, reference, at_step: int = 0):
  """(initial state at train step `at_step`, the state after one train step, what
  `reference(state, new state, batch, rng)` returns), in one compiled program (eager ops
  compile one by one, slower on CPU; one program is one entry of the compilation cache)."""
  def run(batch, rng):
    state = family.init_state(0)
    state = state.replace(step=jnp.asarray(at_step, state.step.dtype))
    new, metrics = family.train_step(state, batch, rng)
    return state, new, metrics, reference(state, new, batch, rng)
  state, new, metrics, expected = jax.jit(run)(batch, rng)
  assert all(np.isfinite(v) for v in jax.device_get(jax.tree.leaves(metrics))), metrics
  return state, new, expected


# --- GAN -------------------------------------------------------------------------------------
# Each loss by hand (d(real, fake), g(real, fake)) on D's raw scores; `real` is read by the
# relativistic generator loss only.
def _relative(r, f):
  return r - mean(f), f - mean(r)


HAND_GAN = {
    "minimax": (lambda r, f: mean(sp(-r)) + mean(sp(f)), lambda r, f: -mean(sp(f))),
    "non_saturating": (lambda r, f: mean(sp(-r)) + mean(sp(f)), lambda r, f: mean(sp(-f))),
    "least_squares": (lambda r, f: 0.5 * mean((r - 1) ** 2) + 0.5 * mean(f ** 2),
                      lambda r, f: 0.5 * mean((f - 1) ** 2)),
    "wasserstein": (lambda r, f: mean(f) - mean(r), lambda r, f: -mean(f)),
    "hinge": (lambda r, f: mean(jax.nn.relu(1 - r)) + mean(jax.nn.relu(1 + f)),
              lambda r, f: -mean(f)),
    "ragan": (lambda r, f: mean(sp(-_relative(r, f)[0])) + mean(sp(_relative(r, f)[1])),
              lambda r, f: mean(sp(_relative(r, f)[0])) + mean(sp(-_relative(r, f)[1]))),
}
G_READS_REAL = {"ragan"}


def _input_grad(critic, x):
  g = jax.grad(lambda x: jnp.sum(critic(x)))(x)
  return g.reshape(g.shape[0], -1)


def hand_gp(critic, x_real, x_fake, key):
  """WGAN-GP at interpolates eps x_real + (1 - eps) x_fake, eps ~ U(0, 1) per example."""
  eps = jax.random.uniform(key, (x_real.shape[0],) + (1,) * (x_real.ndim - 1))
  norms = jnp.sqrt(jnp.sum(_input_grad(critic, eps * x_real + (1 - eps) * x_fake) ** 2, -1))
  return mean((norms - 1) ** 2)


def hand_r1(critic, x_real, x_fake, key):
  del x_fake, key
  return 0.5 * mean(jnp.sum(_input_grad(critic, x_real) ** 2, -1))


def hand_cr(critic, x_real, x_fake, key):
  """Consistency regularization: D's squared change under a random translation of the reals."""
  del x_fake
  shifted = diffaugment.diff_augment(key, x_real, ("translation",))
  return mean((critic(x_real) - critic(shifted)) ** 2)


def hand_feature_matching(f_real, f_fake):
  return jnp.sum((jax.lax.stop_gradient(f_real.mean(0)) - f_fake.mean(0)) ** 2)


def hand_hyperparameters(cfg, d_loss_of):
  """D's loss with the objective's hyperparameters of `cfg` (loss.gan) written out."""
  smooth, margin = cfg.label_smoothing, cfg.margin
  if cfg.name in ("minimax", "non_saturating") and smooth:
    return lambda r, f: mean((1 - smooth) * sp(-r) + smooth * sp(r)) + mean(sp(f))
  if cfg.name == "hinge":
    return lambda r, f: mean(jax.nn.relu(margin - r)) + mean(jax.nn.relu(margin + f))
  return d_loss_of


def last_hidden(d, variables, x, y, **kwargs):
  """(D's score, the input of its 'score' layer): its last hidden features, by interception."""
  seen = []
  def record(next_fun, args, kw, context):
    if context.module.name == "score" and context.method_name == "__call__":
      seen.append(args[0])
    return next_fun(*args, **kw)
  with nn.intercept_methods(record):
    out = d.apply(variables, x, y, **kwargs)
  return out, seen[-1]


HAND_PENALTIES = {"gp": hand_gp, "r1": hand_r1, "cr": hand_cr}
HAND_GENERATOR_TERMS = {"feature_matching": hand_feature_matching}
PENALTY_WEIGHTS = {"gp": 10.0, "r1": 5.0, "cr": 2.0}
NUM_CLASSES = 4


def gan_case(loss, penalty=None, conditional=False, batch_norm=False, n_critic=1,
             spectral_norm=False, conv_d=False, dcgan_g=False, feature_matching=0.0,
             label_smoothing=0.0, margin=1.0):
  """(config, data shape, class count) of a tiny GAN: MLPs on 2-D points (per-layer noise in
  G); with `batch_norm` an MLP G and a DCGAN D (spectral norm, batch norm after its second
  conv) on 16x16 images, with `conv_d` the same D without batch norm; `dcgan_g`: a DCGAN G
  (batch norm in train mode) instead of the MLP; the objective's hyperparameters and the
  feature-matching weight as given."""
  if batch_norm or conv_d or dcgan_g:
    config, shape = tiny_dcgan_sn(), (16, 16, 1)
    config.model.generator.width = config.model.discriminator.width = 4
    config.model.generator.hidden, config.model.latent_dim = (16,), 8
    config.model.generator.net = "dcgan" if dcgan_g else "mlp"
    config.model.discriminator.batch_norm = batch_norm
  else:
    config, shape = tiny_gan(), (2,)
    config.model.generator.hidden = config.model.discriminator.hidden = (24, 20)
    config.model.discriminator.spectral_norm = spectral_norm
  config.batch_size = 16
  config.loss.gan.name, config.loss.gan.n_critic = loss, n_critic
  config.loss.gan.penalties = {name: PENALTY_WEIGHTS[name] if name == penalty else 0.0
                               for name in losses.PENALTIES}
  config.loss.gan.generator_terms.feature_matching = feature_matching
  config.loss.gan.label_smoothing, config.loss.gan.margin = label_smoothing, margin
  assert config.loss.gan.instance_noise == 0 and not config.loss.gan.diffaugment
  config.model.conditioning = "projection" if conditional else "none"
  return config, shape, NUM_CLASSES if conditional else 0


def gan_batch(config, shape, num_classes, seed=0):
  n = config.batch_size * config.loss.gan.n_critic
  rs = np.random.RandomState(seed)
  x = rs.uniform(-1, 1, (n,) + shape) if len(shape) == 3 else rs.normal(size=(n,) + shape)
  batch = {"image": jnp.asarray(x, jnp.float32)}
  if num_classes:
    batch["label"] = jnp.asarray(rs.randint(0, num_classes, n), jnp.int32)
  return batch


def run_generator(g, variables, key, num, latent_dim, labels):
  """(G's train-mode outputs from `key`, its updated collections): z from 'noise' (the first
  half of its split: the Gaussian part of the prior), per-layer noise from 'layer_noise'."""
  z = jax.random.normal(jax.random.split(purpose_key(key, "noise"))[0], (num, latent_dim))
  collections = [k for k in variables if k != "params"]
  return g.apply(variables, z, labels, train=True, mutable=collections,
                 rngs={"noise": purpose_key(key, "layer_noise")})


def gan_reference(config, shape, num_classes):
  """fn(state, new state, batch, rng) -> (D's gradients, one per critic update; G's
  gradient through the D the step ended with; with n_critic > 1 also G's gradient through
  the D it started with, else None; {'disc', 'gen'}: each net's collections after the step
  (batch-norm statistics, spectral-norm vectors)), by hand."""
  g, d = models.build_gan(config.model, shape, num_classes)
  cfg, model_cfg = config.loss.gan, config.model
  n, b = cfg.n_critic, config.batch_size
  d_loss_of, g_loss_of = HAND_GAN[cfg.name]
  d_loss_of = hand_hyperparameters(cfg, d_loss_of)
  penalties = {k: w for k, w in cfg.penalties.items() if w > 0}
  terms = {k: w for k, w in cfg.generator_terms.items() if w > 0}
  separate = model_cfg.discriminator.net == "dcgan" and model_cfg.discriminator.batch_norm
  opt = optax.scale_by_adam(config.optim.b1, config.optim.b2)

  def reference(state, new, batch, rng):
    real = batch["image"].reshape((n, b) + shape)
    labels = batch["label"].reshape(n, b) if num_classes else [None] * n
    gen_vars = state.nets["gen"].variables
    params, collections = state.nets["disc"].params, state.nets["disc"].collections
    mutable = list(collections)
    opt_state = opt.init(params)
    d_grads = []
    for i, key in enumerate(jax.random.split(purpose_key(rng, "critic"), n)):
      x_real, y_real = real[i], labels[i]
      y_fake = None
      if num_classes:  # Conditional WGAN-GP: interpolates within a class (fakes of real labels).
        y_fake = y_real if "gp" in penalties else jax.random.randint(
            purpose_key(key, "labels"), (b,), 0, num_classes)
      x_fake, _ = run_generator(g, gen_vars, key, b, model_cfg.latent_dim, y_fake)

      def d_loss(p, x_real=x_real, y_real=y_real, x_fake=x_fake, y_fake=y_fake, key=key,
                 collections=collections):
        variables = {"params": p, **collections}
        if separate:  # Batch norm: real and fake normalized as batches of their own.
          s_real, up = d.apply(variables, x_real, y_real, train=True, mutable=mutable)
          s_fake, up = d.apply({**variables, **up}, x_fake, y_fake, train=True, mutable=mutable)
        else:
          y = None if y_real is None else jnp.concatenate([y_real, y_fake])
          scores, up = d.apply(variables, jnp.concatenate([x_real, x_fake]), y, train=True,
                               mutable=mutable)
          s_real, s_fake = scores[:b], scores[b:]
        loss = d_loss_of(s_real, s_fake)
        # Penalties: D in eval mode, with the collections the update started from.
        critic = lambda x: d.apply(variables, x, y_real, train=False)
        for name, weight in penalties.items():
          loss = loss + weight * HAND_PENALTIES[name](critic, x_real, x_fake,
                                                      purpose_key(key, name))
        return loss, {**collections, **up}

      grads, collections = jax.grad(d_loss, has_aux=True)(params)
      d_grads.append(grads)
      direction, opt_state = opt.update(grads, opt_state)  # The next update's D (constant rate).
      params = jax.tree.map(lambda p, u: p - config.optim.learning_rate * u, params, direction)

    y_gen = (jax.random.randint(purpose_key(rng, "labels"), (b,), 0, num_classes)
             if num_classes else None)

    def g_grads(disc_variables):
      def score(x, y):
        if separate:  # Batch statistics, as in D's training; its updates dropped.
          return d.apply(disc_variables, x, y, train=True, mutable=mutable)[0]
        return d.apply(disc_variables, x, y, train=False)

      def g_loss(p):
        fake, updates = run_generator(g, {**gen_vars, "params": p}, rng, b,
                                      model_cfg.latent_dim, y_gen)
        s_real = score(real[-1], labels[-1]) if cfg.name in G_READS_REAL else None
        loss = g_loss_of(s_real, score(fake, y_gen))
        for name, weight in terms.items():  # (MLP D without batch norm: eval mode.)
          f_real = last_hidden(d, disc_variables, real[-1], labels[-1], train=False)[1]
          f_fake = last_hidden(d, disc_variables, fake, y_gen, train=False)[1]
          loss = loss + weight * HAND_GENERATOR_TERMS[name](f_real, f_fake)
        return loss, {**state.nets["gen"].collections, **updates}
      return jax.grad(g_loss, has_aux=True)(state.nets["gen"].params)

    stale = g_grads(state.nets["disc"].variables)[0] if n > 1 else None
    g_grad, g_collections = g_grads(new.nets["disc"].variables)
    return d_grads, g_grad, stale, {"disc": collections, "gen": g_collections}

  return reference


def check_gan(config, shape, num_classes, seed=0):
  family = families.build(config, DataInfo(shape, num_classes))
  batch, rng = gan_batch(config, shape, num_classes, seed), jax.random.PRNGKey(seed + 7)
  _, new, (d_grads, g_grads, stale, collections) = step_with(
      family, batch, rng, gan_reference(config, shape, num_classes))
  assert_updated_by(new.nets["disc"], d_grads, config.optim.b1, "disc")
  for net in ("disc", "gen"):  # Batch-norm statistics and spectral-norm vectors.
    assert_same_tree(new.nets[net].collections, collections[net], net)
  # The generator is scored by the D the step ended with...
  assert_updated_by(new.nets["gen"], [g_grads], config.optim.b1, "gen")
  if stale is not None:  # ...which the check tells from the D it started with.
    with pytest.raises(AssertionError):
      assert_updated_by(new.nets["gen"], [stale], config.optim.b1, "gen")


# Pairwise: every loss, every penalty, conditional (with the within-class WGAN-GP and with
# R1) and the batch-norm D once at least; n_critic=2 once: D's mu holds
# b1 (1 - b1) g1 + (1 - b1) g2, g2 taken at D after its first update (and its spectral-norm
# vectors after it) on the second real slice, and G's gradient is taken through the final D.
FAST_GAN = [
    dict(loss="minimax"),
    dict(loss="non_saturating", penalty="gp", conditional=True),
    dict(loss="least_squares", penalty="r1"),
    dict(loss="wasserstein", penalty="gp", n_critic=2, spectral_norm=True),
    dict(loss="hinge", batch_norm=True),
    dict(loss="ragan", penalty="r1", conditional=True),
    dict(loss="non_saturating", penalty="cr", conv_d=True, label_smoothing=0.2),
    dict(loss="hinge", margin=0.5, feature_matching=0.7, conditional=True),
]


def test_the_fast_gan_cases_cover_every_loss_and_penalty():
  assert set(HAND_GAN) == set(losses.GAN_LOSSES)  # A new loss needs its closed form here.
  assert set(HAND_PENALTIES) == set(losses.PENALTIES)
  assert {c["loss"] for c in FAST_GAN} == set(losses.GAN_LOSSES)
  assert {c.get("penalty") for c in FAST_GAN} == {None, *losses.PENALTIES}
  assert set(HAND_GENERATOR_TERMS) == set(losses.GENERATOR_TERMS)
  assert {t for c in FAST_GAN for t in losses.GENERATOR_TERMS if c.get(t)} == set(
      losses.GENERATOR_TERMS)
  assert {k for c in FAST_GAN for k in ("label_smoothing", "margin") if k in c} == set(
      families.gan.all_hyperparameters())  # Every objective hyperparameter once.
  assert any(c.get("conditional") for c in FAST_GAN)
  assert any(c.get("batch_norm") for c in FAST_GAN)


def _case_id(case):
  return "-".join(k if v is True else f"{k}{v}" if k == "n_critic" else str(v)
                  for k, v in case.items() if v)


@pytest.mark.parametrize("case", FAST_GAN, ids=_case_id)
def test_each_gan_network_is_updated_by_its_own_loss(case):
  check_gan(*gan_case(**case))


# Every loss x penalty x conditioning x D batch norm (a penalized critic with batch norm is
# refused; cr on images, a conv critic), less the fast cases; then a conv critic without batch norm (penalties on images),
# a DCGAN G (its batch norm in train mode) and n_critic=3.
SLOW_GAN = [case for case in (
    {k: v for k, v in dict(loss=loss, penalty=penalty, conditional=conditional,
                           batch_norm=bn, conv_d=penalty == "cr").items() if v}
    for loss, penalty, conditional, bn in itertools.product(
        sorted(losses.GAN_LOSSES), (None, *sorted(losses.PENALTIES)), (False, True),
        (False, True))
    if not (penalty and bn)) if case not in FAST_GAN] + [
        dict(loss="wasserstein", penalty="gp", conditional=True, conv_d=True),
        dict(loss="hinge", penalty="r1", conv_d=True),
        dict(loss="ragan", batch_norm=True, dcgan_g=True, conditional=True),
        dict(loss="least_squares", penalty="gp", n_critic=3, conv_d=True, dcgan_g=True)]


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_GAN, ids=_case_id)
def test_every_gan_configuration_updates_each_network_by_its_own_loss(case):
  check_gan(*gan_case(**case))


# --- VAE -------------------------------------------------------------------------------------
VAE_SHAPE, LOG_2PI = (8, 8, 1), math.log(2 * math.pi)


def _per_example(x):
  return x.reshape(x.shape[0], -1).sum(-1)


def _kl(mu_z, log_std):
  """KL(N(mu, std^2) || N(0, I)) per example."""
  return 0.5 * jnp.sum(mu_z ** 2 + jnp.exp(2 * log_std) - 1 - 2 * log_std, -1)


# (objective, beta, S, likelihood, KL warm-up steps, free bits); the warm-up case runs at
# train step 4 of 10 (KL weight 0.4 beta), its free bits of 0.2 nats hold two of the four
# latent dimensions (their batch-mean KLs at init: 0.21, 0.25, 0.19, 0.12 nats).
VAE_CASES = [("elbo", 0.5, 1, "bernoulli", 0, 0.0), ("iwae", 1.0, 3, "gaussian", 0, 0.0),
             ("elbo", 0.5, 1, "bernoulli", 10, 0.2),
             pytest.param("elbo", 2.0, 2, "gaussian", 0, 0.0, marks=pytest.mark.slow)]


@pytest.mark.parametrize("objective,beta,num_samples,likelihood,warmup,free_bits", VAE_CASES)
def test_the_vae_is_updated_by_its_objective(objective, beta, num_samples, likelihood, warmup,
                                             free_bits):
  """Encoder, decoder (and a Gaussian decoder's learned log-scale) by the gradient of
  -E_q[log p(x|z)] + w KL (elbo), or of -log (1/S) sum_s p(x, z_s) / q(z_s|x) (iwae), with
  S reparameterized draws eps ~ N(0, I) of the step's 'reparam' key; w = beta, or beta x
  step / warmup; with free bits the KL term is sum_z max(free_bits, batch-mean KL_z)."""
  config = tiny()
  config.batch_size = 16
  config.loss.vae.update(name=objective, beta=beta, num_samples=num_samples,
                         kl_warmup_steps=warmup, free_bits=free_bits)
  at_step = 4 if warmup else 0
  config.model.decoder.likelihood = likelihood
  if likelihood == "gaussian":
    config.model.decoder.update(learn_scale=True, log_scale=-1.0)
  family = families.build(config, DataInfo(VAE_SHAPE))
  model = models.build_vae(config.model, VAE_SHAPE)

  def loss(p, x, rng):
    mu_z, log_std = model.apply({"params": p}, x, method="encode")
    eps = jax.random.normal(purpose_key(rng, "reparam"), (num_samples,) + mu_z.shape)
    z = mu_z + jnp.exp(log_std) * eps                                        # S x B x Z
    out = model.apply({"params": p}, z.reshape(-1, z.shape[-1]),
                      jnp.tile(x, (num_samples, 1, 1, 1)), method="decode")
    xs = jnp.broadcast_to(x, (num_samples,) + x.shape).reshape(out.shape)
    if likelihood == "bernoulli":
      log_px = _per_example(xs * out - sp(out))
    else:
      log_scale = p["log_scale"]
      log_px = _per_example(-0.5 * ((xs - out) * jnp.exp(-log_scale)) ** 2 - log_scale
                            - 0.5 * LOG_2PI)
    log_px = log_px.reshape(num_samples, -1)                                 # S x B
    if objective == "elbo" and (warmup or free_bits):
      kl_z = (0.5 * (mu_z ** 2 + jnp.exp(2 * log_std) - 1 - 2 * log_std)).mean(0)   # Z
      weight = beta * min(1.0, at_step / warmup) if warmup else beta
      return mean(-log_px.mean(0)) + weight * jnp.sum(jnp.maximum(kl_z, free_bits))
    if objective == "elbo":
      return mean(-log_px.mean(0) + beta * _kl(mu_z, log_std))
    log_pz = jnp.sum(-0.5 * z ** 2 - 0.5 * LOG_2PI, -1)
    log_qz = jnp.sum(-0.5 * eps ** 2 - log_std - 0.5 * LOG_2PI, -1)
    return -mean(jax.nn.logsumexp(log_px + log_pz - log_qz, 0) - math.log(num_samples))

  x = jnp.asarray(np.random.RandomState(0).uniform(size=(16,) + VAE_SHAPE), jnp.float32)
  state, new, grads = step_with(
      family, {"image": x}, jax.random.PRNGKey(5),
      lambda state, new, batch, rng: jax.grad(loss)(state.nets["vae"].params, batch["image"], rng),
      at_step)
  assert ("log_scale" in state.nets["vae"].params) == (likelihood == "gaussian")
  assert_updated_by(new.nets["vae"], [grads], config.optim.b1, "vae")


# --- classifier ------------------------------------------------------------------------------
def test_the_classifier_is_updated_by_its_label_smoothed_cross_entropy():
  """Through the shifted images ('augment': shifts in [-s, s]^2, zero fill) and the dropout
  mask on the penultimate layer ('dropout': keep w.p. 1 - rate, scaled by 1 / (1 - rate)),
  targets (1 - ls) one-hot + ls / K."""
  config = tiny_classifier()
  config.batch_size = b = 16
  shift, rate = config.loss.classifier.augment_shift, config.model.net.dropout
  smoothing, net_cfg = config.loss.classifier.label_smoothing, config.model.net
  assert shift and rate and smoothing  # All three exercised.
  shape, num_classes = (8, 8, 1), 10
  h, w, _ = shape
  family = families.build(config, DataInfo(shape, num_classes))
  model = classifier_nets.CNN(tuple(net_cfg.channels), net_cfg.convs_per_stage, net_cfg.hidden,
                              num_classes)

  def reference(state, new, batch, rng):
    x, labels = batch["image"], batch["label"]
    shifts = jax.random.randint(purpose_key(rng, "augment"), (b, 2), -shift, shift + 1)
    rows = jnp.arange(h)[None] + shifts[:, :1]                               # B x H
    cols = jnp.arange(w)[None] + shifts[:, 1:]                               # B x W
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None]
    moved = x[jnp.arange(b)[:, None, None], jnp.clip(rows, 0, h - 1)[:, :, None],
              jnp.clip(cols, 0, w - 1)[:, None, :]] * inside[..., None]
    keep = jax.random.bernoulli(purpose_key(rng, "dropout"), 1 - rate,
                                (b, net_cfg.hidden)).astype(jnp.float32) / (1 - rate)
    targets = (1 - smoothing) * jax.nn.one_hot(labels, num_classes) + smoothing / num_classes

    def loss(p):
      logits, _ = model.apply({"params": p}, moved, keep)
      return mean(-jnp.sum(targets * jax.nn.log_softmax(logits), -1))
    return jax.grad(loss)(state.nets["classifier"].params)

  rs = np.random.RandomState(0)
  batch = {"image": jnp.asarray(rs.uniform(size=(b,) + shape), jnp.float32),
           "label": jnp.asarray(rs.randint(0, num_classes, b), jnp.int32)}
  _, new, grads = step_with(family, batch, jax.random.PRNGKey(2), reference)
  assert_updated_by(new.nets["classifier"], [grads], config.optim.b1, "classifier")


# --- the SMILES VAE and AAE ------------------------------------------------------------------
@pytest.fixture(scope="module")
def molecules():
  """(data info, a batch of 16 of the tiny molecules)."""
  dataset = data_lib.load(tiny_seq_vae().data)
  pick = np.random.RandomState(0).choice(len(dataset.train_tokens), 16, replace=False)
  return train.data_info(dataset), {"tokens": jnp.asarray(dataset.train_tokens[pick]),
                                    "length": jnp.asarray(dataset.train_lengths[pick])}


@pytest.mark.parametrize("adversarial", [False, True], ids=["vae", "aae"])
def test_the_smiles_autoencoder_and_its_latent_discriminator_follow_their_own_losses(
    molecules, adversarial):
  """At train step 4: the VAE's reconstruction (nats per target token of the batch, BOS and
  PAD never predicted) + the annealed KL weight (0.1 -> 0.5 over 10 steps: 0.26) x KL, from
  z = mean + std eps ('reparam'); the AAE's (start 2, ramp 4: 3/4 of w = 2) reconstruction
  from the posterior means + 1.5 x softplus(-D(z)), and its D by the mean of its two
  cross-entropies on prior draws ('prior', label 1) and the codes of the step's initial
  encoder (label 0)."""
  data_info, batch = molecules
  config = tiny_seq_vae()
  if adversarial:
    config.loss.seq_vae.update(kl_start=0.0, kl_end=0.0, adversarial=2.0, adversarial_start=2,
                               adversarial_ramp=4)
    config.model.latent_discriminator = dict(hidden=(10, 6))
    kl_weight, fool_weight = 0.0, 1.5
  else:
    config.loss.seq_vae.update(kl_start=0.1, kl_end=0.5, kl_anneal_steps=10)
    kl_weight, fool_weight = 0.26, 0.0
  family = families.build(config, data_info)
  model = seq_nets.build(config.model, len(data_info.vocab))
  d = gan_nets.MLPDiscriminator((10, 6), act=jax.nn.elu)
  never = np.isin(np.array(data_info.vocab), [smiles.BOS, smiles.PAD])

  def reference(state, new, batch, rng):
    tokens, length = batch["tokens"], batch["length"]
    disc_variables = state.nets["latent_disc"].variables if adversarial else None

    def autoencoder_loss(p):
      mu_z, log_std = model.apply({"params": p}, tokens, length, method="encode")
      eps = jax.random.normal(purpose_key(rng, "reparam"), mu_z.shape)
      z = mu_z if adversarial else mu_z + jnp.exp(log_std) * eps
      logits = model.apply({"params": p}, z, tokens[:, :-1], method="decode")
      log_p = jax.nn.log_softmax(jnp.where(never, -1e9, logits))
      log_p = jnp.take_along_axis(log_p, tokens[:, 1:, None], -1)[..., 0]
      targets = jnp.arange(1, tokens.shape[1])[None] < length[:, None]
      loss = -jnp.sum(jnp.where(targets, log_p, 0.0)) / jnp.sum(length - 1)
      loss = loss + kl_weight * mean(_kl(mu_z, log_std))
      if adversarial:
        loss = loss + fool_weight * mean(sp(-d.apply(disc_variables, z)))
      return loss, z

    g_ae, codes = jax.grad(autoencoder_loss, has_aux=True)(state.nets["seq_vae"].params)
    if not adversarial:
      return g_ae, None
    prior = jax.random.normal(purpose_key(rng, "prior"), codes.shape)

    def disc_loss(dp):
      score = lambda z: d.apply({**disc_variables, "params": dp}, z)
      return 0.5 * (mean(sp(-score(prior))) + mean(sp(score(codes))))
    return g_ae, jax.grad(disc_loss)(disc_variables["params"])

  _, new, (g_ae, g_disc) = step_with(family, batch, jax.random.PRNGKey(4), reference,
                                     at_step=4)
  assert set(new.nets) == ({"seq_vae", "latent_disc"} if adversarial else {"seq_vae"})
  assert_updated_by(new.nets["seq_vae"], [g_ae], config.optim.b1, "seq_vae")
  if adversarial:
    assert_updated_by(new.nets["latent_disc"], [g_disc], config.optim.b1, "latent_disc")
