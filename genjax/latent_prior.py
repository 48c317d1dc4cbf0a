"""Ex-post latent priors: sample an autoencoder's decoder where its encoder put the data.

A VAE's aggregate posterior q(z) = E_x q(z|x) rarely fills N(0, I) (on MNIST-10k the KL is
35-55 nats per image): prior draws that land in its holes decode to malformed images. Ghosh
et al. 2020 ("From variational to deterministic autoencoders", sec. 4, ex-post density
estimation) fit a Gaussian mixture to the encoded training set after training and decode its
draws instead; Dai & Wipf 2019 fit a second VAE. Here a prior is named by a spec:

  'standard'  the model's own N(0, I) (its `sample`);
  'gmm<K>'    a K-component full-covariance Gaussian mixture fitted (scikit-learn EM from a
              seeded k-means start) to the posterior means of the first `num_fit` training
              images as the model sees them (binarized with a fixed key where the data is),
              sampled in JAX from an explicit key. The fit is a function of the checkpoint.

Models with `encode` and `decode` take a fitted prior; a class-conditional one gets a mixture
per class (fitted to the codes of that class's training images, encoded with their labels),
and its samples are of classes drawn uniformly or given.
"""
import functools
import re
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax import data as data_lib
from genjax import rng as rng_lib
from genjax.data import pipeline
from genjax.errors import GenjaxError

STANDARD = "standard"
NEEDS = ("encode", "decode")


class Mixture(NamedTuple):
  """A Gaussian mixture over latents: log weights float[K], means float[K, Z], Cholesky
  factors of the covariances float[K, Z, Z] (lower triangular); one per class (a leading axis
  C on each) for a class-conditional model."""
  log_weights: jax.Array
  means: jax.Array
  chol: jax.Array


def components(spec: str) -> int:
  """0 for 'standard', K for 'gmm<K>'; anything else is a one-line error."""
  if spec == STANDARD:
    return 0
  match = re.fullmatch(r"gmm([1-9][0-9]*)", spec)
  if not match:
    raise GenjaxError(f"prior={spec!r}: valid are 'standard' (N(0, I)) or 'gmm<K>' (a K-component"
                      " Gaussian mixture fitted to the encoded training set, e.g. 'gmm10')")
  return int(match.group(1))


def fit(codes_NxZ, num_components: int, seed: int = 0) -> Mixture:
  """The maximum-likelihood K-component full-covariance mixture of `codes` (EM from a seeded
  k-means start; a 1e-6 ridge on the covariances keeps them positive definite)."""
  from sklearn.mixture import GaussianMixture  # A core dependency; imported when needed.
  codes = np.asarray(codes_NxZ, np.float64)
  if len(codes) < 2 * num_components:
    raise GenjaxError(f"a {num_components}-component mixture needs at least"
                      f" {2 * num_components} codes to fit, got {len(codes)}")
  gmm = GaussianMixture(num_components, covariance_type="full", reg_covar=1e-6,
                        max_iter=200, random_state=seed).fit(codes)
  return Mixture(jnp.log(jnp.asarray(gmm.weights_, jnp.float32)),
                 jnp.asarray(gmm.means_, jnp.float32),
                 jnp.asarray(np.linalg.cholesky(gmm.covariances_), jnp.float32))


def draw(mixture: Mixture, key, num: int, labels=None):
  """`num` latents z_NxZ from the mixture (from class `labels`' mixtures, int32[num], when it
  has one per class): a component per draw, then mean + L eps."""
  key_component, key_eps = jax.random.split(key)
  if labels is None:
    k = jax.random.categorical(key_component, mixture.log_weights, shape=(num,))
    means, chol = mixture.means[k], mixture.chol[k]
  else:
    k = jax.random.categorical(key_component, mixture.log_weights[labels])
    means, chol = mixture.means[labels, k], mixture.chol[labels, k]
  eps = jax.random.normal(key_eps, (num, means.shape[-1]))
  return means + jnp.einsum("nij,nj->ni", chol, eps)


def posterior_means(encode: Callable, state, images, batch_size: int = 500,
                    labels=None) -> np.ndarray:
  """The encoder's means of `images` (in the model's value range; of classes `labels` for a
  conditional encoder), batched: float32[N, Z]."""
  encode = jax.jit(encode)
  parts = range(0, len(images), batch_size)
  if labels is None:
    return np.concatenate([np.asarray(encode(state, images[i:i + batch_size])[0]) for i in parts])
  return np.concatenate([np.asarray(encode(state, images[i:i + batch_size],
                                           labels[i:i + batch_size])[0]) for i in parts])


def fit_per_class(codes_NxZ, labels_N, num_classes: int, num_components: int) -> Mixture:
  """One `fit` per class on that class's codes, stacked on a leading class axis."""
  labels = np.asarray(labels_N)
  parts = [fit(codes_NxZ[labels == c], num_components) for c in range(num_classes)]
  return Mixture(*[jnp.stack(field) for field in zip(*parts)])


def check(family, spec: str) -> int:
  """K of `spec` for `family`, refusing a fitted prior where it cannot apply."""
  k = components(spec)
  if k:
    missing = [name for name in NEEDS if name not in family.predict]
    if missing:
      raise GenjaxError(f"prior={spec!r} fits the encoded training set: the {family.name!r}"
                        f" model has no {', '.join(missing)} (use prior='standard')")
  return k


def sampler(family, state, data_config, spec: str, num_fit: int = 0, dataset=None) -> Callable:
  """`sample(state, key, num, labels=None)` drawing from `spec`'s prior: the family's own
  `sample` for 'standard', else `decode` of mixture draws, the mixture fitted (seed 0) to
  `state`'s posterior means of the first `num_fit` (0: all) training images (per class for a
  conditional model, whose samples are of classes `labels`, default uniform). `dataset` saves
  a reload."""
  k = check(family, spec)
  if not k:
    return jax.jit(family.predict["sample"], static_argnums=2)
  dataset = dataset if dataset is not None else data_lib.load(data_config)
  if dataset.train_images is None:
    raise GenjaxError(f"prior={spec!r} needs training images to encode")
  images = pipeline.fixed_eval_images(dataset.train_images[:num_fit or None], 0, data_config)
  encode, decode, classes = family.predict["encode"], family.predict["decode"], family.num_classes
  if not classes:
    mixture = fit(posterior_means(encode, state, images), k, seed=0)
  else:
    if dataset.train_labels is None:
      raise GenjaxError(f"prior={spec!r} of a class-conditional model needs training labels")
    labels = jnp.asarray(dataset.train_labels[:num_fit or None], jnp.int32)
    mixture = fit_per_class(posterior_means(encode, state, images, labels=labels), labels,
                            classes, k)

  @functools.partial(jax.jit, static_argnums=2)
  def draw_and_decode(state, key, num, mixture, labels):
    if not classes:
      return decode(state, draw(mixture, key, num))
    if labels is None:  # Uniform classes, from their own key (as the families' `sample`).
      labels = jax.random.randint(rng_lib.purpose_key(key, "labels"), (num,), 0, classes)
    return decode(state, draw(mixture, key, num, labels), labels)

  return lambda state, key, num, labels=None: draw_and_decode(state, key, num, mixture, labels)
