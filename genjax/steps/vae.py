"""VAE train and eval steps: pure functions of (state, batch, rng).

Keys: each step's `rng` is split by purpose ('reparam' here; the data pipeline takes
'binarize'), see `genjax.rng`. Images arrive in the configured value range.
"""
import functools
import math
from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from genjax import losses
from genjax import optim
from genjax import parallel
from genjax import precision
from genjax import rng as rng_lib
from genjax.errors import GenjaxError


@flax.struct.dataclass
class TrainState:
  """Everything a resumed run needs: step, parameters, optimizer state, root key."""
  step: jax.Array  # int32 scalar: number of train steps taken.
  params: Any
  opt_state: Any
  rng: jax.Array  # uint32[2]: the root key, from config.seed.


class VAEFamily:
  """Binds a VAE module to its config: init, train step, eval and sampling functions."""

  def __init__(self, model: nn.Module, config):
    self.model = model
    self.config = config
    self.image_shape = model.image_shape
    if config.loss.name not in losses.VAE_OBJECTIVES:
      raise GenjaxError(f"unknown loss.name={config.loss.name!r}: valid are"
                        f" {tuple(losses.VAE_OBJECTIVES)}")
    if config.loss.num_samples <= 0:
      raise GenjaxError(f"loss.num_samples={config.loss.num_samples} must be positive")
    if config.model.likelihood == "bernoulli" and config.data.value_range != "0,1":
      raise GenjaxError("model.likelihood='bernoulli' needs data.value_range='0,1'")
    self.objective = functools.partial(losses.VAE_OBJECTIVES[config.loss.name],
                                       beta=config.loss.beta)
    self.tx = optim.make(config.optim, config.num_steps)
    self.dtype = precision.compute_dtype(config)
    self.axis = parallel.axis_name(config)  # 'data' when the train step runs under pmap.
    self.examples_per_step = config.batch_size

  @functools.cached_property
  def _jitted(self):
    """Eval functions compiled once per family and reused by every evaluation."""
    return {"neg_elbo": jax.jit(self.neg_elbo),
            "iwae_nll": jax.jit(self.iwae_nll, static_argnums=(3, 4)),
            "sample": jax.jit(self.sample, static_argnums=2),
            "reconstruct": jax.jit(self.reconstruct)}

  # --- state ---------------------------------------------------------------------------
  def init_state(self, seed: int) -> TrainState:
    root = jax.random.PRNGKey(seed)
    x = jnp.zeros((1,) + self.image_shape, jnp.float32)
    z = jnp.zeros((1, self.config.model.latent_dim), jnp.float32)
    params = self.model.init(rng_lib.purpose_key(root, "init"), x, z)["params"]
    return TrainState(jnp.zeros((), jnp.int32), params, self.tx.init(params), root)

  def _apply(self, params, *args, method):
    """The model's `method` in the compute dtype (outputs float32)."""
    return precision.apply(self.model, self.dtype, {"params": params}, *args, method=method)

  # --- densities -----------------------------------------------------------------------
  def log_likelihood(self, params, x_BxHxWxC, z_BxZ):
    """log p(x|z) per example, nats: float[B]."""
    out = self._apply(params, z_BxZ, x_BxHxWxC, method="decode")
    if self.config.model.likelihood == "bernoulli":
      return losses.bernoulli_log_prob(out, x_BxHxWxC)
    log_scale = self.config.model.log_scale
    if self.config.model.learn_scale:
      log_scale = params["log_scale"]
    return losses.gaussian_log_prob(x_BxHxWxC, out, log_scale)

  def terms(self, params, x_BxHxWxC, key, num_samples: int, axis=None):
    """The per-sample densities the objectives in `genjax.losses` consume (`axis`: see
    `genjax.parallel.batch_draw`)."""
    mean, log_std = self._apply(params, x_BxHxWxC, method="encode")
    eps = parallel.batch_draw(jax.random.normal, key, (num_samples,) + mean.shape, axis,
                              batch_axis=1)
    z = mean + jnp.exp(log_std) * eps  # S x B x Z, reparameterized.
    flat_z = z.reshape(-1, z.shape[-1])
    flat_x = jnp.broadcast_to(x_BxHxWxC, (num_samples,) + x_BxHxWxC.shape).reshape(
        (-1,) + x_BxHxWxC.shape[1:])
    shape = (num_samples, x_BxHxWxC.shape[0])
    return {
        "log_px_SxB": self.log_likelihood(params, flat_x, flat_z).reshape(shape),
        "log_pz_SxB": losses.standard_normal_log_prob(z),
        "log_qz_SxB": losses.diag_gaussian_log_prob(z, mean, log_std),
        "kl_B": losses.kl_diag_gaussian_standard_normal(mean, log_std),
    }

  # --- steps ---------------------------------------------------------------------------
  def train_step(self, state: TrainState, batch, rng):
    """One gradient step on the configured objective: (state, metrics)."""
    key = rng_lib.purpose_key(rng, "reparam")

    def loss_fn(params):
      return self.objective(self.terms(params, batch["image"], key, self.config.loss.num_samples,
                                       self.axis))

    grads, metrics = jax.grad(loss_fn, has_aux=True)(state.params)
    grads, metrics = parallel.pmean((grads, metrics), self.axis)
    updates, opt_state = self.tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

  def neg_elbo(self, params, x_BxHxWxC, key):
    """One-sample estimate of -ELBO per example (beta = 1), nats: float[B]."""
    terms = self.terms(params, x_BxHxWxC, key, 1)
    return terms["kl_B"] - terms["log_px_SxB"][0]

  def iwae_nll(self, params, x_BxHxWxC, key, num_samples: int, chunk: int):
    """-log p(x) estimated by the IWAE bound with `num_samples` (a multiple of `chunk`)."""
    if num_samples % chunk:
      raise GenjaxError(f"eval.iwae_samples={num_samples} must be a multiple of"
                        f" eval.iwae_chunk={chunk}")

    def log_weights(chunk_key):
      t = self.terms(params, x_BxHxWxC, chunk_key, chunk)
      return t["log_px_SxB"] + t["log_pz_SxB"] - t["log_qz_SxB"]

    log_w = jax.lax.map(log_weights, jax.random.split(key, num_samples // chunk))
    return -losses.iwae_bound(log_w.reshape(num_samples, -1))

  def evaluate(self, state: TrainState, eval_x_NxHxWxC) -> dict:
    """Negative ELBO on all of `eval_x` and IWAE NLL on its first `eval.iwae_examples`.

    The keys are fixed (from the root key), so evaluations of two checkpoints use the same
    noise. Nats per example, and bits/dim.
    """
    cfg = self.config.eval
    key = rng_lib.purpose_key(state.rng, "eval")
    neg_elbo, nll = self._jitted["neg_elbo"], self._jitted["iwae_nll"]
    elbos, nlls = [], []
    for start in range(0, len(eval_x_NxHxWxC), cfg.batch_size):
      x = eval_x_NxHxWxC[start:start + cfg.batch_size]
      batch_key = jax.random.fold_in(key, start)
      elbos.append(neg_elbo(state.params, x, batch_key))
      if start < cfg.iwae_examples:
        x = x[: cfg.iwae_examples - start]
        nlls.append(nll(state.params, x, batch_key, cfg.iwae_samples, cfg.iwae_chunk))
    neg_elbo_nats = float(jnp.concatenate(elbos).mean())
    nll_nats = float(jnp.concatenate(nlls).mean())
    return {
        "eval/neg_elbo": neg_elbo_nats,
        "eval/nll": nll_nats,
        "eval/nll_bits_per_dim": bits_per_dim(nll_nats, self.image_shape),
        "eval/neg_elbo_bits_per_dim": bits_per_dim(neg_elbo_nats, self.image_shape),
    }

  def image_summaries(self, state: TrainState, eval_x_NxHxWxC) -> dict:
    """{'samples': prior samples, 'reconstructions': (original, reconstruction) pairs}."""
    num = self.config.eval.num_samples_png
    samples = self._jitted["sample"](state, rng_lib.purpose_key(state.rng, "samples"), num)
    originals = eval_x_NxHxWxC[: max(num // 2, 1)]
    recons = self._jitted["reconstruct"](state.params, originals)
    pairs = jnp.stack([originals, recons], 1).reshape((-1,) + originals.shape[1:])
    return {"samples": samples, "reconstructions": pairs}

  # --- images --------------------------------------------------------------------------
  def sample(self, state: TrainState, key, num: int):
    """`num` images from the prior, NHWC in the training value range.

    Bernoulli decoders give pixel probabilities (the mean image); with the
    autoregressive head, pixels are drawn one by one in raster order (binary).
    """
    params = state.params
    z = jax.random.normal(rng_lib.purpose_key(key, "prior"), (num, self.config.model.latent_dim))
    if self.model.head is None:
      return self._mean_image(self._apply(params, z, method="decode"))
    features = self._apply(params, z, method=lambda m, z: m.decoder(z))
    height, width, channels = self.image_shape
    head = lambda x: self._apply(params, features, x, method=lambda m, f, x: m.head(f, x))

    def draw_pixel(i, x):
      row, col = i // width, i % width
      logits = head(x)[:, row, col]
      bits = jax.random.bernoulli(jax.random.fold_in(key, i), jax.nn.sigmoid(logits))
      return x.at[:, row, col].set(bits.astype(x.dtype))

    return jax.lax.fori_loop(0, height * width, draw_pixel,
                             jnp.zeros((num, height, width, channels), jnp.float32))

  def reconstruct(self, params, x_BxHxWxC):
    """Decoder mean at the posterior mean (teacher-forced for the autoregressive head)."""
    mean, _ = self._apply(params, x_BxHxWxC, method="encode")
    return self._mean_image(self._apply(params, mean, x_BxHxWxC, method="decode"))

  def _mean_image(self, out):
    if self.config.model.likelihood == "bernoulli":
      return jax.nn.sigmoid(out)
    low = -1.0 if self.config.data.value_range == "-1,1" else 0.0
    return jnp.clip(out, low, 1.0)


def bits_per_dim(nats, image_shape) -> float:
  return nats / (math.prod(image_shape) * math.log(2.0))
