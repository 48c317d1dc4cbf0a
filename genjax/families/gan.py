"""The GAN family and its reusable pieces: `n_critic` discriminator updates, then one
generator update, inside one compiled step.

Pieces (module-level, composable by other families such as the VAE-GAN):
  `latent`, `generate`: prior draws and generator outputs;
  `d_input`: DiffAugment and instance noise on D's inputs;
  `critic_update`: one discriminator update under an objective, penalties and weight clipping;
  `generator_loss`: the generator's objective through the discriminator.
Keys, split off the step's `rng` by purpose: 'critic' (per critic update: 'noise', 'labels',
'augment_real', 'augment_fake', 'instance_noise_*', one per penalty name), then 'noise',
'labels', 'augment_*' for the generator update. The batch holds `n_critic * batch_size` real
examples: one fresh slice per critic update.
"""
import dataclasses
import functools
from typing import Any, Mapping, Tuple

import jax
import jax.numpy as jnp

from genjax import diffaugment
from genjax import loops
from genjax import losses
from genjax import models
from genjax import optim
from genjax import precision
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import gan as defaults
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families.contract import DataInfo, Family, NetState, State
from genjax.models import gan as gan_nets

GEN, DISC = "gen", "disc"
# The penalties on D's input gradient, refused on a batch-norm D (`penalty_problems`), and
# the others that run D in eval mode, refused there too.
INPUT_GRADIENT_PENALTIES = ("gp", "r1")
EVAL_MODE_PENALTIES = INPUT_GRADIENT_PENALTIES + ("cr",)
IMAGE_PENALTIES = ("cr",)  # Augments its inputs: images only.
# Critic loops up to this long are unrolled (genjax.loops: 4x faster for a conv critic on CPU).
CRITIC_UNROLL = 8
# The weights sections of loss.gan: their names are checked against losses.PENALTIES and
# losses.GENERATOR_TERMS (`objective_problems`), not against the default's.
OPEN_SECTIONS = ("loss.gan.penalties", "loss.gan.generator_terms")


# --- pieces ----------------------------------------------------------------------------------
def latent(key, num: int, latent_dim: int, codes: int = 0, rt=common.Runtime()):
  """Draws from G's prior: N(0, I) of `latent_dim`, then (if `codes` = K > 0) a one-hot
  uniform categorical code of K, as in InfoGAN's prior, which lets G place its mass on
  disconnected modes without bridges between them: z_Bx(Z+K)."""
  gauss_key, code_key = jax.random.split(key)
  z = rt.draw(jax.random.normal, gauss_key, (num, latent_dim))
  if not codes:
    return z
  code = rt.draw(jax.random.randint, code_key, (num,), minval=0, maxval=codes)
  return jnp.concatenate([z, jax.nn.one_hot(code, codes)], -1)


def generate(g, rt, variables, key, num: int, model_cfg, num_classes: int, train: bool,
             labels=None):
  """(x, labels, updated collections) of `num` generator outputs from `key`'s 'noise' (and,
  when conditional and `labels` is None, uniform 'labels'; per-layer noise from
  'layer_noise')."""
  z = latent(rng_lib.purpose_key(key, "noise"), num, model_cfg.latent_dim, model_cfg.latent_codes,
             rt)
  if num_classes and labels is None:
    labels = rt.draw(jax.random.randint, rng_lib.purpose_key(key, "labels"), (num,), minval=0,
                     maxval=num_classes)
  collections = {k: v for k, v in variables.items() if k != "params"}
  x, updates = common.run(g, rt, variables, z, labels if num_classes else None, train=train,
                          mutable=list(collections), rngs=layer_noise(key))
  return x, labels if num_classes else None, {**collections, **updates}


def layer_noise(key) -> dict:
  """The rngs of a generator with per-layer noise (`model.generator.noise_injection`)."""
  return {"noise": rng_lib.purpose_key(key, "layer_noise")}


def d_input(x, key, step, loss_cfg, policies, side: str, rt, pack: int = 1):
  """D's view of `x`: DiffAugment (`policies`), instance noise annealed linearly to 0 over
  `loss_cfg.instance_noise_steps` train steps, then `pack` examples packed into one
  (PacGAN, `models.gan.pack`): B/pack inputs."""
  if policies:
    x = diffaugment.diff_augment(rng_lib.purpose_key(key, f"augment_{side}"), x, policies, rt.axis)
  if loss_cfg.instance_noise > 0:
    scale = loss_cfg.instance_noise * jnp.maximum(
        0.0, 1.0 - step / max(loss_cfg.instance_noise_steps, 1))
    x = x + scale * rt.draw(jax.random.normal,
                            rng_lib.purpose_key(key, f"instance_noise_{side}"), x.shape)
  return gan_nets.pack(x, pack)


def critic_update(d, disc: NetState, opt, rt, objective: losses.GANLoss, penalties: dict,
                  x_real, x_fake, y_real, y_fake, key, step, weight_clip: float = 0.0,
                  separate_batches: bool = False):
  """(disc, metrics) after one discriminator update on D's inputs `x_real`, `x_fake`.

  Loss: objective.d on the scores of both, plus weight * PENALTIES[name] for each entry of
  `penalties` (taken with the current parameters, D in eval mode, labels y_real); then, with
  `weight_clip` > 0, every weight clipped to [-weight_clip, weight_clip] (WGAN). Real and
  fake are scored in one call, or with `separate_batches` (a D with batch norm) in two, so
  each batch is normalized by its own statistics as in Radford et al.'s DCGAN."""
  def loss_fn(params):
    variables = {"params": params, **disc.collections}
    mutable = list(disc.collections)
    if separate_batches:
      d_real, updates = common.run(d, rt, variables, x_real, y_real, train=True, mutable=mutable)
      d_fake, updates = common.run(d, rt, {**variables, **updates}, x_fake, y_fake, train=True,
                                   mutable=mutable)
    else:
      both_y = None if y_real is None else jnp.concatenate([y_real, y_fake])
      scores, updates = common.run(d, rt, variables, jnp.concatenate([x_real, x_fake]), both_y,
                                   train=True, mutable=mutable)
      d_real, d_fake = jnp.split(scores, 2)
    loss = objective.d(d_real, d_fake, axis=rt.axis)
    metrics = {"d_loss": loss, "d_real": d_real.mean(), "d_fake": d_fake.mean()}
    critic = lambda x: common.run(d, rt, variables, x, y_real, train=False)
    for name, weight in penalties.items():
      value = losses.PENALTIES[name](critic, x_real, x_fake, rng_lib.purpose_key(key, name),
                                     rt.axis)
      loss, metrics[name] = loss + weight * value, value
    return loss, ({**disc.collections, **updates}, metrics)

  grads, (collections, metrics) = jax.grad(loss_fn, has_aux=True)(disc.params)
  disc = common.apply_gradients(disc, opt, grads, step, rt, collections)
  if weight_clip > 0:
    disc = disc.replace(params=jax.tree.map(lambda p: jnp.clip(p, -weight_clip, weight_clip),
                                            disc.params))
  return disc, rt.mean(metrics)


def generator_loss(d, disc_variables, rt, objective: losses.GANLoss, x_fake, y_fake,
                   x_real=None, y_real=None, batch_statistics: bool = False):
  """objective.g on D's scores of `x_fake` and, when the objective reads them (relativistic
  losses), of `x_real`. D runs in eval mode, or with `batch_statistics` (a D with batch norm)
  normalizes each batch by its own statistics, as in training, and its updates are dropped."""
  d_fake = generator_scores(d, rt, disc_variables, x_fake, y_fake, batch_statistics)
  d_real = None
  if objective.g_needs_real:
    d_real = jax.lax.stop_gradient(
        generator_scores(d, rt, disc_variables, x_real, y_real, batch_statistics))
  return objective.g(d_real, d_fake, axis=rt.axis)


def generator_scores(d, rt, disc_variables, x, y, batch_statistics: bool = False):
  """D's logits float[B] on `x` as a generator's loss reads them: eval mode, or with
  `batch_statistics` (a D with batch norm) normalized by the batch's own statistics, as in
  D's training, its updates dropped."""
  if not batch_statistics:
    return common.run(d, rt, disc_variables, x, y, train=False)
  mutable = [k for k in disc_variables if k != "params"]
  return common.run(d, rt, disc_variables, x, y, train=True, mutable=mutable)[0]


def generator_features(d, rt, disc_variables, x, y, batch_statistics: bool = False):
  """D's last hidden features float[B, F] (the input of its score layer) on `x`, in the mode
  `generator_scores` reads D."""
  collections = [k for k in disc_variables if k != "params"] if batch_statistics else []
  _, updates = common.run(d, rt, disc_variables, x, y, train=batch_statistics,
                          mutable=collections + ["features"])
  return updates["features"]["last_hidden"][0].astype(jnp.float32)


def disc_features(d, rt, disc_variables, x, y, layer: str):
  """The output of D's submodule named `layer` (e.g. 'Conv_1', 'Dense_0', 'BatchNorm_0') on
  `x` in eval mode, float32: the learned similarity features of a VAE-GAN (Larsen et al.)."""
  variables = {**disc_variables, "params": precision.cast(disc_variables["params"], rt.dtype)}
  _, captured = d.apply(variables, *precision.cast((x, y), rt.dtype), train=False,
                        capture_intermediates=lambda module, _: module.name == layer,
                        mutable=["intermediates"])
  found = jax.tree.leaves(captured.get("intermediates", {}))
  if not found:
    raise GenjaxError(f"discriminator has no layer named {layer!r}")
  return found[0].astype(jnp.float32)


# --- the family ------------------------------------------------------------------------------
def all_hyperparameters() -> dict:
  """{hyperparameter: default} of every registered GAN objective (at its default, off)."""
  found = {}
  for name in losses.GAN_LOSSES:
    found.update(losses.gan_keywords(name))
  return found


def spec_with_objectives(default_config, open_sections) -> dict:
  """The spec derived from a family's `default_config` with `loss.gan` widened by every
  registered GAN objective's hyperparameters (a family with a GAN loss section)."""
  spec = schema.derive(default_config, open_sections)
  spec["loss"]["gan"].update(schema.leaves(*all_hyperparameters(), kind=schema.MAYBE))
  return spec


def spec_of(config) -> dict:
  """The fields a GAN config may have (genjax/defaults/gan.py), loss.gan widened by every
  registered objective's hyperparameters."""
  del config  # (The same for every GAN config.)
  return spec_with_objectives(defaults.get_config(), OPEN_SECTIONS)


def adversary_problems(cfg, disc_cfg) -> list:
  """One line per bad value of a loss.gan section `cfg` as a family that borrows the GAN's
  objective reads it (VAE-GAN, super-resolution): the objective's name, the penalties'
  names and weights, input-gradient penalties on a batch-norm D (`disc_cfg`), and
  hyperparameters the objective does not take."""
  found = []
  if cfg.name not in losses.GAN_LOSSES:
    found.append(f"unknown loss.gan.name={cfg.name!r}: valid are {tuple(losses.GAN_LOSSES)}")
  for name, weight in cfg.penalties.items():
    if name not in losses.PENALTIES or weight < 0:
      found.append(f"loss.gan.penalties.{name}={weight}: valid are weights >= 0 of"
                   f" {tuple(losses.PENALTIES)}")
  found += penalty_problems(cfg.penalties, disc_cfg)
  return found + hyperparameter_problems(cfg)


def hyperparameter_problems(cfg) -> list:
  """One line per objective hyperparameter of `cfg` (a loss.gan section) set away from its
  default for an objective that does not take it."""
  if cfg.name not in losses.GAN_LOSSES:
    return []
  taken, found = losses.gan_keywords(cfg.name), []
  for field, default in all_hyperparameters().items():
    if field in cfg and field not in taken and cfg[field] != default:
      found.append(f"loss.gan.{field}={cfg[field]!r}: the {cfg.name!r} objective takes no"
                   f" {field} (leave it at {default!r}); its hyperparameters are"
                   f" {tuple(taken) or '(none)'}")
  return found


def objective_of(cfg) -> losses.GANLoss:
  """The objective of a loss.gan section with the hyperparameters it sets away from their
  defaults bound (at the defaults: the registered functions themselves)."""
  keywords = losses.gan_keywords(cfg.name)
  return losses.gan_objective(cfg.name, **{k: cfg[k] for k, default in keywords.items()
                                          if k in cfg and cfg[k] != default})


def objective_problems(cfg, sigmoid_output: bool = False, is_image: bool = True) -> list:
  """One line per bad value of a GAN objective section (config.loss.gan)."""
  found = hyperparameter_problems(cfg)
  if not 0.0 <= cfg.get("label_smoothing", 0.0) < 1.0:
    found.append(f"loss.gan.label_smoothing={cfg.label_smoothing} must lie in [0, 1)")
  if cfg.name not in losses.GAN_LOSSES:
    found.append(f"unknown loss.gan.name={cfg.name!r}: valid are {tuple(losses.GAN_LOSSES)}"
                 " (penalties are loss.gan.penalties.<name>=weight, weight clipping"
                 " loss.gan.weight_clip)")
  elif losses.GAN_LOSSES[cfg.name].unbounded and sigmoid_output:
    found.append(f"loss.gan.name={cfg.name!r} needs an unbounded discriminator score, but"
                 " model.discriminator.sigmoid_output=True: set it False or use"
                 " minimax/non_saturating")
  if cfg.n_critic <= 0:
    found.append(f"loss.gan.n_critic={cfg.n_critic} must be positive")
  for name, weight in cfg.penalties.items():
    if name not in losses.PENALTIES:
      found.append(f"unknown penalty loss.gan.penalties.{name}: valid are"
                   f" {tuple(losses.PENALTIES)}")
    elif weight < 0:
      found.append(f"loss.gan.penalties.{name}={weight} must be >= 0 (0: off)")
    elif weight > 0 and name in IMAGE_PENALTIES and not is_image:
      found.append(f"loss.gan.penalties.{name} augments images; 2-D data has none: set it to 0")
  for name, weight in cfg.get("generator_terms", {}).items():
    if name not in losses.GENERATOR_TERMS or not weight >= 0:
      found.append(f"loss.gan.generator_terms.{name}={weight}: valid are weights >= 0 of"
                   f" {tuple(losses.GENERATOR_TERMS)}")
  if cfg.weight_clip < 0:
    found.append(f"loss.gan.weight_clip={cfg.weight_clip} must be >= 0 (0: off)")
  try:
    if diffaugment.parse(cfg.diffaugment) and not is_image:
      found.append("loss.gan.diffaugment applies to images only; set it to '' for 2-D data")
  except GenjaxError as e:
    found.append(str(e))
  return found


def batch_norm_critic(disc_cfg) -> bool:
  """Whether the discriminator of `disc_cfg` (config.model.discriminator) has batch norm."""
  return disc_cfg.net == "dcgan" and bool(disc_cfg.batch_norm)


def penalty_problems(penalties, disc_cfg) -> list:
  """One line per input-gradient penalty of `penalties` (config.loss.gan.penalties) switched on
  for a batch-norm discriminator: the penalty runs D in eval mode (running statistics) while
  D's loss trains it on batch statistics, so it would constrain another function."""
  if not batch_norm_critic(disc_cfg):
    return []
  why = {name: "a per-example input gradient through batch statistics is not the penalty the"
         " papers define" for name in INPUT_GRADIENT_PENALTIES}
  return [f"loss.gan.penalties.{name}={weight} needs a discriminator without batch norm"
          f" ({why.get(name, 'it runs D in eval mode, on running statistics, while D trains on batch statistics')}):"
          " set model.discriminator.batch_norm=False"
          for name, weight in penalties.items() if name in EVAL_MODE_PENALTIES and weight > 0]


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a GAN config, one line each (see `genjax.schema`); the data checks
  only with `data_info`."""
  model_cfg = config.model
  found = models.gan_problems(model_cfg, *((data_info.shape, data_info.num_classes)
                                            if data_info else (None, None)))
  found += objective_problems(config.loss.gan, model_cfg.discriminator.sigmoid_output,
                              data_info is None or data_info.is_image)
  found += penalty_problems(config.loss.gan.penalties, model_cfg.discriminator)
  if not 0.0 <= config.ema_decay < 1.0:
    found.append(f"ema_decay={config.ema_decay} must lie in [0, 1)")
  pack = model_cfg.discriminator.pack
  if isinstance(pack, int) and pack > 1 and config.batch_size % pack:
    found.append(f"model.discriminator.pack={pack} must divide batch_size={config.batch_size}"
                 " (D scores packs of that many examples)")
  schema.raise_if(found + optim.problems(config.optim, (GEN, DISC)))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a GAN step reads besides its state, built once from the config (`make_setup`).

  A forked step receives it as its first argument; the networks are Flax modules, the
  optimizers `genjax.optim.Optimizer`s, `model`/`loss` the config sections (read-only)."""
  g: Any                       # z_Bx(Z+K) [, labels_B] -> x_BxHxWxC (or points x_Bx2)
  d: Any                       # x_(B/pack)x... [, labels] -> logit float[B/pack]
  g_opt: optim.Optimizer
  d_opt: optim.Optimizer
  objective: losses.GANLoss    # losses.GAN_LOSSES[loss.name], hyperparameters bound
  penalties: Mapping[str, float]  # losses.PENALTIES name -> weight (> 0 only)
  generator_terms: Mapping[str, float]  # losses.GENERATOR_TERMS name -> weight (> 0 only)
  policies: Tuple[str, ...]    # DiffAugment policies on D's inputs
  rt: common.Runtime           # compute dtype, pmap axis
  shape: Tuple[int, ...]       # one example: (H, W, C) or (2,)
  num_classes: int             # classes G and D are conditioned on (0: unconditional)
  model: Any                   # config.model (latent_dim, latent_codes, discriminator.pack)
  loss: Any                    # config.loss.gan (n_critic, weight_clip, instance noise)
  ema_decay: float

  @property
  def pack(self) -> int:
    return self.model.discriminator.pack

  @property
  def fake_labels_from_real(self) -> bool:
    """Conditional WGAN-GP: interpolate between a real and a fake of the same class."""
    return bool(self.num_classes and "gp" in self.penalties)

  @property
  def d_batch_norm(self) -> bool:
    return batch_norm_critic(self.model.discriminator)


def positive(weights) -> dict:
  """{name: float weight} of the terms switched on (weight > 0) in a weights section."""
  return {k: float(w) for k, w in weights.items() if w > 0}


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  rt = common.Runtime.of(config)
  loss_cfg = config.loss.gan
  g, d = models.build_gan(config.model, data_info.shape, data_info.num_classes, rt.dtype, rt.axis)
  return Setup(
      g=g, d=d, g_opt=optim.make(config.optim, config.num_steps, GEN),
      d_opt=optim.make(config.optim, config.num_steps, DISC),
      objective=objective_of(loss_cfg), penalties=positive(loss_cfg.penalties),
      generator_terms=positive(loss_cfg.get("generator_terms", {})),
      policies=diffaugment.parse(loss_cfg.diffaugment), rt=rt, shape=data_info.shape,
      num_classes=data_info.num_classes if config.model.conditioning != "none" else 0,
      model=config.model, loss=loss_cfg, ema_decay=config.ema_decay)


def init_state(setup: Setup, seed: int) -> State:
  """Fresh networks from `seed` (init keys 'init_g', 'init_d'); the EMA generator starts as G."""
  s, model_cfg = setup, setup.model
  root = jax.random.PRNGKey(seed)
  z = latent(jax.random.PRNGKey(0), 2, model_cfg.latent_dim, model_cfg.latent_codes)
  y = jnp.zeros((2,), jnp.int32) if s.num_classes else None
  packed_shape = gan_nets.pack(jnp.zeros((s.pack,) + s.shape), s.pack).shape[1:]
  gen = common.init_net(s.g, rng_lib.purpose_key(root, "init_g"), s.g_opt, z, y, train=False)
  disc = common.init_net(s.d, rng_lib.purpose_key(root, "init_d"), s.d_opt,
                         jnp.zeros((2,) + packed_shape), y, train=False)
  return State(jnp.zeros((), jnp.int32), root, {GEN: gen, DISC: disc},
               {GEN: common.copy(gen.variables)})


def train_step(setup: Setup, state: State, batch, rng):
  """`loss.n_critic` discriminator updates, each on a fresh slice of `batch` (n_critic x B
  real examples) against fresh fakes, then one generator update against the updated D, and
  the generator's EMA. Returns (state, {'d_loss', 'd_real', 'd_fake', <penalties>, 'g_loss'})."""
  s, loss_cfg = setup, setup.loss
  n = loss_cfg.n_critic
  real = batch["image"].reshape((n, -1) + s.shape)  # -1: batch_size, or its part (pmap).
  labels = batch["label"].reshape(n, -1) if s.num_classes else None
  gen, step = state.nets[GEN], state.step
  step_f = step.astype(jnp.float32)

  def one_critic_update(disc, inputs):
    x, y_real, key = inputs
    fake, y_fake, _ = generate(s.g, s.rt, gen.variables, key, x.shape[0], s.model,
                               s.num_classes, True, y_real if s.fake_labels_from_real else None)
    x_real = d_input(x, key, step_f, loss_cfg, s.policies, "real", s.rt, s.pack)
    x_fake = d_input(jax.lax.stop_gradient(fake), key, step_f, loss_cfg, s.policies, "fake",
                     s.rt, s.pack)
    return critic_update(s.d, disc, s.d_opt, s.rt, s.objective, s.penalties, x_real, x_fake,
                         y_real, y_fake, key, step, loss_cfg.weight_clip, s.d_batch_norm)

  keys = jax.random.split(rng_lib.purpose_key(rng, "critic"), n)
  disc, d_metrics = loops.scan(one_critic_update, state.nets[DISC], (real, labels, keys),
                               unroll_up_to=CRITIC_UNROLL)

  def g_loss_fn(params):
    fake, y, collections = generate(s.g, s.rt, {**gen.variables, "params": params}, rng,
                                    real.shape[1], s.model, s.num_classes, True)
    x_fake = d_input(fake, rng, step_f, loss_cfg, s.policies, "fake", s.rt, s.pack)
    x_real = y_real = None
    if s.objective.g_needs_real or s.generator_terms:
      x_real = d_input(real[-1], rng, step_f, loss_cfg, s.policies, "real", s.rt, s.pack)
      y_real = None if labels is None else labels[-1]
    loss, metrics = generator_objective(s, disc.variables, x_fake, y, x_real, y_real)
    return loss, (collections, metrics)

  grads, (collections, g_metrics) = jax.grad(g_loss_fn, has_aux=True)(gen.params)
  gen = common.apply_gradients(gen, s.g_opt, grads, step, s.rt, collections)
  ema = common.ema_update(state.ema[GEN], gen.variables, s.ema_decay)
  metrics = {**jax.tree.map(lambda m: m[-1], d_metrics), **s.rt.mean(g_metrics)}
  return state.replace(step=step + 1, nets={GEN: gen, DISC: disc}, ema={GEN: ema}), metrics


def generator_objective(setup: Setup, disc_variables, x_fake, y_fake, x_real=None, y_real=None):
  """(G's loss, metrics) on D's inputs `x_fake` (and `x_real`, read by relativistic objectives
  and generator terms): the objective's generator loss ('g_loss'), plus weight x
  GENERATOR_TERMS[name] of D's last hidden features for each of `setup.generator_terms`."""
  s = setup
  adversarial = generator_loss(s.d, disc_variables, s.rt, s.objective, x_fake, y_fake, x_real,
                               y_real, s.d_batch_norm)
  loss, metrics = adversarial, {"g_loss": adversarial}
  if s.generator_terms:
    features = lambda x, y: generator_features(s.d, s.rt, disc_variables, x, y, s.d_batch_norm)
    f_real, f_fake = features(x_real, y_real), features(x_fake, y_fake)
    for name, weight in s.generator_terms.items():
      value = losses.GENERATOR_TERMS[name](f_real, f_fake, axis=s.rt.axis)
      loss, metrics[name] = loss + weight * value, value
  return loss, metrics


# --- predict functions (eval mode, outside the train step: no pmap axis) --------------------
def prior(setup: Setup, key, num: int):
  """G's prior draws z_Nx(Z+K) from `key`'s 'prior'."""
  return latent(rng_lib.purpose_key(key, "prior"), num, setup.model.latent_dim,
                setup.model.latent_codes)


def sample(setup: Setup, state: State, key, num: int, labels=None, ema: bool = True):
  """`num` samples (eval mode) from the prior, by the EMA generator (its weights and its
  own EMA of the batch statistics) or, with `ema=False`, the raw one; `labels` (int32[num])
  picks classes of a conditional generator (default: uniform draws)."""
  if setup.num_classes and labels is None:
    labels = jax.random.randint(rng_lib.purpose_key(key, "labels"), (num,), 0, setup.num_classes)
  return decode(setup, state, prior(setup, key, num), labels, ema, key)


def decode(setup: Setup, state: State, z_BxZ, labels=None, ema: bool = True, key=None):
  """The generator's images (eval mode, EMA weights where kept) at latents `z_BxZ`; a
  generator with per-layer noise draws it from `key` (None: zero noise, the mean image)."""
  if setup.num_classes and labels is None:
    raise GenjaxError("this GAN is class-conditional: pass the labels to decode")
  variables = state.ema[GEN] if ema else state.nets[GEN].variables
  return common.run(setup.g, setup.rt.outside(), variables, z_BxZ,
                    labels if setup.num_classes else None, train=False,
                    rngs={} if key is None else layer_noise(key))


def score(setup: Setup, state: State, x, labels=None):
  """The discriminator's logit (eval mode): float[B]; D(x) = sigmoid(logit). A packing
  D (PacGAN) scores a pack of `pack` copies of each example."""
  if setup.pack > 1:
    x = gan_nets.pack(jnp.repeat(x, setup.pack, axis=0), setup.pack)
  return common.run(setup.d, setup.rt.outside(), state.nets[DISC].variables, x,
                    labels, train=False)


def build(config, data_info: DataInfo) -> Family:
  """The GAN family of `config` for data of `data_info.shape` (images or 2-D points)."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {"sample": bind(sample), "score": bind(score), "decode": bind(decode),
             "prior": bind(prior), "sample_raw": functools.partial(sample, setup, ema=False)}
  return Family("gan", bind(init_state), bind(train_step), predict,
                config.batch_size * setup.loss.n_critic, data_info, setup.num_classes, setup)
