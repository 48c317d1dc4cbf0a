"""Every shipped config loads, validates and builds its model on its own data."""
import glob
import importlib
import importlib.util
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import evaluators
from genjax.data import pseudo_labels
from genjax.evaluators import extractors
from genjax.families import superres
from genjax.feature_nets import chemnet
from genjax import families
from genjax import train

CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(
    os.path.join(os.path.dirname(__file__), "..", "configs", "*.py")) if "__init__" not in p)


def test_configs_are_found():
  assert {"default", "vae_mnist10k", "gan_ring8", "gan_grid25", "dcgan_mnist10k",
          "wgan_gp_mnist10k", "hinge_sn_mnist10k", "cgan_mnist10k", "dcgan_digits",
          "wgan_gp_digits", "hinge_sn_digits"} <= set(CONFIGS)


@pytest.mark.parametrize("name", CONFIGS)
def test_config_passes_every_check(name):
  """The edit loop's check of every config: fields and values (the build below is slower)."""
  config = importlib.import_module(f"configs.{name}").get_config()
  config.lock()
  train.check_config(config)
  getattr(families, config.model.name).check(config)


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_config_builds_its_model(name, monkeypatch, tmp_path):
  monkeypatch.chdir(os.path.join(os.path.dirname(__file__), ".."))  # data paths are relative
  # Pseudo-labels (tests/test_pseudo_labels.py) as a cheap stand-in: k-means of 60,000 images
  # takes minutes; its cache is redirected so the stand-in's labels are never reused.
  monkeypatch.setenv("GENJAX_CACHE", str(tmp_path))
  monkeypatch.setattr(pseudo_labels, "_CACHE", {})
  monkeypatch.setattr(pseudo_labels, "balanced_kmeans", lambda x, k, seed: (
      np.arange(len(x), dtype=np.int32) % k, np.asarray(x[:k], np.float32)))
  # A super-resolution feature loss reads a classifier trained elsewhere: a stand-in.
  monkeypatch.setattr(superres, "feature_network", lambda path: lambda x: x.reshape(len(x), -1))
  config = importlib.import_module(f"configs.{name}").get_config()
  config.lock()
  train.check_config(config)
  dataset = data_lib.load(config.data)
  family = families.build(config, train.data_info(dataset))
  state = family.init_state(config.seed)
  assert int(state.step) == 0
  # Trace one train step (shapes only: cheap): every loss, penalty and network path compiles.
  n = family.examples_per_step
  batch = {"image": jax.ShapeDtypeStruct((n,) + dataset.image_shape, jnp.float32),
           "label": jax.ShapeDtypeStruct((n,), jnp.int32)}
  if dataset.vocab:  # SMILES: token rows and lengths.
    batch = {"tokens": jax.ShapeDtypeStruct((n,) + dataset.image_shape, jnp.int32),
             "length": jax.ShapeDtypeStruct((n,), jnp.int32)}
  new_state, metrics = jax.eval_shape(family.train_step, state, batch, jax.random.PRNGKey(0))
  assert jax.tree.structure(new_state) == jax.tree.structure(state) and metrics
  # The classifier workdir the MNIST-10k configs name is trained outside the tests: a stub.
  stub = lambda path, batch: extractors.Extractor(None, dataset.image_shape, "stub", probs=True)
  monkeypatch.setitem(extractors.EXTRACTORS, "classifier", stub)
  # So are the FID Inception network's weights (tests/test_inception.py checks the network).
  monkeypatch.setitem(extractors.EXTRACTORS, "inception",
                      lambda path, batch: extractors.Extractor(None, None, "stub"))
  # ChemNet's weights (the moses evaluator's FCD) are converted outside the tests: a stub; and
  # without RDKit (an extra) the moses evaluator is refused in one line, so it is left out.
  monkeypatch.setattr(chemnet, "load", lambda path: ({}, "stub"))
  if "moses" in config.get("evals", {}) and importlib.util.find_spec("rdkit") is None:
    with config.unlocked():
      del config.evals["moses"]
  evaluators.build(config, family)


def test_the_plain_mnist_dcgan_critic_has_no_batch_norm_and_the_conditional_ones_keep_it():
  """dcgan_mnist10k.py measured better without batch norm in D (docs/images.md, "Images"); the
  self-conditioned and class-conditional DCGANs keep the critic their figures were run with."""
  get = lambda name: importlib.import_module(f"configs.{name}").get_config()
  assert not get("dcgan_mnist10k").model.discriminator.batch_norm
  for name in ("dcgan_mnist10k_selfcond", "dcgan_mnist10k_selfcond_30min", "cgan_mnist10k"):
    assert get(name).model.discriminator.batch_norm, name
