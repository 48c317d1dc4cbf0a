"""The VAE family (Kingma & Welling 2014; IWAE, Burda et al. 2016) and its reusable pieces.

Pieces (module-level, composable by other families such as the VAE-GAN):
  `posterior_terms`: the per-sample densities every VAE objective consumes;
  `log_likelihood`: log p(x|z) from decoder outputs, Bernoulli or Gaussian;
  `prior_latents`, `mean_image`.
Keys: the step's `rng` gives 'reparam'; the data pipeline takes 'binarize' (`genjax.rng`).
"""
import dataclasses
import functools
import inspect
from typing import Any, Callable, Tuple

import jax
import jax.numpy as jnp

from genjax import losses
from genjax import models
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import vae as defaults
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families.contract import DataInfo, Family, State

NET = "vae"  # The one optimized network: encoder, decoder (and likelihood scale) together.
# config.loss.vae: `name`, `num_samples`, and the objective's keyword hyperparameters (its
# signature's; absent ones take the objective's defaults: `spec_of`).
OBJECTIVE_FIELDS = ("name", "num_samples")
# The shipped keywords, at the values that switch them off: an objective without one of them
# (iwae) accepts a config that holds it switched off, or none.
OFF = {"beta": 1.0, "kl_warmup_steps": 0, "free_bits": 0.0}


# --- pieces ----------------------------------------------------------------------------------
def posterior_terms(encode, log_likelihood_fn, x_BxHxWxC, key, num_samples: int,
                    rt: common.Runtime):
  """The densities of `num_samples` reparameterized posterior draws per example, as the
  objectives in `genjax.losses` consume them: {'log_px_SxB', 'log_pz_SxB', 'log_qz_SxB',
  'kl_B'} (nats). `encode(x) -> (mean_BxZ, log_std_BxZ)`; `log_likelihood_fn(x_NxHxWxC,
  z_NxZ) -> float[N]` for N = S*B."""
  mean, log_std = encode(x_BxHxWxC)
  eps = rt.draw(jax.random.normal, key, (num_samples,) + mean.shape, batch_axis=1)
  z_SxBxZ = mean + jnp.exp(log_std) * eps
  flat_z = z_SxBxZ.reshape(-1, z_SxBxZ.shape[-1])
  flat_x = jnp.broadcast_to(x_BxHxWxC, (num_samples,) + x_BxHxWxC.shape).reshape(
      (-1,) + x_BxHxWxC.shape[1:])
  shape = (num_samples, x_BxHxWxC.shape[0])
  return {
      "log_px_SxB": log_likelihood_fn(flat_x, flat_z).reshape(shape),
      "log_pz_SxB": losses.standard_normal_log_prob(z_SxBxZ),
      "log_qz_SxB": losses.diag_gaussian_log_prob(z_SxBxZ, mean, log_std),
      "kl_B": losses.kl_diag_gaussian_standard_normal(mean, log_std),
      "kl_BxZ": losses.kl_per_dimension(mean, log_std),
  }


def log_likelihood(out_BxHxWxC, x_BxHxWxC, likelihood: str, log_scale=0.0):
  """log p(x|z) per example (nats, float[B]) from decoder outputs: Bernoulli logits, or
  Gaussian means with `log_scale` (broadcast per channel)."""
  if likelihood == "bernoulli":
    return losses.bernoulli_log_prob(out_BxHxWxC, x_BxHxWxC)
  return losses.gaussian_log_prob(x_BxHxWxC, out_BxHxWxC, log_scale)


def mean_image(out_BxHxWxC, likelihood: str, value_range: str):
  """The decoder's mean image in the training value range."""
  if likelihood == "bernoulli":
    return jax.nn.sigmoid(out_BxHxWxC)
  return jnp.clip(out_BxHxWxC, -1.0 if value_range == "-1,1" else 0.0, 1.0)


def prior_latents(key, num: int, latent_dim: int, rt: common.Runtime = common.Runtime()):
  return rt.draw(jax.random.normal, key, (num, latent_dim))


# --- the family ------------------------------------------------------------------------------
def objective_keywords(name: str) -> tuple:
  """The hyperparameters objective `name` takes from config.loss.vae (not terms, step, axis)."""
  params = inspect.signature(losses.VAE_OBJECTIVES[name]).parameters
  return tuple(p for p in list(params)[1:] if p not in ("step", "axis"))


def objective_options(cfg) -> dict:
  """{keyword: value} of config.loss.vae that objective `cfg.name` takes."""
  keywords = objective_keywords(cfg.name)
  return {k: cfg[k] for k in cfg if k in keywords}


def spec_of(config) -> dict:
  """The fields a VAE config may have (genjax/defaults/vae.py), loss.vae widened by its
  objective's keywords."""
  spec = schema.derive(defaults.get_config(), maybe=[f"loss.vae.{k}" for k in OFF])
  name = config.get("loss", {}).get("vae", {}).get("name")
  if name in losses.VAE_OBJECTIVES:
    spec["loss"]["vae"].update(schema.leaves(*objective_keywords(name), kind=schema.MAYBE))
  return spec


def objective_problems(cfg) -> list:
  """One line per bad value of a VAE objective section (config.loss.vae)."""
  if cfg.name not in losses.VAE_OBJECTIVES:
    return [f"unknown loss.vae.name={cfg.name!r}: valid are {tuple(losses.VAE_OBJECTIVES)}"]
  found = []
  if cfg.num_samples <= 0:
    found.append(f"loss.vae.num_samples={cfg.num_samples} must be positive")
  keywords = objective_keywords(cfg.name)
  for field in cfg:
    if field in OBJECTIVE_FIELDS or field in keywords:
      continue
    if field in OFF and cfg[field] == OFF[field]:
      continue  # Switched off: an objective without it is what the config asks for.
    if cfg.name == "iwae" and field == "beta":
      found.append(f"loss.vae.beta={cfg.beta} has no meaning for loss.vae.name='iwae' (its bound"
                   " has no KL weight): set loss.vae.beta=1.0 or use loss.vae.name='elbo'")
    else:
      found.append(f"loss.vae.{field}={cfg[field]!r}: the {cfg.name!r} objective takes no"
                   f" {field}; its hyperparameters are {keywords or '(none)'}")
  if cfg.get("kl_warmup_steps", 0) < 0:
    found.append(f"loss.vae.kl_warmup_steps={cfg.kl_warmup_steps} must be >= 0 (0: off)")
  if cfg.get("free_bits", 0.0) < 0:
    found.append(f"loss.vae.free_bits={cfg.free_bits} must be >= 0 nats (0: off)")
  return found


def likelihood_problems(config) -> list:
  """One line if the decoder's likelihood cannot model data of `config.data.value_range`
  (shared with the VAE-GAN)."""
  if config.model.decoder.likelihood == "bernoulli" and config.data.value_range != "0,1":
    return ["model.decoder.likelihood='bernoulli' needs data.value_range='0,1'"]
  return []


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a VAE config, one line each (see `genjax.schema`); the label check
  only with `data_info`."""
  found = models.vae_problems(config.model, data_info.num_classes if data_info else None)
  found += objective_problems(config.loss.vae)
  found += likelihood_problems(config)
  schema.raise_if(found + optim.problems(config.optim, (NET,)))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a VAE step reads besides its state, built once from the config (`make_setup`)."""
  vae: Any                     # the VAE module: encode(x, y), decode(z, x, y), head
  opt: optim.Optimizer
  objective: Callable          # (terms, step, axis) -> (loss, metrics): the configured one
  rt: common.Runtime
  shape: Tuple[int, ...]       # (H, W, C)
  num_classes: int             # classes the model is conditioned on (0: none)
  model: Any                   # config.model (latent_dim, decoder likelihood and scale)
  loss: Any                    # config.loss.vae (name, beta, num_samples)
  value_range: str             # config.data.value_range


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  model = models.build_vae(config.model, data_info.shape, data_info.num_classes)
  loss_cfg = config.loss.vae
  return Setup(
      vae=model, opt=optim.make(config.optim, config.num_steps, NET),
      objective=functools.partial(losses.VAE_OBJECTIVES[loss_cfg.name],
                                  **objective_options(loss_cfg)),
      rt=common.Runtime.of(config), shape=data_info.shape, num_classes=model.num_classes,
      model=config.model, loss=loss_cfg, value_range=config.data.value_range)


def run_vae(setup: Setup, params, *args, method):
  """The VAE module's `method` (in the compute dtype) with `params`."""
  return common.run(setup.vae, setup.rt, {"params": params}, *args, method=method)


def decoder_log_px(setup: Setup, params, y, x_NxHxWxC, z_NxZ):
  """log p(x|z) float[N] (nats) under the decoder, with its learned or fixed scale."""
  dec = setup.model.decoder
  scale = params["log_scale"] if dec.likelihood == "gaussian" and dec.learn_scale else dec.log_scale
  return log_likelihood(run_vae(setup, params, z_NxZ, x_NxHxWxC, y, method="decode"), x_NxHxWxC,
                        dec.likelihood, scale)


def terms(setup: Setup, params, x_BxHxWxC, key, num_samples: int, y=None, rt=None):
  """`posterior_terms` of the model (labels y_B of a conditional VAE); `rt` draws without
  the pmap axis outside the train step (default: the step's)."""
  y_sb = None if y is None else jnp.tile(y, num_samples)  # The S*B order of posterior_terms.
  return posterior_terms(lambda x: run_vae(setup, params, x, y, method="encode"),
                         functools.partial(decoder_log_px, setup, params, y_sb), x_BxHxWxC, key,
                         num_samples, rt or setup.rt)


def init_state(setup: Setup, seed: int) -> State:
  """A fresh encoder, decoder (and likelihood scale) from `seed`'s 'init' key; no EMA."""
  root = jax.random.PRNGKey(seed)
  x = jnp.zeros((1,) + setup.shape, jnp.float32)
  z = jnp.zeros((1, setup.model.latent_dim), jnp.float32)
  y = jnp.zeros((1,), jnp.int32) if setup.num_classes else None
  net = common.init_net(setup.vae, rng_lib.purpose_key(root, "init"), setup.opt, x, z, y)
  return State(jnp.zeros((), jnp.int32), root, {NET: net}, {})


def objective_of(setup: Setup):
  """fn(terms, step) -> (loss, metrics): the objective with its hyperparameters, given the
  train step and pmap's axis when it takes them."""
  params = inspect.signature(losses.VAE_OBJECTIVES[setup.loss.name]).parameters
  extra = {"axis": setup.rt.axis} if "axis" in params else {}
  if "step" in params:
    return lambda terms, step: setup.objective(terms, step=step, **extra)
  return lambda terms, step: setup.objective(terms, **extra)


def train_step(setup: Setup, state: State, batch, rng):
  """One update of the VAE by its objective on `batch['image']` (posterior draws from the
  'reparam' key). Returns (state, the objective's metrics)."""
  key = rng_lib.purpose_key(rng, "reparam")
  net = state.nets[NET]
  y = batch["label"] if setup.num_classes else None
  loss_fn = lambda p: objective_of(setup)(terms(setup, p, batch["image"], key,
                                                 setup.loss.num_samples, y), state.step)
  grads, metrics = jax.grad(loss_fn, has_aux=True)(net.params)
  net = common.apply_gradients(net, setup.opt, grads, state.step, setup.rt)
  return state.replace(step=state.step + 1, nets={NET: net}), setup.rt.mean(metrics)


# --- predict functions (outside the train step: no pmap axis) -------------------------------
def _labels_of(setup: Setup, labels, num: int):
  if not setup.num_classes:
    return None
  if labels is None:
    raise GenjaxError("this VAE is class-conditional: pass the examples' labels")
  return jnp.asarray(labels, jnp.int32)[:num]


def _mean_image(setup: Setup, out_BxHxWxC):
  return mean_image(out_BxHxWxC, setup.model.decoder.likelihood, setup.value_range)


def neg_elbo(setup: Setup, state: State, x_BxHxWxC, key, labels=None):
  """-ELBO float[B] (nats) from one posterior draw."""
  y = _labels_of(setup, labels, len(x_BxHxWxC))
  t = terms(setup, state.nets[NET].params, x_BxHxWxC, key, 1, y, setup.rt.outside())
  return t["kl_B"] - t["log_px_SxB"][0]


def iwae_nll(setup: Setup, state: State, x_BxHxWxC, key, num_samples: int, chunk: int,
             labels=None):
  """The importance-weighted NLL bound float[B] (nats) of `num_samples` draws, `chunk` per
  decoder call."""
  if num_samples % chunk:
    raise GenjaxError(f"iwae_samples={num_samples} must be a multiple of iwae_chunk={chunk}")
  params, y = state.nets[NET].params, _labels_of(setup, labels, len(x_BxHxWxC))

  def log_weights(chunk_key):
    t = terms(setup, params, x_BxHxWxC, chunk_key, chunk, y, setup.rt.outside())
    return t["log_px_SxB"] + t["log_pz_SxB"] - t["log_qz_SxB"]

  log_w = jax.lax.map(log_weights, jax.random.split(key, num_samples // chunk))
  return -losses.iwae_bound(log_w.reshape(num_samples, -1))


def encode(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """The posterior's (mean_BxZ, log_std_BxZ)."""
  y = _labels_of(setup, labels, len(x_BxHxWxC))
  return run_vae(setup, state.nets[NET].params, x_BxHxWxC, y, method="encode")


def reconstruct(setup: Setup, state: State, x_BxHxWxC, labels=None):
  """Decoder mean at the posterior mean (teacher-forced for the autoregressive head)."""
  params, y = state.nets[NET].params, _labels_of(setup, labels, len(x_BxHxWxC))
  mean, _ = run_vae(setup, params, x_BxHxWxC, y, method="encode")
  return _mean_image(setup, run_vae(setup, params, mean, x_BxHxWxC, y, method="decode"))


def prior(setup: Setup, key, num: int):
  return prior_latents(rng_lib.purpose_key(key, "prior"), num, setup.model.latent_dim)


def sample(setup: Setup, state: State, key, num: int, labels=None):
  """`num` prior samples: the mean image, or with the autoregressive head pixels drawn one
  by one in raster order (binary); a conditional VAE draws class `labels` (int32[num];
  default uniform)."""
  params, num_classes = state.nets[NET].params, setup.num_classes
  z = prior(setup, key, num)
  y = None
  if num_classes:
    y = labels if labels is not None else jax.random.randint(
        rng_lib.purpose_key(key, "labels"), (num,), 0, num_classes)
  if setup.vae.head is None:
    return _mean_image(setup, run_vae(setup, params, z, None, y, method="decode"))
  features = run_vae(setup, params, z, y, method=lambda m, z, y: m.decoder(
      z if y is None else jnp.concatenate([z, jax.nn.one_hot(y, num_classes)], -1)))
  height, width, channels = setup.shape

  def draw_pixel(i, x):
    row, col = i // width, i % width
    logits = run_vae(setup, params, features, x, method=lambda m, f, x: m.head(f, x))[:, row, col]
    bits = jax.random.bernoulli(jax.random.fold_in(key, i), jax.nn.sigmoid(logits))
    return x.at[:, row, col].set(bits.astype(x.dtype))

  return jax.lax.fori_loop(0, height * width, draw_pixel,
                           jnp.zeros((num, height, width, channels), jnp.float32))


def decode(setup: Setup, state: State, z_BxZ, labels=None):
  """The decoder's mean image at latents `z_BxZ` (of classes `labels` when conditional)."""
  y = _labels_of(setup, labels, len(z_BxZ))
  return _mean_image(setup, run_vae(setup, state.nets[NET].params, z_BxZ, None, y,
                                    method="decode"))


def build(config, data_info: DataInfo) -> Family:
  """The VAE family of `config` for images of `data_info.shape`."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {name: bind(fn) for name, fn in (
      ("sample", sample), ("reconstruct", reconstruct), ("encode", encode),
      ("neg_elbo", neg_elbo), ("iwae_nll", iwae_nll), ("prior", prior))}
  why_not = {}
  if setup.vae.head is None:
    predict["decode"] = bind(decode)
  else:
    why_not["decode"] = (f"its autoregressive head (model.decoder.ar_channels="
                         f"{config.model.decoder.ar_channels}) draws pixels one by one, so it has"
                         " no deterministic decode; use a VAE with ar_channels=0")
  return Family("vae", bind(init_state), bind(train_step), predict, config.batch_size,
                data_info, setup.num_classes, setup, why_not)
