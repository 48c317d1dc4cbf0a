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

Only unconditional models with `encode` and `decode` take a fitted prior.
"""
import re
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax import data as data_lib
from genjax.data import pipeline
from genjax.errors import GenjaxError

STANDARD = "standard"
NEEDS = ("encode", "decode")


class Mixture(NamedTuple):
  """A Gaussian mixture over latents: log weights float[K], means float[K, Z], Cholesky
  factors of the covariances float[K, Z, Z] (lower triangular)."""
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


def draw(mixture: Mixture, key, num: int):
  """`num` latents z_NxZ from the mixture: a component per draw, then mean + L eps."""
  key_component, key_eps = jax.random.split(key)
  k = jax.random.categorical(key_component, mixture.log_weights, shape=(num,))
  eps = jax.random.normal(key_eps, (num, mixture.means.shape[1]))
  return mixture.means[k] + jnp.einsum("nij,nj->ni", mixture.chol[k], eps)


def posterior_means(encode: Callable, state, images, batch_size: int = 500) -> np.ndarray:
  """The encoder's means of `images` (in the model's value range), batched: float32[N, Z]."""
  encode = jax.jit(encode)
  return np.concatenate([np.asarray(encode(state, images[i:i + batch_size])[0])
                         for i in range(0, len(images), batch_size)])


def check(family, spec: str) -> int:
  """K of `spec` for `family`, refusing a fitted prior where it cannot apply."""
  k = components(spec)
  if k:
    missing = [name for name in NEEDS if name not in family.predict]
    if missing:
      raise GenjaxError(f"prior={spec!r} fits the encoded training set: the {family.name!r}"
                        f" model has no {', '.join(missing)} (use prior='standard')")
    if family.num_classes:
      raise GenjaxError(f"prior={spec!r} is for unconditional models: this one samples per"
                        " class (use prior='standard')")
  return k


def sampler(family, state, data_config, spec: str, num_fit: int = 0, dataset=None) -> Callable:
  """`sample(state, key, num)` drawing from `spec`'s prior: the family's own `sample` for
  'standard', else `decode` of mixture draws, the mixture fitted (seed 0) to `state`'s
  posterior means of the first `num_fit` (0: all) training images. `dataset` saves a reload."""
  k = check(family, spec)
  if not k:
    return jax.jit(family.predict["sample"], static_argnums=2)
  dataset = dataset if dataset is not None else data_lib.load(data_config)
  if dataset.train_images is None:
    raise GenjaxError(f"prior={spec!r} needs training images to encode")
  images = pipeline.fixed_eval_images(dataset.train_images[:num_fit or None], 0, data_config)
  mixture = fit(posterior_means(family.predict["encode"], state, images), k, seed=0)
  decode = family.predict["decode"]
  draw_and_decode = jax.jit(lambda state, key, num, mixture: decode(state, draw(mixture, key, num)),
                            static_argnums=2)
  return lambda state, key, num: draw_and_decode(state, key, num, mixture)
