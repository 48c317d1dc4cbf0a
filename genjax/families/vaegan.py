"""The VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity
metric"): a VAE whose reconstruction error is measured in a discriminator's features, the
decoder doubling as a GAN generator. Composed from the VAE and GAN pieces.

Losses, one per parameter group (as the authors' code andersbll/autoencoding_beyond_pixels
routes them), all from the same state, then three optimizer updates in one step:
  encoder <- beta * L_prior + L_llike            (no adversarial gradient reaches it)
  decoder <- gamma * L_llike + L_GAN(G)          (D calls reconstructions and prior samples real)
  discriminator <- L_GAN(D) only                 (reconstructions and prior samples are fakes)
with L_prior = KL(q(z|x) || N(0, I)) and L_llike = -log N(D_l(x); D_l(x~), I), D_l the output
of D's intermediate layer `loss.vaegan.feature_layer` (nats per example, constant dropped).
x~ is the decoder's mean as it comes out (a Gaussian decoder's unclipped, so it has a
gradient everywhere; the predict functions clip it to the data range).
L_GAN is any `genjax.losses.GAN_LOSSES` objective, with its penalties (`loss.gan`; gp and r1
need a D without batch norm). A conditional model's prior samples draw uniform classes, or
with gp the batch's, so the penalty interpolates a real and a fake of one class.
Balancing (`loss.vaegan.balance`, the reference code's; minimax and non-saturating losses
only): with D's cross-entropies on real and on fake data, D's update is skipped when either
is below equilibrium - margin (D is winning), the decoder's when either is above
equilibrium + margin (it is losing badly), both run when both would be skipped;
`d_skipped` / `dec_skipped` log how often.
Keys: 'reparam' (posterior draw), 'noise' (prior draw), 'labels' (the prior samples'
classes), 'critic' (D's update, penalties).
"""
import dataclasses
import functools
from typing import Any, Mapping, Tuple

import jax
import jax.numpy as jnp

from genjax import losses
from genjax import models
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import vaegan as defaults
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families import gan
from genjax.families import vae
from genjax.families.contract import DataInfo, Family, NetState, State

ENC, DEC, DISC = "enc", "dec", "disc"
# The GAN losses whose D loss is the cross-entropy softplus(-D(x)) + softplus(D(x~)) that
# balancing reads (RaGAN's is on relative scores D(x) - E D(x~): not these).
CROSS_ENTROPY_LOSSES = ("minimax", "non_saturating")



# --- pieces ----------------------------------------------------------------------------------
def feature_nll(features_x, features_x_tilde):
  """-log N(D_l(x); D_l(x~), I) per example, constant dropped: half the squared distance
  summed over the layer's elements (nats, float[B])."""
  diff = (features_x - features_x_tilde).reshape(features_x.shape[0], -1)
  return 0.5 * jnp.sum(diff**2, -1)


def balance(real_cost, fake_cost, equilibrium: float, margin: float):
  """(update D, update the decoder) as booleans from D's cross-entropies (reference code)."""
  update_d = ~((real_cost < equilibrium - margin) | (fake_cost < equilibrium - margin))
  update_dec = ~((real_cost > equilibrium + margin) | (fake_cost > equilibrium + margin))
  both = ~(update_d | update_dec)
  return update_d | both, update_dec | both


# --- the family ------------------------------------------------------------------------------
def objective_problems(cfg) -> list:
  """One line per bad value of config.loss.vaegan."""
  found = []
  for field in ("beta", "gamma"):
    if not cfg[field] >= 0:
      found.append(f"loss.vaegan.{field}={cfg[field]} must be >= 0")
  if not cfg.feature_layer:
    found.append("loss.vaegan.feature_layer is empty: name an intermediate layer of D"
                 " (e.g. 'Conv_1' of a DCGAN discriminator, 'Dense_1' of an MLP one)")
  if cfg.margin < 0:
    found.append(f"loss.vaegan.margin={cfg.margin} must be >= 0")
  return found


def vae_model_config(cfg):
  """config.model as the VAE part reads it: a conditional VAE-GAN's encoder and decoder take
  labels by concatenation whatever D's `conditioning` ('projection' or 'concat')."""
  out = cfg.copy_and_resolve_references()
  out.conditioning = "none" if cfg.conditioning == "none" else "concat"
  return out


def spec_of(config) -> dict:
  """The fields a VAE-GAN config may have (genjax/defaults/vaegan.py), loss.gan widened by
  every registered GAN objective's hyperparameters."""
  del config
  return gan.spec_with_objectives(defaults.get_config(), ("loss.gan.penalties",))


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a VAE-GAN config, one line each."""
  cfg = config.model
  found = models.vae_problems(vae_model_config(cfg), data_info.num_classes if data_info else None)
  found += objective_problems(config.loss.vaegan)
  found += models.network_problems(cfg.discriminator, "model.discriminator", models.GAN_NETS,
                                   data_info.shape if data_info else None)
  if cfg.decoder.ar_channels or cfg.decoder.learn_scale:
    found.append("model.decoder.ar_channels and learn_scale must be 0/False: the VAE-GAN's"
                 " reconstruction error is in D's features, not a pixel likelihood")
  found += gan.adversary_problems(config.loss.gan, cfg.discriminator)
  if config.loss.vaegan.balance and config.loss.gan.name not in CROSS_ENTROPY_LOSSES:
    found.append(f"loss.vaegan.balance=True reads D's cross-entropies on real and fake data:"
                 f" it needs loss.gan.name in {CROSS_ENTROPY_LOSSES}, not"
                 f" {config.loss.gan.name!r} (or set loss.vaegan.balance=False)")
  found += vae.likelihood_problems(config)
  if data_info is not None and not data_info.is_image:
    found.append("the VAE-GAN models images; 2-D data has none")
  schema.raise_if(found + optim.problems(config.optim, (ENC, DEC, DISC)))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a VAE-GAN step reads besides its state, built once from the config (`make_setup`)."""
  vae: Any                     # the VAE module: encode(x, y), decode(z, None, y)
  d: Any                       # x [, labels] -> logit float[B]; features at loss.feature_layer
  opts: Mapping[str, optim.Optimizer]  # ENC, DEC, DISC
  objective: losses.GANLoss    # losses.GAN_LOSSES[config.loss.gan.name], hyperparameters bound
  penalties: Mapping[str, float]  # losses.PENALTIES name -> weight (> 0 only)
  rt: common.Runtime
  shape: Tuple[int, ...]       # (H, W, C)
  num_classes: int             # classes the model is conditioned on (0: none)
  model: Any                   # config.model
  loss: Any                    # config.loss.vaegan (beta, gamma, feature_layer, balance)
  value_range: str             # config.data.value_range

  @property
  def d_batch_norm(self) -> bool:
    return gan.batch_norm_critic(self.model.discriminator)

  @property
  def prior_labels_from_real(self) -> bool:
    """Conditional with gp: the prior samples take the batch's classes, so the penalty pairs
    each real with a fake of its class (its critic scores both with the real labels)."""
    return bool(self.num_classes and self.penalties.get("gp"))

  @property
  def no_labels(self):
    return jnp.zeros((2,), jnp.int32) if self.num_classes else None


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  rt = common.Runtime.of(config)
  cfg, shape = config.model, data_info.shape
  vae_module = models.build_vae(vae_model_config(cfg), shape, data_info.num_classes)
  setup = Setup(
      vae=vae_module,
      d=models.build_discriminator(cfg, shape, data_info.num_classes, rt.dtype, rt.axis),
      opts={net: optim.make(config.optim, config.num_steps, net) for net in (ENC, DEC, DISC)},
      objective=gan.objective_of(config.loss.gan), penalties=gan.positive(config.loss.gan.penalties),
      rt=rt,
      shape=shape, num_classes=vae_module.num_classes, model=cfg, loss=config.loss.vaegan,
      value_range=config.data.value_range)
  layer = setup.loss.feature_layer
  if layer == "score":
    raise GenjaxError("loss.vaegan.feature_layer='score' is D's output: name an intermediate"
                      " layer (e.g. 'Conv_0', 'Dense_1')")
  x = jnp.zeros((2,) + shape)
  jax.eval_shape(lambda v: gan.disc_features(setup.d, rt, v, x, setup.no_labels, layer),
                 jax.eval_shape(setup.d.init, jax.random.PRNGKey(0), x, setup.no_labels,
                                train=False))  # Refuses a wrong name.
  return setup


def init_state(setup: Setup, seed: int) -> State:
  """Fresh encoder and decoder (key 'init', split into two parameter groups with their own
  optimizers) and discriminator ('init_d'); no EMA."""
  s, root = setup, jax.random.PRNGKey(seed)
  x = jnp.zeros((1,) + s.shape, jnp.float32)
  z = jnp.zeros((1, s.model.latent_dim), jnp.float32)
  params = common.init_net(s.vae, rng_lib.purpose_key(root, "init"), s.opts[ENC], x, z,
                           None if s.no_labels is None else s.no_labels[:1]).params
  nets = {}
  for net, part in ((ENC, "encoder"), (DEC, "decoder")):
    group = {part: params[part]}
    nets[net] = NetState(group, s.opts[net].tx.init(group), {})
  nets[DISC] = common.init_net(s.d, rng_lib.purpose_key(root, "init_d"), s.opts[DISC],
                               jnp.zeros((2,) + s.shape), s.no_labels, train=False)
  return State(jnp.zeros((), jnp.int32), root, nets, {})


def run_vae(setup: Setup, nets, *args, method: str, rt=None):
  """The VAE module's `method` with the encoder and decoder parameters of `nets`."""
  params = {**nets[ENC].params, **nets[DEC].params}
  return common.run(setup.vae, rt or setup.rt, {"params": params}, *args, method=method)


def decode_for_training(setup: Setup, nets, z_BxZ, y):
  """The image the step trains on: a Gaussian decoder's mean unclipped (clipping would stop
  its gradient wherever the mean leaves the data range), a Bernoulli one's sigmoid."""
  out = run_vae(setup, nets, z_BxZ, None, y, method="decode")
  return jax.nn.sigmoid(out) if setup.model.decoder.likelihood == "bernoulli" else out


def reconstructions_and_prior_samples(x, y, x_tilde, x_prior, y_prior):
  """What the adversary compares (Larsen et al.): (reals, their labels, fakes, their labels),
  the reals x twice against the reconstructions x~ and the prior samples."""
  both = lambda a, b: None if a is None else jnp.concatenate([a, b])
  return both(x, x), both(y, y), jnp.concatenate([x_tilde, x_prior]), both(y, y_prior)


def step_draws(setup: Setup, batch, rng):
  """(eps_BxZ, z_prior_BxZ, y_B, y_prior_B): the posterior noise ('reparam'), the prior draws
  ('noise') and, when conditional, the batch's classes and the prior samples' (uniform from
  'labels', or with gp the batch's); y and y_prior are None when unconditional."""
  s, x = setup, batch["image"]
  eps = s.rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "reparam"),
                  (x.shape[0], s.model.latent_dim))
  z_prior = vae.prior_latents(rng_lib.purpose_key(rng, "noise"), x.shape[0], s.model.latent_dim,
                              s.rt)
  y = y_prior = None
  if s.num_classes:
    y = batch["label"]
    y_prior = y if s.prior_labels_from_real else s.rt.draw(
        jax.random.randint, rng_lib.purpose_key(rng, "labels"), y.shape, minval=0,
        maxval=s.num_classes)
  return eps, z_prior, y, y_prior


def train_step(setup: Setup, state: State, batch, rng,
               adversarial_batch=reconstructions_and_prior_samples):
  """One update of each parameter group by its own loss (module docstring), all from `state`.
  `adversarial_batch(x, y, x_tilde, x_prior, y_prior)` chooses what D and the decoder's
  adversarial term compare. Returns (state, metrics)."""
  s, cfg, x = setup, setup.loss, batch["image"]
  nets, step = state.nets, state.step
  disc_vars = nets[DISC].variables
  eps, z_prior, y, y_prior = step_draws(s, batch, rng)
  features = lambda images: gan.disc_features(s.d, s.rt, disc_vars, images, y, cfg.feature_layer)
  score = lambda images, labels: gan.generator_scores(s.d, s.rt, disc_vars, images, labels,
                                                      s.d_batch_norm)

  def forward(enc_params, dec_params):
    """(kl_B, llike_B, x_tilde, x_prior) with these encoder and decoder parameters."""
    groups = {ENC: nets[ENC].replace(params=enc_params), DEC: nets[DEC].replace(params=dec_params)}
    mean, log_std = run_vae(s, groups, x, y, method="encode")
    x_tilde = decode_for_training(s, groups, mean + jnp.exp(log_std) * eps, y)
    llike = feature_nll(features(x), features(x_tilde))
    return (losses.kl_diag_gaussian_standard_normal(mean, log_std), llike, x_tilde,
            decode_for_training(s, groups, z_prior, y_prior))

  def encoder_loss(enc_params):
    kl, llike, _, _ = forward(enc_params, nets[DEC].params)
    return jnp.mean(cfg.beta * kl + llike)

  def decoder_loss(dec_params):
    kl, llike, x_tilde, x_prior = forward(jax.lax.stop_gradient(nets[ENC].params), dec_params)
    d_real = jax.lax.stop_gradient(score(x, y))
    reals, y_reals, fakes, y_fakes = adversarial_batch(x, y, x_tilde, x_prior, y_prior)
    d_fake = score(fakes, y_fakes)
    adversarial = s.objective.g(d_real, d_fake, axis=s.rt.axis)
    metrics = {"kl": kl.mean(), "llike": llike.mean(), "g_loss": adversarial,
               "real_cost": jnp.mean(jax.nn.softplus(-d_real)),
               "fake_cost": jnp.mean(jax.nn.softplus(d_fake))}
    return cfg.gamma * llike.mean() + adversarial, (metrics, (reals, y_reals, fakes, y_fakes))

  enc_grads = jax.grad(encoder_loss)(nets[ENC].params)
  dec_grads, (metrics, (reals, y_reals, fakes, y_fakes)) = jax.grad(
      decoder_loss, has_aux=True)(nets[DEC].params)
  metrics = s.rt.mean(metrics)
  disc, d_metrics = gan.critic_update(
      s.d, nets[DISC], s.opts[DISC], s.rt, s.objective, s.penalties, reals,
      jax.lax.stop_gradient(fakes), y_reals, y_fakes, rng_lib.purpose_key(rng, "critic"), step,
      0.0, s.d_batch_norm)
  update_d = update_dec = jnp.bool_(True)
  if cfg.balance:
    update_d, update_dec = balance(metrics["real_cost"], metrics["fake_cost"], cfg.equilibrium,
                                   cfg.margin)
  dec = common.apply_gradients(nets[DEC], s.opts[DEC], dec_grads, step, s.rt)
  new = {ENC: common.apply_gradients(nets[ENC], s.opts[ENC], enc_grads, step, s.rt),
         DEC: common.keep_if(update_dec, dec, nets[DEC]),
         DISC: common.keep_if(update_d, disc, nets[DISC])}
  metrics.update(d_metrics, d_skipped=1.0 - update_d.astype(jnp.float32),
                 dec_skipped=1.0 - update_dec.astype(jnp.float32))
  return state.replace(step=step + 1, nets=new), metrics


# --- predict functions (eval mode, outside the train step: no pmap axis) --------------------
def _labels_of(setup: Setup, labels):
  if setup.num_classes and labels is None:
    raise GenjaxError("this VAE-GAN is class-conditional: pass the examples' labels")
  return labels if setup.num_classes else None


def encode(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """The posterior's (mean_BxZ, log_std_BxZ)."""
  return run_vae(setup, state.nets, x_BxHxWxC, _labels_of(setup, labels), method="encode",
                 rt=setup.rt.outside())


def decode(setup: Setup, state: State, z_BxZ, labels=None):
  """The decoder's mean image, in the data range (a Gaussian decoder's clipped to it)."""
  out = run_vae(setup, state.nets, z_BxZ, None, _labels_of(setup, labels), method="decode",
                rt=setup.rt.outside())
  return vae.mean_image(out, setup.model.decoder.likelihood, setup.value_range)


def reconstruct(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """The decoder's image at the posterior mean (of the examples' classes `labels`)."""
  mean, _ = encode(setup, state, x_BxHxWxC, labels)
  return decode(setup, state, mean, labels)


def prior(setup: Setup, key, num: int):
  return vae.prior_latents(rng_lib.purpose_key(key, "prior"), num, setup.model.latent_dim)


def sample(setup: Setup, state: State, key, num: int, labels=None):
  """`num` prior samples; a conditional model draws classes `labels` (default uniform)."""
  if setup.num_classes and labels is None:
    labels = jax.random.randint(rng_lib.purpose_key(key, "labels"), (num,), 0, setup.num_classes)
  return decode(setup, state, prior(setup, key, num), labels)


def score(setup: Setup, state: State, x, labels=None):
  """The discriminator's logit (eval mode): float[B]."""
  return common.run(setup.d, setup.rt.outside(), state.nets[DISC].variables, x, labels, train=False)


def disc_features(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """D's features at loss.vaegan.feature_layer (eval mode), flattened: float[B, F]."""
  f = gan.disc_features(setup.d, setup.rt.outside(), state.nets[DISC].variables, x_BxHxWxC,
                        _labels_of(setup, labels), setup.loss.feature_layer)
  return f.reshape(len(f), -1)


def build(config, data_info: DataInfo) -> Family:
  """The VAE-GAN family of `config` for images of `data_info.shape`."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {"sample": bind(sample), "reconstruct": bind(reconstruct), "encode": bind(encode),
             "score": bind(score), "disc_features": bind(disc_features), "prior": bind(prior),
             "decode": bind(decode)}
  return Family("vaegan", bind(init_state), bind(train_step), predict, config.batch_size,
                data_info, setup.num_classes, setup)
