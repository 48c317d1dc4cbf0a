"""GAN train step: `n_critic` discriminator updates then one generator update, all inside
one compiled function, every draw from a key split off the step's `rng` by purpose:
'critic' (per critic step: 'noise', 'labels', 'augment_real', 'augment_fake',
'instance_noise', 'gp'), then 'noise', 'labels', 'augment' for the generator update.

The batch holds `n_critic * batch_size` real examples: one fresh slice per critic step.
"""
import functools
from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax

from genjax import augment
from genjax import logging as log_lib
from genjax import loops
from genjax import losses
from genjax import optim
from genjax import parallel
from genjax import precision
from genjax import rng as rng_lib
from genjax.data import toy2d
from genjax.errors import GenjaxError
from genjax.metrics import modes


@flax.struct.dataclass
class NetState:
  params: Any
  opt_state: Any
  collections: Any  # {'batch_stats': ...} (batch norm, spectral-norm vectors), or {}.


@flax.struct.dataclass
class GANState:
  step: jax.Array
  gen: NetState
  disc: NetState
  ema_params: Any  # EMA of the generator's params; equal to them when ema_decay == 0.
  rng: jax.Array


class GANFamily:
  """Binds generator and discriminator modules to the config's loss and optimizers."""

  def __init__(self, generator, discriminator, config, data_shape, num_classes: int = 0):
    self.g, self.d, self.config = generator, discriminator, config
    self.data_shape = tuple(data_shape)
    self.num_classes = num_classes
    cfg = config.loss
    if cfg.name not in losses.GAN_LOSSES:
      raise GenjaxError(f"unknown loss.name={cfg.name!r}: valid are {tuple(losses.GAN_LOSSES)}")
    self.d_loss, self.g_loss, needs_score = losses.GAN_LOSSES[cfg.name]
    if needs_score and config.model.sigmoid_output:
      raise GenjaxError(f"loss.name={cfg.name!r} needs an unbounded discriminator score, but"
                        " model.sigmoid_output=True: set it False or use minimax/non_saturating")
    if config.model.sigmoid_output:  # D gives probabilities: turn them back into logits.
      self.d_loss = lambda r, f, base=self.d_loss: base(_logit(r), _logit(f))
      self.g_loss = lambda f, base=self.g_loss: base(_logit(f))
    if cfg.n_critic <= 0:
      raise GenjaxError(f"loss.n_critic={cfg.n_critic} must be positive")
    self.policies = augment.parse(cfg.diffaugment)
    if self.policies and len(self.data_shape) != 3:
      raise GenjaxError("loss.diffaugment applies to images only; set it to '' for 2-D data")
    if not 0.0 <= config.ema_decay < 1.0:
      raise GenjaxError(f"ema_decay={config.ema_decay} must lie in [0, 1)")
    self.g_tx = optim.make(config.optim, config.num_steps)
    d_optim = config.optim.copy_and_resolve_references()
    d_optim.learning_rate = config.optim.d_learning_rate or config.optim.learning_rate
    self.d_tx = optim.make(d_optim, config.num_steps)
    self.dtype = precision.compute_dtype(config)
    self.axis = parallel.axis_name(config)  # 'data' when the train step runs under pmap.
    self.examples_per_step = config.batch_size * cfg.n_critic

  # --- state ---------------------------------------------------------------------------
  def init_state(self, seed: int) -> GANState:
    root = jax.random.PRNGKey(seed)
    z = self.latent(jax.random.PRNGKey(0), 2)
    y = jnp.zeros((2,), jnp.int32) if self.num_classes else None
    g_vars = self.g.init(rng_lib.purpose_key(root, "init_g"), z, y, train=False)
    d_vars = self.d.init(rng_lib.purpose_key(root, "init_d"), jnp.zeros((2,) + self.data_shape),
                         y, train=False)
    d_vars = precision.cast(d_vars, jnp.float32)  # Spectral norm's init stores its dtype.

    def net(variables, tx):
      params = variables["params"]
      rest = {k: v for k, v in variables.items() if k != "params"}
      return NetState(params, tx.init(params), rest)

    gen = net(g_vars, self.g_tx)
    ema = jax.tree.map(jnp.copy, gen.params)  # A distinct buffer: the state is donated.
    return GANState(jnp.zeros((), jnp.int32), gen, net(d_vars, self.d_tx), ema, root)

  # --- pieces --------------------------------------------------------------------------
  def latent(self, key, num: int, axis=None):
    """Draws from G's prior: N(0, I) of `latent_dim`, then (if `model.latent_codes` = K > 0)
    a one-hot uniform categorical code of K, as in InfoGAN's prior. The code lets G place
    its mass on disconnected modes without bridges between them: z_Bx(Z+K). `axis`: see
    `genjax.parallel.batch_draw`."""
    gauss_key, code_key = jax.random.split(key)
    z = parallel.batch_draw(jax.random.normal, gauss_key, (num, self.config.model.latent_dim),
                            axis)
    codes = self.config.model.latent_codes
    if not codes:
      return z
    code = parallel.batch_draw(jax.random.randint, code_key, (num,), axis, minval=0, maxval=codes)
    return jnp.concatenate([z, jax.nn.one_hot(code, codes)], -1)

  def _generate(self, gen: NetState, params, key, batch: int, train: bool):
    """(fake x, labels, updated generator collections)."""
    z = self.latent(rng_lib.purpose_key(key, "noise"), batch, self.axis)
    y = (parallel.batch_draw(jax.random.randint, rng_lib.purpose_key(key, "labels"), (batch,),
                             self.axis, minval=0, maxval=self.num_classes)
         if self.num_classes else None)
    x, updates = precision.apply(self.g, self.dtype, {"params": params, **gen.collections}, z, y,
                                 train=train, mutable=list(gen.collections))
    return x, y, {**gen.collections, **updates}

  def _d_input(self, x, key, step, side: str):
    if self.policies:
      x = augment.diff_augment(rng_lib.purpose_key(key, f"augment_{side}"), x, self.policies,
                               self.axis)
    cfg = self.config.loss
    if cfg.instance_noise > 0:
      scale = cfg.instance_noise * jnp.maximum(0.0, 1.0 - step / max(cfg.instance_noise_steps, 1))
      x = x + scale * parallel.batch_draw(
          jax.random.normal, rng_lib.purpose_key(key, f"instance_noise_{side}"), x.shape, self.axis)
    return x

  def _critic_update(self, carry, inputs, step):
    gen, disc = carry
    real, y_real, key = inputs
    cfg = self.config.loss
    fake, y_fake, _ = self._generate(gen, gen.params, key, real.shape[0], train=True)
    fake = jax.lax.stop_gradient(fake)
    x_real, x_fake = self._d_input(real, key, step, "real"), self._d_input(fake, key, step, "fake")

    def loss_fn(params):
      variables = {"params": params, **disc.collections}
      both_y = None if y_real is None else jnp.concatenate([y_real, y_fake])
      scores, updates = precision.apply(self.d, self.dtype, variables,
                                        jnp.concatenate([x_real, x_fake]), both_y, train=True,
                                        mutable=list(disc.collections))
      d_real, d_fake = jnp.split(scores, 2)
      loss = self.d_loss(d_real, d_fake)
      metrics = {"d_loss": loss, "d_real": d_real.mean(), "d_fake": d_fake.mean()}
      critic = lambda y: lambda x: precision.apply(
          self.d, self.dtype, {"params": params, **disc.collections}, x, y, train=False)
      if cfg.name == "wgan_gp":
        gp = losses.gradient_penalty(critic(y_real), x_real, x_fake, rng_lib.purpose_key(key, "gp"),
                                     self.axis)
        loss, metrics["gradient_penalty"] = loss + cfg.gp_weight * gp, gp
      if cfg.r1_weight > 0:
        r1 = losses.r1_penalty(critic(y_real), x_real)
        loss, metrics["r1"] = loss + 0.5 * cfg.r1_weight * r1, r1
      return loss, ({**disc.collections, **updates}, metrics)

    grads, (collections, metrics) = jax.grad(loss_fn, has_aux=True)(disc.params)
    grads, metrics = parallel.pmean((grads, metrics), self.axis)
    updates, opt_state = self.d_tx.update(grads, disc.opt_state, disc.params)
    params = optax.apply_updates(disc.params, updates)
    if cfg.name == "wasserstein":  # WGAN's Lipschitz constraint: clip every weight.
      params = jax.tree.map(lambda p: jnp.clip(p, -cfg.clip, cfg.clip), params)
    return (gen, NetState(params, opt_state, collections)), metrics

  # --- the step ------------------------------------------------------------------------
  def train_step(self, state: GANState, batch, rng):
    cfg = self.config
    n = cfg.loss.n_critic
    real = batch["image"].reshape((n, -1) + self.data_shape)  # -1: b, or b / devices (pmap).
    labels = batch["label"].reshape(n, -1) if self.num_classes else None
    keys = jax.random.split(rng_lib.purpose_key(rng, "critic"), n)
    step = state.step.astype(jnp.float32)
    (_, disc), d_metrics = loops.scan(
        lambda carry, inputs: self._critic_update(carry, inputs, step),
        (state.gen, state.disc), (real, labels, keys))

    def g_loss_fn(params):
      fake, y, collections = self._generate(state.gen, params, rng, real.shape[1], train=True)
      x = self._d_input(fake, rng, step, "fake")
      scores = precision.apply(self.d, self.dtype, {"params": disc.params, **disc.collections},
                               x, y, train=False)
      return self.g_loss(scores), collections

    (g_loss, collections), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state.gen.params)
    grads, g_loss = parallel.pmean((grads, g_loss), self.axis)
    updates, opt_state = self.g_tx.update(grads, state.gen.opt_state, state.gen.params)
    params = optax.apply_updates(state.gen.params, updates)
    decay = cfg.ema_decay
    ema = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, state.ema_params, params)
    metrics = {**jax.tree.map(lambda m: m[-1], d_metrics), "g_loss": g_loss}
    new_state = state.replace(step=state.step + 1, gen=NetState(params, opt_state, collections),
                              disc=disc, ema_params=ema)
    return new_state, metrics

  # --- evaluation ----------------------------------------------------------------------
  @functools.cached_property
  def _jitted(self):
    """Eval functions compiled once per family and reused by every evaluation."""
    return {"sample": jax.jit(self.sample, static_argnums=2)}

  @property
  def image_shape(self):
    return self.data_shape

  def evaluate(self, state: GANState, eval_x=None) -> dict:
    """2-D mixtures: mode coverage of `eval.mode_samples` generator samples. Images: none yet."""
    del eval_x
    if len(self.data_shape) != 1:
      return {}
    data = self.config.data
    means = toy2d.means(data.name, data.radius, data.spacing)
    key = rng_lib.purpose_key(state.rng, "eval")
    samples = self._jitted["sample"](state, key, self.config.eval.mode_samples)
    result = modes.mode_coverage(jax.device_get(samples), means, data.std)
    return {f"eval/{k}": v for k, v in result.items()}

  def image_summaries(self, state: GANState, eval_x=None) -> dict:
    """{'samples': a grid of generator samples} (images), or {'samples': a 2-D histogram}."""
    del eval_x
    key = rng_lib.purpose_key(state.rng, "samples")
    if len(self.data_shape) == 3:
      return {"samples": self._jitted["sample"](state, key, self.config.eval.num_samples_png)}
    points = jax.device_get(self._jitted["sample"](state, key, 2500))
    return {"samples": log_lib.histogram_image(points)[None]}

  # --- sampling ------------------------------------------------------------------------
  def sample(self, state: GANState, key, num: int, labels=None):
    """`num` samples from the EMA generator (eval mode) and the prior; `labels` (int32[num])
    picks classes of a conditional generator (default: uniform draws)."""
    z = self.latent(rng_lib.purpose_key(key, "prior"), num)
    if self.num_classes and labels is None:
      labels = jax.random.randint(rng_lib.purpose_key(key, "labels"), (num,), 0, self.num_classes)
    return precision.apply(self.g, self.dtype, {"params": state.ema_params, **state.gen.collections},
                           z, labels, train=False)


def _logit(p):
  p = jnp.clip(p, 1e-6, 1.0 - 1e-6)
  return jnp.log(p) - jnp.log1p(-p)
