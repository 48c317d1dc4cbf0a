"""The README's "Extending it" forks, run: a new family (one module's worth of code and one
registry line), a new evaluator type (one module), both through the real train loop. (A new
GAN loss and a new penalty are in test_gan.py.)"""
import os

import jax
import jax.numpy as jnp
import ml_collections
import pytest

from genjax import data as data_lib
from genjax import evaluators
from genjax import families
from genjax import models
from genjax import optim
from genjax import rng as rng_lib
from genjax import train
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families import vae
from genjax.families.contract import Family, State
from tests.conftest import tiny

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.


def build_autoencoder(config, data_info) -> Family:
  """A deterministic autoencoder from the VAE's networks and Bernoulli likelihood: the code
  is the encoder's mean, the loss -log p(x | decode(code)), no KL."""
  model = models.build_vae(config.model, data_info.shape)
  rt = common.Runtime.of(config)
  opt = optim.make(config.optim, config.num_steps)

  def init_state(seed):
    root = jax.random.PRNGKey(seed)
    x, z = jnp.zeros((1,) + data_info.shape), jnp.zeros((1, config.model.latent_dim))
    net = common.init_net(model, rng_lib.purpose_key(root, "init"), opt, x, z)
    return State(jnp.zeros((), jnp.int32), root, {"ae": net}, {})

  def logits(params, x_BxHxWxC):
    code, _ = common.run(model, rt, {"params": params}, x_BxHxWxC, method="encode")
    return common.run(model, rt, {"params": params}, code, x_BxHxWxC, method="decode")

  def train_step(state, batch, rng):
    del rng  # Nothing random.
    net, x = state.nets["ae"], batch["image"]
    loss_fn = lambda p: -jnp.mean(vae.log_likelihood(logits(p, x), x, "bernoulli"))
    loss, grads = jax.value_and_grad(loss_fn)(net.params)
    net = common.apply_gradients(net, opt, grads, state.step, rt)
    return state.replace(step=state.step + 1, nets={"ae": net}), {"loss": rt.mean(loss)}

  def reconstruct(state, x_BxHxWxC):
    return jax.nn.sigmoid(logits(state.nets["ae"].params, x_BxHxWxC))

  return Family("autoencoder", init_state, train_step, {"reconstruct": reconstruct},
                config.batch_size, data_info)


def test_a_new_family_is_a_builder_and_a_registry_line(monkeypatch, tmp_path):
  monkeypatch.setitem(families.FAMILIES, "autoencoder", build_autoencoder)
  config = tiny()
  config.model.name = "autoencoder"
  config.num_steps = 100
  config.log_every = config.eval_every = config.checkpoint_every = 50
  with pytest.raises(GenjaxError, match=r"evals.nll \(type 'nll'\) needs .*lacks \(neg_elbo,"
                                        r" iwae_nll\); it has \('reconstruct',\)"):
    train.train_and_evaluate(config, str(tmp_path / "refused"))
  assert not os.path.exists(tmp_path / "refused")
  config.evals.nll.every_steps = -1  # Off: an autoencoder has no likelihood bound.
  workdir = tmp_path / "run"
  first = train.train_and_evaluate(config, str(workdir))
  assert int(first.step) == 100
  assert sorted(os.listdir(workdir / "checkpoints")) == ["100", "50"]
  assert sorted(os.listdir(workdir / "samples")) == ["curves.png", "reconstructions_0000050.png",
                                                    "reconstructions_0000100.png"]
  family = families.build(config, families.DataInfo((8, 8, 1), 10))
  x = jnp.asarray(data_lib.load(config.data).eval_images[:64] > 0.5, jnp.float32)  # Held out.
  loss = lambda state: float(family.train_step(state, {"image": x}, None)[1]["loss"])
  assert loss(first) < 0.8 * loss(family.init_state(0))  # It learned.


MEAN_PIXEL_CALLS = []


class MeanPixel:
  """A new metric is one module like this: NEEDS, OPTIONS, make."""
  NEEDS = ("sample",)
  OPTIONS = dict(num_samples=16)

  @staticmethod
  def make(family, config, options):
    sample = jax.jit(family.predict["sample"], static_argnums=2)

    def run(state, eval_data):
      MEAN_PIXEL_CALLS.append(int(state.step))
      images = sample(state, rng_lib.purpose_key(state.rng, "eval"), options["num_samples"])
      return {"mean_pixel": float(images.mean())}
    return run


def test_a_new_evaluator_is_a_module_and_config_lines(monkeypatch, tmp_path):
  monkeypatch.setitem(evaluators.TYPES, "mean_pixel", MeanPixel)
  config = tiny()
  config.evals.brightness = ml_collections.ConfigDict(
      dict(type="mean_pixel", every_steps=5, num_samples=8))
  MEAN_PIXEL_CALLS.clear()
  train.train_and_evaluate(config, str(tmp_path / "run"))
  assert MEAN_PIXEL_CALLS == [5, 10, 15, 20]  # Its own schedule; nll keeps eval_every (10).
  config.evals.brightness.num_sample = 8
  with pytest.raises(GenjaxError, match=r"evals.brightness.num_sample is not an option of type"
                                        r" 'mean_pixel': valid are \('type', 'every_steps',"
                                        r" 'num_samples'\)"):
    evaluators.build(config, families.build(config, families.DataInfo((8, 8, 1))))
