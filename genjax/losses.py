"""Pure loss functions. Log densities are in nats, summed over an example's dimensions.

VAE objectives take the `terms` of a batch (see `genjax.families.vae.posterior_terms`):
  log_px_SxB  log p(x|z_s)        log_pz_SxB  log p(z_s)
  log_qz_SxB  log q(z_s|x)        kl_B        KL(q(z|x) || p(z)), analytic
for S posterior samples z_s per example, and return (scalar loss, metrics dict).
Register a new one in VAE_OBJECTIVES and select it with `config.loss.vae.name`; the other
fields of `config.loss.vae` that it takes as keywords are passed to it (hyperparameters), and
`step` (the train step) and `axis` (pmap's axis) when it takes them.
"""
import functools
import inspect
import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from genjax import diffaugment
from genjax import parallel

LOG_2PI = math.log(2.0 * math.pi)


def _sum_per_example(x):
  return x.reshape(x.shape[0], -1).sum(-1)


def kl_diag_gaussian_standard_normal(mean_BxZ, log_std_BxZ):
  """KL(N(mean, exp(log_std)^2) || N(0, I)) per example, nats: float[B]."""
  return 0.5 * jnp.sum(mean_BxZ**2 + jnp.exp(2 * log_std_BxZ) - 1.0 - 2 * log_std_BxZ, -1)


def diag_gaussian_log_prob(z_BxZ, mean_BxZ, log_std_BxZ):
  """log N(z; mean, diag(exp(log_std)^2)), summed over the last axis."""
  standardized = (z_BxZ - mean_BxZ) * jnp.exp(-log_std_BxZ)
  return jnp.sum(-0.5 * standardized**2 - log_std_BxZ - 0.5 * LOG_2PI, -1)


def standard_normal_log_prob(z_BxZ):
  return jnp.sum(-0.5 * z_BxZ**2 - 0.5 * LOG_2PI, -1)


def bernoulli_log_prob(logits_BxHxWxC, x_BxHxWxC):
  """sum_i x_i log sigmoid(l_i) + (1 - x_i) log sigmoid(-l_i), for x in [0, 1]: float[B]."""
  return _sum_per_example(x_BxHxWxC * logits_BxHxWxC - jax.nn.softplus(logits_BxHxWxC))


def gaussian_log_prob(x_BxHxWxC, mean_BxHxWxC, log_scale):
  """log N(x; mean, exp(log_scale)^2) summed over pixels; log_scale broadcasts: float[B]."""
  log_scale = jnp.broadcast_to(log_scale, mean_BxHxWxC.shape)
  return _sum_per_example(diag_gaussian_log_prob(x_BxHxWxC[..., None], mean_BxHxWxC[..., None],
                                                 log_scale[..., None]))


def iwae_bound(log_w_SxB):
  """log (1/S) sum_s w_s per example: the importance-weighted lower bound on log p(x)."""
  return jax.nn.logsumexp(log_w_SxB, axis=0) - math.log(log_w_SxB.shape[0])


def kl_per_dimension(mean_BxZ, log_std_BxZ):
  """KL(N(mean, exp(log_std)^2) || N(0, 1)) of each latent dimension, nats: float[B, Z]."""
  return 0.5 * (mean_BxZ**2 + jnp.exp(2 * log_std_BxZ) - 1.0 - 2 * log_std_BxZ)


def elbo(terms, beta: float = 1.0, kl_warmup_steps: int = 0, free_bits: float = 0.0, step=0,
         axis=None):
  """Negative (beta-)ELBO with the analytic KL: E_q[-log p(x|z)] + w KL, a batch mean.

  w = beta, or with `kl_warmup_steps` N > 0 the warm-up beta * min(1, step / N) of train step
  `step` (KL annealing, Bowman et al. 2016). With `free_bits` lambda > 0 the KL term is
  sum_z max(lambda, KL_z), KL_z the batch mean of latent dimension z's KL over the global batch
  (pmap `axis`): a dimension under lambda nats feels no pull to the prior (Kingma et al. 2016's
  free bits, one group per dimension). The metric 'kl' is the plain KL either way."""
  reconstruction = -terms["log_px_SxB"].mean(0)
  kl = terms["kl_B"].mean()
  if not kl_warmup_steps and not free_bits:
    loss = jnp.mean(reconstruction + beta * terms["kl_B"])
    return loss, {"loss": loss, "reconstruction": reconstruction.mean(), "kl": kl}
  weight = beta
  if kl_warmup_steps:
    weight = beta * jnp.minimum(1.0, jnp.asarray(step, jnp.float32) / kl_warmup_steps)
  kl_term = jnp.mean(terms["kl_B"])
  if free_bits:
    kl_term = jnp.sum(jnp.maximum(parallel.pmean(terms["kl_BxZ"].mean(0), axis), free_bits))
  loss = jnp.mean(reconstruction) + weight * kl_term
  return loss, {"loss": loss, "reconstruction": reconstruction.mean(), "kl": kl,
                "kl_weight": jnp.asarray(weight, jnp.float32)}


def iwae(terms):
  """Negative IWAE bound (Burda et al. 2016) over the S samples (it has no KL weight: the VAE
  family refuses beta != 1 for it)."""
  log_w = terms["log_px_SxB"] + terms["log_pz_SxB"] - terms["log_qz_SxB"]
  loss = -jnp.mean(iwae_bound(log_w))
  return loss, {"loss": loss, "reconstruction": -terms["log_px_SxB"].mean(),
                "kl": terms["kl_B"].mean()}


VAE_OBJECTIVES = {"elbo": elbo, "iwae": iwae}


# --- GAN objectives -------------------------------------------------------------------------
# A GAN objective is a pair of functions of the discriminator's raw outputs (logits or critic
# values, never probabilities) on a batch of real and a batch of fake data:
#   d(d_real_B, d_fake_B) -> scalar    the discriminator's loss
#   g(d_real_B, d_fake_B) -> scalar    the generator's loss (d_real_B is None unless the
#                                      objective sets g_needs_real, like relativistic ones)
# `axis` (keyword) is pmap's axis: batch statistics (RaGAN's averages) must be taken over the
# global batch. Other keyword arguments are the objective's hyperparameters, read from the
# config's `loss.gan` section by name (`gan_objective`): a new one is a keyword with a default
# and a field of the same name in the family's default config. Penalties on D
# (`PENALTIES`, `loss.gan.penalties`) and terms added to G's loss (`GENERATOR_TERMS`,
# `loss.gan.generator_terms`) are separate, weighted terms.


class GANLoss(NamedTuple):
  d: Callable
  g: Callable
  unbounded: bool = False      # Needs an unbounded score: refused with model.sigmoid_output.
  g_needs_real: bool = False   # The generator loss reads D's scores on real data too.


def minimax_d(d_real_B, d_fake_B, axis=None, label_smoothing: float = 0.0):
  """-log D(x) - log(1 - D(G(z))), with D = sigmoid(logit); `label_smoothing` s > 0 makes
  the real images' target 1 - s (one-sided label smoothing, Salimans et al. 2016)."""
  real_B = jax.nn.softplus(-d_real_B)
  if label_smoothing:
    real_B = (1.0 - label_smoothing) * real_B + label_smoothing * jax.nn.softplus(d_real_B)
  return jnp.mean(real_B + jax.nn.softplus(d_fake_B))


def minimax_g(d_real_B, d_fake_B, axis=None):
  """The original minimax generator loss: log(1 - D(G(z))) (saturates when D wins)."""
  return -jnp.mean(jax.nn.softplus(d_fake_B))


def non_saturating_g(d_real_B, d_fake_B, axis=None):
  """-log D(G(z)) (Goodfellow et al. 2014's practical alternative)."""
  return jnp.mean(jax.nn.softplus(-d_fake_B))


def least_squares_d(d_real_B, d_fake_B, axis=None):
  """LSGAN (Mao et al. 2017), targets a=0 (fake), b=1 (real)."""
  return 0.5 * jnp.mean((d_real_B - 1.0) ** 2) + 0.5 * jnp.mean(d_fake_B**2)


def least_squares_g(d_real_B, d_fake_B, axis=None):
  return 0.5 * jnp.mean((d_fake_B - 1.0) ** 2)


def wasserstein_d(d_real_B, d_fake_B, axis=None):
  """Critic loss E[f(G(z))] - E[f(x)] (WGAN, Arjovsky et al. 2017)."""
  return jnp.mean(d_fake_B) - jnp.mean(d_real_B)


def wasserstein_g(d_real_B, d_fake_B, axis=None):
  return -jnp.mean(d_fake_B)


def hinge_d(d_real_B, d_fake_B, axis=None, margin: float = 1.0):
  """E[relu(m - D(x))] + E[relu(m + D(G(z)))], m = `margin` (1 in Lim & Ye 2017 and Miyato
  et al. 2018)."""
  return jnp.mean(jax.nn.relu(margin - d_real_B)) + jnp.mean(jax.nn.relu(margin + d_fake_B))


def _relativistic(d_real_B, d_fake_B, axis):
  """(C(x_r) - E C(x_f), C(x_f) - E C(x_r)), the averages over the global batch."""
  mean_real, mean_fake = parallel.pmean((jnp.mean(d_real_B), jnp.mean(d_fake_B)), axis)
  return d_real_B - mean_fake, d_fake_B - mean_real


def ragan_d(d_real_B, d_fake_B, axis=None):
  """Relativistic average standard GAN (Jolicoeur-Martineau 2018), discriminator:
  -E_r[log sigmoid(C(x_r) - E_f C(x_f))] - E_f[log(1 - sigmoid(C(x_f) - E_r C(x_r)))]."""
  real, fake = _relativistic(d_real_B, d_fake_B, axis)
  return jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))


def ragan_g(d_real_B, d_fake_B, axis=None):
  """RaSGAN generator: the discriminator's loss with real and fake swapped."""
  real, fake = _relativistic(d_real_B, d_fake_B, axis)
  return jnp.mean(jax.nn.softplus(real)) + jnp.mean(jax.nn.softplus(-fake))


GAN_LOSSES = {
    "minimax": GANLoss(minimax_d, minimax_g),
    "non_saturating": GANLoss(minimax_d, non_saturating_g),
    "least_squares": GANLoss(least_squares_d, least_squares_g, unbounded=True),
    "wasserstein": GANLoss(wasserstein_d, wasserstein_g, unbounded=True),
    "hinge": GANLoss(hinge_d, wasserstein_g, unbounded=True),
    "ragan": GANLoss(ragan_d, ragan_g, g_needs_real=True),
}


def gan_keywords(name: str) -> dict:
  """{hyperparameter: default} of GAN_LOSSES[name]'s two functions (`axis` left out)."""
  found = {}
  for fn in GAN_LOSSES[name][:2]:
    for param in list(inspect.signature(fn).parameters.values())[2:]:
      if param.name != "axis":
        found[param.name] = param.default
  return found


def gan_objective(name: str, **hyperparameters) -> GANLoss:
  """GAN_LOSSES[name] with `hyperparameters` bound, each to the functions that take it
  (names that neither takes are ignored: the family's config check refuses them)."""
  loss = GAN_LOSSES[name]
  def bind(fn):
    taken = {k: v for k, v in hyperparameters.items()
             if k in inspect.signature(fn).parameters and k != "axis"}
    return functools.partial(fn, **taken) if taken else fn
  return loss._replace(d=bind(loss.d), g=bind(loss.g))


# --- penalties on the discriminator ------------------------------------------------------------
# Each takes (critic, x_real, x_fake, key, axis): `critic` maps a batch B x ... to float[B]
# logits/values with the current parameters; returns a scalar added to D's loss times its
# weight in `loss.gan.penalties`.


def gradient_penalty(critic, x_real, x_fake, key, axis=None):
  """WGAN-GP (Gulrajani et al. 2017): E[(||grad_x critic(x_hat)||_2 - 1)^2] at random
  interpolates x_hat = eps x_real + (1 - eps) x_fake, eps ~ U(0, 1) per example from `key`
  (`axis`: see `genjax.parallel.batch_draw`). The norm is over each example's dimensions.
  """
  eps = parallel.batch_draw(jax.random.uniform, key,
                            (x_real.shape[0],) + (1,) * (x_real.ndim - 1), axis)
  x_hat = eps * x_real + (1.0 - eps) * x_fake
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x_hat)
  norms = jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, -1) + 1e-12)
  return jnp.mean((norms - 1.0) ** 2)


def r1_penalty(critic, x_real, x_fake=None, key=None, axis=None):
  """R1 (Mescheder et al. 2018): (1/2) E[||grad_x D(x_real)||^2], D the logit; its weight
  in `loss.gan.penalties.r1` is the paper's gamma."""
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x_real)
  return 0.5 * jnp.mean(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, -1))


def consistency(critic, x_real, x_fake=None, key=None, axis=None):
  """Consistency regularization (CR-GAN, Zhang et al. 2020): E[(D(x) - D(T(x)))^2] on the
  real images, T a random translation by up to 1/8 of the image (DiffAugment's, from `key`)
  that should not change D's view of them. Images only."""
  shifted = diffaugment.diff_augment(key, x_real, ("translation",), axis)
  return jnp.mean((critic(x_real) - critic(shifted)) ** 2)


PENALTIES = {"gp": gradient_penalty, "r1": r1_penalty, "cr": consistency}


# --- terms added to the generator's loss -------------------------------------------------------
# Each takes (features_real_BxF, features_fake_BxF, axis): D's last hidden features (the input
# of its score layer, D in the mode the generator loss reads it) of a real batch and of the
# generator's batch; returns a scalar added to G's loss times its weight in
# `loss.gan.generator_terms`. A term that needs more than D's features is a forked train step.


def feature_matching(features_real_BxF, features_fake_BxF, axis=None):
  """Feature matching (Salimans et al. 2016): ||E f(x) - E f(G(z))||^2 over D's last hidden
  features f, the means over the global batch; the real side is a constant for G."""
  real_F, fake_F = parallel.pmean((jnp.mean(features_real_BxF, 0),
                                   jnp.mean(features_fake_BxF, 0)), axis)
  return jnp.sum((jax.lax.stop_gradient(real_F) - fake_F) ** 2)


GENERATOR_TERMS = {"feature_matching": feature_matching}
