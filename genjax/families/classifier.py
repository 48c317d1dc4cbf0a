"""The classifier family: a small CNN (`genjax.models.classifier`) trained with label-smoothed
cross-entropy on labelled images, for the evaluation suite: its penultimate features feed a
Frechet classifier distance, its softmax the classifier score and class histograms of samples
(`genjax.run.classifier` turns a trained workdir into that feature extractor).

Pieces: `translate` (random shifts, zero fill), `dropout_keep` (an explicit dropout mask).
Keys, off the step's `rng`: 'augment' (the shifts), 'dropout' (the mask); both drawn per
example for the global batch (`common.Runtime.draw`), so 1 or N devices train alike.
Predict functions take images x_BxHxWxC in [0, 1] and run in eval mode (no dropout):
  logits(state, x) -> float32[B, K]    probs(state, x) -> float32[B, K] (softmax)
  features(state, x) -> float32[B, F]  (penultimate activations, F = model.net.hidden)
"""
import dataclasses
import functools
from typing import Any, Tuple

import jax
import jax.numpy as jnp
import optax

from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import classifier as defaults
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families.contract import DataInfo, Family, State
from genjax.models import classifier as nets

NET = "classifier"


def spec_of(config) -> dict:
  """The fields a classifier config may have (genjax/defaults/classifier.py)."""
  del config
  return schema.derive(defaults.get_config())


# --- pieces ----------------------------------------------------------------------------------
def translate(key, x_BxHxWxC, pixels: int, rt: common.Runtime):
  """Each image shifted by its own uniform (dy, dx) in [-pixels, pixels]^2, zero fill."""
  n, h, w, c = x_BxHxWxC.shape
  shifts_Bx2 = rt.draw(jax.random.randint, key, (n, 2), minval=-pixels, maxval=pixels + 1)
  padded = jnp.pad(x_BxHxWxC, ((0, 0), (pixels, pixels), (pixels, pixels), (0, 0)))
  crop = lambda img, s: jax.lax.dynamic_slice(img, (pixels + s[0], pixels + s[1], 0), (h, w, c))
  return jax.vmap(crop)(padded, shifts_Bx2)


def dropout_keep(key, shape, rate: float, rt: common.Runtime):
  """Inverted-dropout mask of `shape` (batch first): 0, or 1 / (1 - rate) with prob 1 - rate."""
  keep = 1.0 - rate
  bits = rt.draw(lambda k, s: jax.random.bernoulli(k, keep, s), key, shape)
  return bits.astype(jnp.float32) / keep


def loss_and_metrics(logits_BxK, labels_B, label_smoothing: float):
  """(label-smoothed cross-entropy, {'loss', 'xent' (plain cross-entropy)}), nats per example."""
  targets = optax.smooth_labels(jax.nn.one_hot(labels_B, logits_BxK.shape[-1]), label_smoothing)
  loss = optax.softmax_cross_entropy(logits_BxK, targets).mean()
  xent = optax.softmax_cross_entropy_with_integer_labels(logits_BxK, labels_B).mean()
  return loss, {"loss": loss, "xent": xent}


# --- the family ------------------------------------------------------------------------------
def objective_problems(cfg, data_shape=None) -> list:
  """One line per bad value of the objective section (config.loss.classifier)."""
  found = []
  if not (isinstance(cfg.label_smoothing, (int, float)) and 0.0 <= cfg.label_smoothing < 1.0):
    found.append(f"loss.classifier.label_smoothing={cfg.label_smoothing!r} must lie in [0, 1)")
  shift = cfg.augment_shift
  if not isinstance(shift, int) or shift < 0:
    found.append(f"loss.classifier.augment_shift={shift!r} must be an integer >= 0 (pixels;"
                 " 0: off)")
  elif data_shape is not None and len(data_shape) == 3 and shift >= min(data_shape[:2]):
    found.append(f"loss.classifier.augment_shift={shift} must be smaller than the images"
                 f" ({data_shape[0]}x{data_shape[1]})")
  return found


def data_problems(data_config, data_info: DataInfo = None) -> list:
  """One line per reason the data cannot train a classifier."""
  found = []
  if data_config.value_range != "0,1":
    found.append(f"a classifier reads images in [0, 1]: set data.value_range='0,1', not"
                 f" {data_config.value_range!r}")
  if data_config.dynamic_binarization:
    found.append("a classifier trains on the images as they are: set"
                 " data.dynamic_binarization=False")
  if data_info is not None and not data_info.num_classes:
    hint = (" (idx: set data.labels_path)" if data_config.name == "idx" else
            " (npz: the file needs a 'labels' array)" if data_config.name == "npz" else "")
    found.append(f"a classifier needs labelled images; data.name={data_config.name!r} has no"
                 f" labels{hint}")
  elif data_info is not None and not data_info.is_image:
    found.append(f"a classifier needs images; data.name={data_config.name!r} has shape"
                 f" {data_info.shape}")
  return found


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a classifier config, one line each (see `genjax.schema`); the checks
  against the data only with `data_info`."""
  shape = data_info.shape if data_info else None
  found = nets.problems(config.model.net) + objective_problems(config.loss.classifier, shape)
  found += data_problems(config.data, data_info)
  schema.raise_if(found + optim.problems(config.optim, (NET,)))


def check_trainable(config, who: str) -> None:
  """Refuses, in one line, a config that does not train a classifier with an accuracy
  evaluator (what experiments.train_classifier and experiments.augment train)."""
  name = config.model.get("name")
  if name != "classifier":
    raise GenjaxError(f"model.name={name!r}: {who} trains model.name='classifier' configs"
                      " (configs/classifier_*.py); train other models with experiments.main")
  if not any(section.get("type") == "accuracy" and section.get("every_steps", 0) >= 0
             for section in config.get("evals", {}).values()):
    raise GenjaxError("config.evals has no evaluator of type 'accuracy' turned on: add"
                      " evals.accuracy = dict(type='accuracy', every_steps=0)")


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a classifier step reads besides its state, built once from the config."""
  cnn: Any                     # x_BxHxWxC [, keep_BxF] -> (logits_BxK, features_BxF)
  opt: optim.Optimizer
  rt: common.Runtime
  shape: Tuple[int, ...]       # (H, W, C)
  net: Any                     # config.model.net (hidden, dropout)
  loss: Any                    # config.loss.classifier (augment_shift, label_smoothing)


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  net_cfg = config.model.net
  return Setup(
      cnn=nets.CNN(tuple(net_cfg.channels), net_cfg.convs_per_stage, net_cfg.hidden,
                   data_info.num_classes),
      opt=optim.make(config.optim, config.num_steps, NET), rt=common.Runtime.of(config),
      shape=data_info.shape, net=net_cfg, loss=config.loss.classifier)


def init_state(setup: Setup, seed: int) -> State:
  """A fresh network from `seed`'s 'init' key; no EMA."""
  root = jax.random.PRNGKey(seed)
  x = jnp.zeros((1,) + setup.shape, jnp.float32)
  net = common.init_net(setup.cnn, rng_lib.purpose_key(root, "init"), setup.opt, x)
  return State(jnp.zeros((), jnp.int32), root, {NET: net}, {})


def train_step(setup: Setup, state: State, batch, rng):
  """One update by the (label-smoothed) cross-entropy on `batch['image']` shifted by up to
  `loss.augment_shift` pixels ('augment' key), with dropout masks from 'dropout'."""
  s, x, labels = setup, batch["image"], batch["label"]
  if s.loss.augment_shift:
    x = translate(rng_lib.purpose_key(rng, "augment"), x, s.loss.augment_shift, s.rt)
  keep = None
  if s.net.dropout:
    keep = dropout_keep(rng_lib.purpose_key(rng, "dropout"), (x.shape[0], s.net.hidden),
                        s.net.dropout, s.rt)
  net = state.nets[NET]

  def loss_fn(params):
    logits, _ = common.run(s.cnn, s.rt, {"params": params}, x, keep)
    return loss_and_metrics(logits, labels, s.loss.label_smoothing)

  grads, metrics = jax.grad(loss_fn, has_aux=True)(net.params)
  net = common.apply_gradients(net, s.opt, grads, state.step, s.rt)
  return state.replace(step=state.step + 1, nets={NET: net}), s.rt.mean(metrics)


def outputs(setup: Setup, state: State, x_BxHxWxC):
  """(logits_BxK, features_BxF) in eval mode (no dropout), outside the train step."""
  return common.run(setup.cnn, setup.rt.outside(), state.nets[NET].variables,
                    x_BxHxWxC)


def logits(setup: Setup, state: State, x_BxHxWxC):
  return outputs(setup, state, x_BxHxWxC)[0]


def probs(setup: Setup, state: State, x_BxHxWxC):
  return jax.nn.softmax(outputs(setup, state, x_BxHxWxC)[0], -1)


def features(setup: Setup, state: State, x_BxHxWxC):
  """The penultimate activations float[B, F] (FCD's features)."""
  return outputs(setup, state, x_BxHxWxC)[1]


def build(config, data_info: DataInfo) -> Family:
  """The classifier family of `config` for labelled images of `data_info.shape`."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {"logits": bind(logits), "probs": bind(probs), "features": bind(features)}
  return Family("classifier", bind(init_state), bind(train_step), predict, config.batch_size,
                data_info, 0, setup)
