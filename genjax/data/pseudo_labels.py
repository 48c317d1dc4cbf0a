"""Pseudo-labels: the training images' clusters as their classes, so that a class-conditional
model trains on unlabelled images and samples unconditionally (classes drawn uniformly).

A self-conditioned GAN (Liu et al. 2020, "Diverse image generation via self-conditioned
GANs") conditions G and D on clusters of the data, so each cluster's images must be
produced and mode collapse costs D's projection term; Liu et al. recluster in D's features
during training, here the clusters are fixed before it, in pixel space.

The clusters are *balanced* k-means: exactly N // K or N // K + 1 training images each, so
the uniform class draws of conditional families sample the clusters in their training
proportions without knowing them. Eval images get their nearest centroid's cluster.

data.pseudo_labels = 'kmeans<K>' (e.g. 'kmeans50'); '' keeps the dataset's own labels.
The clusters of a training set are computed once and kept on disk
(`<genjax cache>/pseudo_labels/`, see `genjax.runs_cache.root`), keyed by K, the seed and a
digest of the images (k-means of MNIST's 60,000 images takes minutes on a CPU).

2-D mixtures (ring8, grid25), drawn fresh every step, are clustered once by plain k-means
(best of MIXTURE_RESTARTS) on a fixed draw of MIXTURE_POINTS_PER_CLUSTER * K points; each fresh
point gets its nearest centroid's cluster (`pipeline.train_batch`). Not balanced: forcing equal
sizes on tight modes puts two centroids side by side in one mode, and the fresh points then
leave one of them nearly empty (a class G must still produce); plain k-means splits each mode
through its centre, so the shares stay near 1 / K when K is a multiple of the modes.
"""
import dataclasses
import hashlib
import os
import re

import numpy as np

from genjax.data import files
from genjax.errors import GenjaxError

LLOYD_STEPS = 10
MIXTURE_POINTS_PER_CLUSTER = 200
MIXTURE_RESTARTS = 10
_CACHE = {}  # (K, seed, shape, digest of the training images) -> (labels, centroids);
# ('mixture', K, seed, means, std) -> centroids.


def num_clusters(spec: str) -> int:
  """K of 'kmeans<K>'; a one-line error naming what is valid otherwise."""
  match = re.fullmatch(r"kmeans(\d+)", spec)
  if not match or int(match.group(1)) < 2:
    raise GenjaxError(f"data.pseudo_labels={spec!r}: valid are '' (the dataset's labels) or"
                      " 'kmeans<K>' with K >= 2, e.g. 'kmeans50'")
  return int(match.group(1))


def _squared_distances(x_NxD, c_KxD):
  return (np.sum(x_NxD**2, 1)[:, None] - 2 * x_NxD @ c_KxD.T + np.sum(c_KxD**2, 1)[None])


def balanced_assignment(d2_NxK) -> np.ndarray:
  """int32[N]: each row's cluster, the K clusters filled to sizes N // K (+1 for the first
  N % K), greedily in order of increasing distance (each pair (row, cluster) taken when the
  row is free and the cluster has room)."""
  n, k = d2_NxK.shape
  room = np.full(k, n // k)
  room[:n % k] += 1
  labels = np.full(n, -1, np.int32)
  left = n
  for flat in np.argsort(d2_NxK, axis=None, kind="stable"):
    row, cluster = divmod(int(flat), k)
    if labels[row] < 0 and room[cluster]:
      labels[row], left = cluster, left - 1
      room[cluster] -= 1
      if not left:
        break
  return labels


def balanced_kmeans(x_NxD, k: int, seed: int):
  """(labels int32[N], centroids float32[K, D]): k-means++ centroids (scikit-learn, `seed`),
  then LLOYD_STEPS rounds of balanced assignment and centroid means."""
  from sklearn.cluster import KMeans  # pylint: disable=import-outside-toplevel  (slow import)
  x = np.asarray(x_NxD, np.float64)
  if k > len(x):
    raise GenjaxError(f"data.pseudo_labels=kmeans{k}: more clusters than the {len(x)} training"
                      " images")
  centroids = KMeans(k, n_init=1, random_state=seed).fit(x).cluster_centers_
  for _ in range(LLOYD_STEPS):
    labels = balanced_assignment(_squared_distances(x, centroids))
    centroids = np.stack([x[labels == c].mean(0) for c in range(k)])
  return labels, centroids.astype(np.float32)


def apply(dataset, spec: str, seed: int, shards=None):
  """`dataset` with its labels replaced by balanced k-means clusters of its training images
  (`num_classes` = K); `spec` '' returns it as it is."""
  if not spec:
    return dataset
  k = num_clusters(spec)
  if dataset.train_images is None:
    raise GenjaxError(f"data.pseudo_labels={spec!r} clusters images; this dataset has none")
  if shards is not None:
    raise GenjaxError(f"data.pseudo_labels={spec!r} needs the whole train split in each"
                      " process (num_shards=1)")
  flat = lambda images: files.unit_float(np.asarray(images)).reshape(len(images), -1)
  train = flat(dataset.train_images)
  # Training and its evaluators load the data more than once in a process: cluster once.
  key = (k, seed, train.shape, hashlib.sha1(train.tobytes()).hexdigest())
  if key not in _CACHE:
    _CACHE[key] = _on_disk(key, lambda: balanced_kmeans(train, k, seed))
  labels, centroids = _CACHE[key]
  eval_labels = np.argmin(_squared_distances(flat(dataset.eval_images), centroids), 1)
  return dataclasses.replace(dataset, train_labels=labels,
                             eval_labels=eval_labels.astype(np.int32), num_classes=k)


def _on_disk(key, compute):
  """(labels, centroids) from the disk cache, or `compute()`d and saved there (atomically)."""
  from genjax import runs_cache  # pylint: disable=import-outside-toplevel  (imports genjax.run)
  k, seed, shape, digest = key
  path = os.path.join(runs_cache.root(), "pseudo_labels",
                      f"kmeans{k}-seed{seed}-{'x'.join(map(str, shape))}-{digest[:24]}.npz")
  if os.path.isfile(path):
    try:
      with np.load(path) as saved:
        return saved["labels"], saved["centroids"]
    except (OSError, ValueError, KeyError):
      pass  # A damaged file: computed again and replaced.
  labels, centroids = compute()
  os.makedirs(os.path.dirname(path), exist_ok=True)
  partial = f"{path}.{os.getpid()}.partial.npz"
  np.savez(partial, labels=labels, centroids=centroids)
  os.replace(partial, path)
  return labels, centroids


def apply_to_mixture(dataset, spec: str, seed: int):
  """A 2-D mixture `dataset` with the K k-means centroids of a fixed draw of its points
  (`mixture_centroids`, `num_classes` = K); `spec` '' returns it as it is."""
  if not spec:
    return dataset
  k = num_clusters(spec)
  key = ("mixture", k, seed, dataset.mixture_means.tobytes(), dataset.mixture_std)
  if key not in _CACHE:
    rng = np.random.RandomState(seed)
    means = dataset.mixture_means
    num = MIXTURE_POINTS_PER_CLUSTER * k
    points = (means[rng.randint(0, len(means), num)]
              + dataset.mixture_std * rng.standard_normal((num, 2)))
    from sklearn.cluster import KMeans  # pylint: disable=import-outside-toplevel  (slow import)
    fit = KMeans(k, n_init=MIXTURE_RESTARTS, random_state=seed).fit(points)
    _CACHE[key] = fit.cluster_centers_.astype(np.float32)
  return dataclasses.replace(dataset, mixture_centroids=_CACHE[key], num_classes=k)


def nearest(points_Bx2, centroids_Kx2):
  """int32[B]: each point's nearest centroid (jnp or np arrays)."""
  d2 = ((points_Bx2[:, None, :] - centroids_Kx2[None]) ** 2).sum(-1)
  return d2.argmin(-1).astype("int32")
