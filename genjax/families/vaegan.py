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
import jax
import jax.numpy as jnp

from genjax import losses
from genjax import models
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families import gan
from genjax.families import vae
from genjax.families.contract import DataInfo, Family, NetState, State

ENC, DEC, DISC = "enc", "dec", "disc"
# The GAN losses whose D loss is the cross-entropy softplus(-D(x)) + softplus(D(x~)) that
# balancing reads (RaGAN's is on relative scores D(x) - E D(x~): not these).
CROSS_ENTROPY_LOSSES = ("minimax", "non_saturating")
OBJECTIVE = schema.leaves("beta", "gamma", "feature_layer", "balance", "equilibrium", "margin")
SPEC = {  # The config sections this family reads beyond the shared ones (genjax.schema).
    "model": {**schema.leaves("name", "latent_dim", "conditioning"), "encoder": vae.ENCODER,
              "decoder": vae.DECODER, "discriminator": gan.DISCRIMINATOR},
    "loss": {"vaegan": OBJECTIVE, "gan": {**schema.leaves("name"), "penalties": schema.OPEN}},
    "optim": {net: schema.optim_overrides() for net in (ENC, DEC, DISC)},
}


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


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a VAE-GAN config, one line each."""
  schema.check(config, SPEC)
  cfg = config.model
  found = models.vae_problems(vae_model_config(cfg), data_info.num_classes if data_info else None)
  found += objective_problems(config.loss.vaegan)
  found += models.network_problems(cfg.discriminator, "model.discriminator", models.GAN_NETS,
                                   data_info.shape if data_info else None)
  if cfg.decoder.ar_channels or cfg.decoder.learn_scale:
    found.append("model.decoder.ar_channels and learn_scale must be 0/False: the VAE-GAN's"
                 " reconstruction error is in D's features, not a pixel likelihood")
  if config.loss.gan.name not in losses.GAN_LOSSES:
    found.append(f"unknown loss.gan.name={config.loss.gan.name!r}: valid are"
                 f" {tuple(losses.GAN_LOSSES)}")
  for name, weight in config.loss.gan.penalties.items():
    if name not in losses.PENALTIES or weight < 0:
      found.append(f"loss.gan.penalties.{name}={weight}: valid are weights >= 0 of"
                   f" {tuple(losses.PENALTIES)}")
  found += gan.penalty_problems(config.loss.gan.penalties, cfg.discriminator)
  if config.loss.vaegan.balance and config.loss.gan.name not in CROSS_ENTROPY_LOSSES:
    found.append(f"loss.vaegan.balance=True reads D's cross-entropies on real and fake data:"
                 f" it needs loss.gan.name in {CROSS_ENTROPY_LOSSES}, not"
                 f" {config.loss.gan.name!r} (or set loss.vaegan.balance=False)")
  found += vae.likelihood_problems(config)
  if data_info is not None and not data_info.is_image:
    found.append("the VAE-GAN models images; 2-D data has none")
  schema.raise_if(found + optim.problems(config.optim, (ENC, DEC, DISC)))


def build(config, data_info: DataInfo) -> Family:
  """The VAE-GAN family of `config` for images of `data_info.shape`."""
  check(config, data_info)
  rt = common.Runtime.of(config)
  cfg, loss_cfg, shape = config.model, config.loss.vaegan, data_info.shape
  vae_module = models.build_vae(vae_model_config(cfg), shape, data_info.num_classes)
  d = models.build_discriminator(cfg, shape, data_info.num_classes, rt.dtype, rt.axis)
  num_classes = vae_module.num_classes
  no_labels = jnp.zeros((2,), jnp.int32) if num_classes else None
  objective = losses.GAN_LOSSES[config.loss.gan.name]
  penalties = {k: float(w) for k, w in config.loss.gan.penalties.items() if w > 0}
  opts = {net: optim.make(config.optim, config.num_steps, net) for net in (ENC, DEC, DISC)}
  d_batch_norm = gan.batch_norm_critic(cfg.discriminator)
  # Conditional with gp: the prior samples take the batch's classes, so the penalty pairs each
  # real with a fake of its class (its critic scores both with the real labels), as the GAN's.
  prior_labels_from_real = bool(num_classes and penalties.get("gp"))
  if loss_cfg.feature_layer == "score":
    raise GenjaxError("loss.vaegan.feature_layer='score' is D's output: name an intermediate"
                      " layer (e.g. 'Conv_0', 'Dense_1')")
  jax.eval_shape(lambda v, x: gan.disc_features(d, rt, v, x, no_labels, loss_cfg.feature_layer),
                 jax.eval_shape(d.init, jax.random.PRNGKey(0), jnp.zeros((2,) + shape),
                                no_labels, train=False),
                 jnp.zeros((2,) + shape))  # Refuses a wrong name.
  likelihood, value_range = cfg.decoder.likelihood, config.data.value_range

  def apply(nets, *args, method):
    params = {**nets[ENC].params, **nets[DEC].params}
    return common.run(vae_module, rt, {"params": params}, *args, method=method)

  def decode_image(nets, z, y):
    """The image the step trains on: a Gaussian decoder's mean unclipped (clipping would stop
    its gradient wherever the mean leaves the data range), a Bernoulli one's sigmoid."""
    out = apply(nets, z, None, y, method="decode")
    return jax.nn.sigmoid(out) if likelihood == "bernoulli" else out

  def init_state(seed: int) -> State:
    root = jax.random.PRNGKey(seed)
    x = jnp.zeros((1,) + shape, jnp.float32)
    z = jnp.zeros((1, cfg.latent_dim), jnp.float32)
    params = common.init_net(vae_module, rng_lib.purpose_key(root, "init"), opts[ENC], x, z,
                             no_labels if no_labels is None else no_labels[:1]).params
    nets = {}
    for net, part in ((ENC, "encoder"), (DEC, "decoder")):
      group = {part: params[part]}
      nets[net] = NetState(group, opts[net].tx.init(group), {})
    nets[DISC] = common.init_net(d, rng_lib.purpose_key(root, "init_d"), opts[DISC],
                                 jnp.zeros((2,) + shape), no_labels, train=False)
    return State(jnp.zeros((), jnp.int32), root, nets, {})

  def train_step(state: State, batch, rng):
    x = batch["image"]
    nets, step = state.nets, state.step
    disc_vars = nets[DISC].variables
    eps = rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "reparam"),
                  (x.shape[0], cfg.latent_dim))
    z_prior = vae.prior_latents(rng_lib.purpose_key(rng, "noise"), x.shape[0], cfg.latent_dim,
                                rt)
    y = y_prior = y_fakes = None
    if num_classes:  # Prior samples of uniform classes (with gp, x's); reconstructions x's.
      y = batch["label"]
      y_prior = y if prior_labels_from_real else rt.draw(
          jax.random.randint, rng_lib.purpose_key(rng, "labels"), y.shape, minval=0,
          maxval=num_classes)
      y_fakes = jnp.concatenate([y, y_prior])
    features = lambda images: gan.disc_features(d, rt, disc_vars, images, y,
                                                loss_cfg.feature_layer)

    def score(images, labels):
      if not d_batch_norm:
        return common.run(d, rt, disc_vars, images, labels, train=False)
      mutable = list(nets[DISC].collections)
      return common.run(d, rt, disc_vars, images, labels, train=True, mutable=mutable)[0]

    def forward(enc_params, dec_params):
      """(kl_B, llike_B, x_tilde, x_prior) with these encoder and decoder parameters."""
      groups = {ENC: nets[ENC].replace(params=enc_params), DEC: nets[DEC].replace(params=dec_params)}
      mean, log_std = apply(groups, x, y, method="encode")
      z = mean + jnp.exp(log_std) * eps
      x_tilde = decode_image(groups, z, y)
      llike = feature_nll(features(x), features(x_tilde))
      return (losses.kl_diag_gaussian_standard_normal(mean, log_std), llike, x_tilde,
              decode_image(groups, z_prior, y_prior))

    def encoder_loss(enc_params):
      kl, llike, _, _ = forward(enc_params, nets[DEC].params)
      return jnp.mean(loss_cfg.beta * kl + llike)

    def decoder_loss(dec_params):
      kl, llike, x_tilde, x_prior = forward(jax.lax.stop_gradient(nets[ENC].params), dec_params)
      d_real = jax.lax.stop_gradient(score(x, y))
      d_fake = score(jnp.concatenate([x_tilde, x_prior]), y_fakes)
      adversarial = objective.g(d_real, d_fake, axis=rt.axis)
      metrics = {"kl": kl.mean(), "llike": llike.mean(), "g_loss": adversarial,
                 "real_cost": jnp.mean(jax.nn.softplus(-d_real)),
                 "fake_cost": jnp.mean(jax.nn.softplus(d_fake))}
      return loss_cfg.gamma * llike.mean() + adversarial, (metrics, x_tilde, x_prior)

    enc_grads = jax.grad(encoder_loss)(nets[ENC].params)
    dec_grads, (metrics, x_tilde, x_prior) = jax.grad(decoder_loss, has_aux=True)(
        nets[DEC].params)
    metrics = rt.mean(metrics)
    fakes = jax.lax.stop_gradient(jnp.concatenate([x_tilde, x_prior]))
    disc, d_metrics = gan.critic_update(
        d, nets[DISC], opts[DISC], rt, objective, penalties, jnp.concatenate([x, x]), fakes,
        None if y is None else jnp.concatenate([y, y]), y_fakes,
        rng_lib.purpose_key(rng, "critic"), step, 0.0, d_batch_norm)
    update_d = update_dec = jnp.bool_(True)
    if loss_cfg.balance:
      update_d, update_dec = balance(metrics["real_cost"], metrics["fake_cost"],
                                     loss_cfg.equilibrium, loss_cfg.margin)
    dec = common.apply_gradients(nets[DEC], opts[DEC], dec_grads, step, rt)
    new = {ENC: common.apply_gradients(nets[ENC], opts[ENC], enc_grads, step, rt),
           DEC: common.keep_if(update_dec, dec, nets[DEC]),
           DISC: common.keep_if(update_d, disc, nets[DISC])}
    metrics.update(d_metrics, d_skipped=1.0 - update_d.astype(jnp.float32),
                   dec_skipped=1.0 - update_dec.astype(jnp.float32))
    return state.replace(step=step + 1, nets=new), metrics

  outside = common.Runtime(rt.dtype)  # Predict functions run outside the step: no pmap axis.

  def labels_of(labels):
    if num_classes and labels is None:
      raise GenjaxError("this VAE-GAN is class-conditional: pass the examples' labels")
    return labels if num_classes else None

  def encode(state, x_BxHxWxC, labels=None):
    params = {**state.nets[ENC].params, **state.nets[DEC].params}
    return common.run(vae_module, outside, {"params": params}, x_BxHxWxC, labels_of(labels),
                      method="encode")

  def reconstruct(state, x_BxHxWxC, labels=None):
    """The decoder's image at the posterior mean (of the examples' classes `labels`)."""
    mean, _ = encode(state, x_BxHxWxC, labels)
    return sample_at(state, mean, labels_of(labels))

  def sample_at(state, z_BxZ, y=None):
    """The decoder's mean image, in the data range (a Gaussian decoder's clipped to it)."""
    params = {**state.nets[ENC].params, **state.nets[DEC].params}
    out = common.run(vae_module, outside, {"params": params}, z_BxZ, None, y, method="decode")
    return vae.mean_image(out, likelihood, value_range)

  def sample(state, key, num: int, labels=None):
    """`num` prior samples; a conditional model draws classes `labels` (default uniform)."""
    if num_classes and labels is None:
      labels = jax.random.randint(rng_lib.purpose_key(key, "labels"), (num,), 0, num_classes)
    return sample_at(state, vae.prior_latents(rng_lib.purpose_key(key, "prior"), num,
                                              cfg.latent_dim), labels if num_classes else None)

  def score_fn(state, x, labels=None):
    """The discriminator's logit (eval mode): float[B]."""
    return common.run(d, outside, state.nets[DISC].variables, x, labels, train=False)

  def disc_features(state, x_BxHxWxC, labels=None):
    """D's features at loss.vaegan.feature_layer (eval mode), flattened: float[B, F]."""
    f = gan.disc_features(d, outside, state.nets[DISC].variables, x_BxHxWxC, labels_of(labels),
                          loss_cfg.feature_layer)
    return f.reshape(len(f), -1)

  predict = {"sample": sample, "reconstruct": reconstruct, "encode": encode, "score": score_fn,
             "disc_features": disc_features,
             "prior": lambda key, num: vae.prior_latents(rng_lib.purpose_key(key, "prior"), num,
                                                         cfg.latent_dim),
             "decode": lambda state, z_BxZ, labels=None: sample_at(state, z_BxZ, labels_of(labels))}
  return Family("vaegan", init_state, train_step, predict, config.batch_size, data_info,
                num_classes)
