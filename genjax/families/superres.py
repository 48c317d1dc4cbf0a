"""The super-resolution family (Ledig et al. 2017, "Photo-realistic single image
super-resolution using a generative adversarial network", SRGAN): a generator G maps a low-
resolution image to one `model.factor` times larger; trained on (low, high) pairs, the low one
made from each training image by area downsampling (`models.superres.area_downsample`), in
the step, so any image dataset is a super-resolution dataset.

Losses (`loss.superres`), from the same state, then one update of each network:
  G <- pixel_weight * MSE(G(low), high) + feature_weight * MSE(F(G(low)), F(high))
       + adversarial_weight * L_GAN(G)
  D <- L_GAN(D) with its penalties (`loss.gan`), real: high, fake: G(low)
F is a trained genjax classifier's penultimate features (`feature_path`; SRGAN uses VGG's),
the MSEs are means over pixels / features. D is conditional on the input: it scores the
high-resolution image concatenated, as channels, with the nearest-upsampled low one (as
pix2pix's conditional D does: `models.superres.ConditionalCritic`, which takes the input
where a class label would go, so R1 and the gradient penalty differentiate with respect to
the image only), so it judges whether the detail fits the input. With
adversarial_weight 0 there is no D: the content-only SRResNet baseline.
Keys: 'critic' (D's update, penalties). Nothing else in a step is random.

Predict functions (eval mode):
  upscale(state, low_BxhxwxC) -> x_BxHxWxC        (data range)
  reconstruct(state, x_BxHxWxC) -> upscale(area_downsample(x))  (FID of super-resolved
                                                   eval images: the features evaluator's
                                                   source='reconstructions')
  downsample(x_BxHxWxC) -> low_BxhxwxC            bicubic(low_BxhxwxC) -> x_BxHxWxC
"""
import dataclasses
import functools
from typing import Any, Callable, Mapping, Optional, Tuple

import jax
import jax.numpy as jnp
import ml_collections

from genjax import losses
from genjax import models
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import superres as defaults
from genjax.families import common
from genjax.families import gan
from genjax.families.contract import DataInfo, Family, State
from genjax.models import superres as nets

GEN, DISC = "gen", "disc"


def spec_of(config) -> dict:
  """The fields a super-resolution config may have (genjax/defaults/superres.py), loss.gan
  widened by every registered GAN objective's hyperparameters."""
  del config
  return gan.spec_with_objectives(defaults.get_config(), ("loss.gan.penalties",))


def problems(config, data_info: DataInfo = None) -> list:
  """One line per bad value of a super-resolution config."""
  cfg, loss = config.model, config.loss.superres
  found = []
  factor = cfg.factor
  if not isinstance(factor, int) or factor < 2 or factor & (factor - 1):
    found.append(f"model.factor={factor!r} must be a power of 2 >= 2")
  elif data_info is not None and data_info.is_image and (
      data_info.shape[0] % factor or data_info.shape[1] % factor):
    found.append(f"model.factor={factor} must divide the images' {data_info.shape[0]}x"
                 f"{data_info.shape[1]} (area downsampling)")
  for field in ("channels", "blocks"):
    value = cfg.generator[field]
    if not isinstance(value, int) or value < (1 if field == "channels" else 0):
      found.append(f"model.generator.{field}={value!r} must be an integer >="
                   f" {1 if field == 'channels' else 0}")
  for field in ("pixel_weight", "feature_weight", "adversarial_weight"):
    if not loss[field] >= 0:
      found.append(f"loss.superres.{field}={loss[field]} must be >= 0")
  if loss.feature_weight > 0 and not loss.feature_path:
    found.append("loss.superres.feature_weight > 0 needs loss.superres.feature_path: a"
                 " classifier's config file (e.g. configs/classifier_mnist10k.py) or workdir")
  if not loss.pixel_weight + loss.feature_weight + loss.adversarial_weight > 0:
    found.append("loss.superres: every weight is 0, G would learn nothing")
  if loss.adversarial_weight > 0:
    found += models.network_problems(cfg.discriminator, "model.discriminator", models.GAN_NETS,
                                     data_info.shape if data_info else None)
    found += gan.adversary_problems(config.loss.gan, cfg.discriminator)
  if data_info is not None and not data_info.is_image:
    found.append(f"super-resolution needs images; data.name={config.data.name!r} has shape"
                 f" {data_info.shape}")
  if config.data.dynamic_binarization:
    found.append("super-resolution restores grey levels: set data.dynamic_binarization=False")
  return found


def check(config, data_info: DataInfo = None) -> None:
  nets_ = (GEN, DISC) if config.loss.superres.adversarial_weight > 0 else (GEN,)
  schema.raise_if(problems(config, data_info) + optim.problems(config.optim, nets_))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a super-resolution step reads besides its state, built once from the config."""
  g: Any                       # low_BxhxwxC -> raw x_BxHxWxC
  d: Any                       # (x_BxHxWxC, low_BxhxwxC) -> logit float[B]; or None
  opts: Mapping[str, optim.Optimizer]
  objective: Optional[losses.GANLoss]
  penalties: Mapping[str, float]
  rt: common.Runtime
  shape: Tuple[int, ...]       # (H, W, C) of the high-resolution images.
  factor: int
  loss: Any                    # config.loss.superres
  value_range: str             # config.data.value_range
  features: Optional[Callable] = None  # x01_BxHxWxC -> float[B, F] (the classifier's), or None
  d_cfg: Any = None            # config.model.discriminator

  @property
  def low_shape(self) -> Tuple[int, ...]:
    return (self.shape[0] // self.factor, self.shape[1] // self.factor, self.shape[2])

  @property
  def d_batch_norm(self) -> bool:
    return self.d is not None and gan.batch_norm_critic(self.d_cfg)


def feature_network(path: str) -> Callable:
  """The penultimate features of the classifier `path` names (a config file, trained on first
  use, or a workdir), as a differentiable function of images in [0, 1]."""
  from genjax import run as run_lib  # pylint: disable=import-outside-toplevel  (imports families)
  from genjax import runs_cache  # pylint: disable=import-outside-toplevel
  run = run_lib.open_run(runs_cache.workdir_of(path, "loss.superres.feature_path"), ("features",))
  state = run.restore(0, "seed")
  return functools.partial(run.family.predict["features"], state)


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  rt, cfg, loss = common.Runtime.of(config), config.model, config.loss.superres
  shape, adversarial = data_info.shape, loss.adversarial_weight > 0
  d = None
  if adversarial:
    d_model = ml_collections.ConfigDict(dict(conditioning="none",
                                             discriminator=cfg.discriminator.to_dict()))
    d = nets.ConditionalCritic(
        models.build_discriminator(d_model, shape[:2] + (2 * shape[2],), 0, rt.dtype, rt.axis),
        cfg.factor)
  return Setup(
      g=nets.SRResNet(cfg.generator.channels, cfg.generator.blocks, cfg.factor, shape[2]),
      d=d, opts={net: optim.make(config.optim, config.num_steps, net)
                 for net in ((GEN, DISC) if adversarial else (GEN,))},
      objective=gan.objective_of(config.loss.gan) if adversarial else None,
      penalties=gan.positive(config.loss.gan.penalties) if adversarial else {},
      rt=rt, shape=shape, factor=cfg.factor, loss=loss, value_range=config.data.value_range,
      features=feature_network(loss.feature_path) if loss.feature_weight > 0 else None,
      d_cfg=cfg.discriminator)


def init_state(setup: Setup, seed: int) -> State:
  """Fresh G (key 'init') and, when adversarial, D ('init_d'); no EMA."""
  s, root = setup, jax.random.PRNGKey(seed)
  nets_ = {GEN: common.init_net(s.g, rng_lib.purpose_key(root, "init"), s.opts[GEN],
                                jnp.zeros((1,) + s.low_shape))}
  if s.d is not None:
    nets_[DISC] = common.init_net(s.d, rng_lib.purpose_key(root, "init_d"), s.opts[DISC],
                                  jnp.zeros((2,) + s.shape), jnp.zeros((2,) + s.low_shape),
                                  train=False)
  return State(jnp.zeros((), jnp.int32), root, nets_, {})


# --- pieces ----------------------------------------------------------------------------------
def to_range(raw, value_range: str):
  """G's raw output in the data range: tanh for [-1, 1], sigmoid for [0, 1]."""
  return jnp.tanh(raw) if value_range == "-1,1" else jax.nn.sigmoid(raw)


def to_unit(x, value_range: str):
  return (x + 1.0) / 2.0 if value_range == "-1,1" else x


def upscale_raw(setup: Setup, params, low_BxhxwxC, rt=None):
  return to_range(common.run(setup.g, rt or setup.rt, {"params": params}, low_BxhxwxC),
                  setup.value_range)


def content_loss(setup: Setup, fake, real) -> dict:
  """{'pixel_mse', 'feature_mse'?}: the content terms of G's loss (means over elements)."""
  terms = {"pixel_mse": jnp.mean((fake - real) ** 2)}
  if setup.features is not None:
    unit = lambda x: to_unit(x, setup.value_range)
    terms["feature_mse"] = jnp.mean(
        (setup.features(unit(fake)) - jax.lax.stop_gradient(setup.features(unit(real)))) ** 2)
  return terms


def train_step(setup: Setup, state: State, batch, rng):
  """One update of G by its loss and, when adversarial, of D by its own (module docstring),
  both from `state`. Returns (state, metrics)."""
  s, cfg, high = setup, setup.loss, batch["image"]
  low = nets.area_downsample(high, s.factor)
  nets_ = state.nets

  def g_loss(params):
    fake = upscale_raw(s, params, low)
    metrics = content_loss(s, fake, high)
    loss = cfg.pixel_weight * metrics["pixel_mse"] + cfg.feature_weight * metrics.get(
        "feature_mse", 0.0)
    if s.d is not None:
      metrics["g_loss"] = gan.generator_loss(s.d, nets_[DISC].variables, s.rt, s.objective,
                                             fake, low, high, low, s.d_batch_norm)
      loss = loss + cfg.adversarial_weight * metrics["g_loss"]
    return loss, (metrics, fake)

  g_grads, (metrics, fake) = jax.grad(g_loss, has_aux=True)(nets_[GEN].params)
  new = {GEN: common.apply_gradients(nets_[GEN], s.opts[GEN], g_grads, state.step, s.rt)}
  metrics = s.rt.mean(metrics)
  if s.d is not None:
    new[DISC], d_metrics = gan.critic_update(
        s.d, nets_[DISC], s.opts[DISC], s.rt, s.objective, s.penalties, high,
        jax.lax.stop_gradient(fake), low, low, rng_lib.purpose_key(rng, "critic"), state.step,
        0.0, s.d_batch_norm)
    metrics.update(d_metrics)
  return state.replace(step=state.step + 1, nets=new), metrics


# --- predict functions (eval mode, outside the train step: no pmap axis) --------------------
def upscale(setup: Setup, state: State, low_BxhxwxC):
  """G's image for each low-resolution input, in the data range: x_BxHxWxC."""
  return upscale_raw(setup, state.nets[GEN].params, low_BxhxwxC, setup.rt.outside())


def reconstruct(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """G's restoration of each image from its area-downsampled copy (labels unused)."""
  del labels
  return upscale(setup, state, nets.area_downsample(x_BxHxWxC, setup.factor))


def downsample(setup: Setup, x_BxHxWxC):
  return nets.area_downsample(x_BxHxWxC, setup.factor)


def bicubic(setup: Setup, low_BxhxwxC):
  """Bicubic upsampling of the inputs, clipped to the data range: the baseline."""
  low_value = -1.0 if setup.value_range == "-1,1" else 0.0
  return jnp.clip(nets.bicubic_upsample(low_BxhxwxC, setup.factor), low_value, 1.0)


def build(config, data_info: DataInfo) -> Family:
  """The super-resolution family of `config` for images of `data_info.shape`."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {"upscale": bind(upscale), "reconstruct": bind(reconstruct),
             "downsample": bind(downsample), "bicubic": bind(bicubic)}
  why = "a super-resolution model restores a given image; it draws none from a prior"
  return Family("superres", bind(init_state), bind(train_step), predict, config.batch_size,
                data_info, 0, setup, why_not={"sample": why, "decode": why, "encode": why})
