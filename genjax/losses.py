"""Pure loss functions. Log densities are in nats, summed over an example's dimensions.

VAE objectives take the `terms` of a batch (see `genjax.steps.vae.vae_terms`):
  log_px_SxB  log p(x|z_s)        log_pz_SxB  log p(z_s)
  log_qz_SxB  log q(z_s|x)        kl_B        KL(q(z|x) || p(z)), analytic
for S posterior samples z_s per example, and return (scalar loss, metrics dict).
Register a new one in VAE_OBJECTIVES and select it with `config.loss.name`.
"""
import math

import jax
import jax.numpy as jnp

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


def elbo(terms, beta: float = 1.0):
  """Negative (beta-)ELBO with the analytic KL: E_q[-log p(x|z)] + beta KL."""
  reconstruction = -terms["log_px_SxB"].mean(0)
  loss = jnp.mean(reconstruction + beta * terms["kl_B"])
  return loss, {"loss": loss, "reconstruction": reconstruction.mean(), "kl": terms["kl_B"].mean()}


def iwae(terms, beta: float = 1.0):
  """Negative IWAE bound (Burda et al. 2016) over the S samples; beta must be 1."""
  del beta
  log_w = terms["log_px_SxB"] + terms["log_pz_SxB"] - terms["log_qz_SxB"]
  loss = -jnp.mean(iwae_bound(log_w))
  return loss, {"loss": loss, "reconstruction": -terms["log_px_SxB"].mean(),
                "kl": terms["kl_B"].mean()}


VAE_OBJECTIVES = {"elbo": elbo, "iwae": iwae}
