"""Pseudo-labels (balanced k-means clusters as classes): exact cluster sizes, clusters that
find the data's groups, eval images at their nearest centroid, one-line errors."""
import numpy as np
import pytest

from genjax import data as data_lib
from genjax.data import pseudo_labels
from genjax.errors import GenjaxError
from tests.conftest import tiny


def test_balanced_assignment_fills_every_cluster_to_its_size_nearest_first():
  # Five rows all nearest cluster 0; with room for 3 + 2 the three nearest take it.
  d2 = np.array([[0.0, 9], [1, 9], [2, 9], [3, 9], [4, 9]])
  np.testing.assert_array_equal(pseudo_labels.balanced_assignment(d2), [0, 0, 0, 1, 1])
  rng = np.random.RandomState(0)
  labels = pseudo_labels.balanced_assignment(rng.rand(103, 10))
  assert sorted(np.bincount(labels, minlength=10)) == [10] * 7 + [11] * 3


def test_balanced_kmeans_recovers_separated_groups_of_unequal_size_as_equal_clusters():
  """Four tight groups of 50 points: K=4 finds them exactly. Groups of 80, 40, 40, 40 with
  K=4 still give four clusters of 50: the big group is split, never merged with another."""
  rng = np.random.RandomState(1)
  centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float64)
  x = np.concatenate([c + 0.1 * rng.randn(50, 2) for c in centres])
  labels, centroids = pseudo_labels.balanced_kmeans(x, 4, seed=0)
  truth = np.repeat(np.arange(4), 50)
  assert len({(a, b) for a, b in zip(labels, truth)}) == 4  # A bijection of the groups.
  np.testing.assert_allclose(np.sort(centroids, 0), np.sort(centres, 0), atol=0.1)
  x = np.concatenate([c + 0.1 * rng.randn(n, 2) for c, n in zip(centres, (80, 40, 40, 40))])
  labels, _ = pseudo_labels.balanced_kmeans(x, 4, seed=0)
  assert np.bincount(labels).tolist() == [50] * 4
  truth = np.repeat(np.arange(4), (80, 40, 40, 40))
  for cluster in range(4):  # 40-groups are kept whole (plus 10 from the big group).
    assert np.bincount(truth[labels == cluster]).max() >= 40


def test_a_dataset_with_pseudo_labels_has_k_balanced_classes():
  config = tiny()
  config.data.pseudo_labels = "kmeans7"
  dataset = data_lib.load(config.data)
  counts = np.bincount(dataset.train_labels)
  assert dataset.num_classes == 7 and len(counts) == 7 and counts.max() - counts.min() <= 1
  assert set(np.unique(dataset.eval_labels)) <= set(range(7)) and len(dataset.eval_labels) == 360
  # Pseudo-labels of 10 clusters on the digits agree with the true classes far above chance.
  config.data.pseudo_labels = "kmeans10"
  true = data_lib.load(tiny().data).train_labels
  pseudo = data_lib.load(config.data).train_labels
  purity = sum(np.bincount(true[pseudo == c]).max() for c in range(10)) / len(true)
  assert purity > 0.6


def test_clusters_are_kept_on_disk_and_reused_by_a_new_process(tmp_path, monkeypatch):
  """The clusters of a training set are computed once: a later process (its in-memory cache
  empty) reads the same labels from disk without clustering; a damaged file is recomputed."""
  monkeypatch.setenv("GENJAX_CACHE", str(tmp_path))
  monkeypatch.setattr(pseudo_labels, "_CACHE", {})
  config = tiny()
  config.data.pseudo_labels = "kmeans5"
  first = data_lib.load(config.data)
  (saved,) = list((tmp_path / "pseudo_labels").iterdir())
  assert saved.name.startswith("kmeans5-seed0-1437x64-") and saved.suffix == ".npz"
  monkeypatch.setattr(pseudo_labels, "_CACHE", {})
  monkeypatch.setattr(pseudo_labels, "balanced_kmeans", lambda *a: pytest.fail("recomputed"))
  second = data_lib.load(config.data)
  np.testing.assert_array_equal(first.train_labels, second.train_labels)
  np.testing.assert_array_equal(first.eval_labels, second.eval_labels)
  saved.write_bytes(b"damaged")
  monkeypatch.setattr(pseudo_labels, "_CACHE", {})
  calls = []
  monkeypatch.setattr(pseudo_labels, "balanced_kmeans",
                      lambda x, k, seed: calls.append(k) or (np.arange(len(x)) % k,
                                                             np.zeros((k, x.shape[1]), "f4")))
  assert data_lib.load(config.data).num_classes == 5 and calls == [5]


@pytest.mark.parametrize("spec,message", [
    ("kmeans", "valid are '' (the dataset's labels) or 'kmeans<K>'"),
    ("kmeans1", "K >= 2"),
    ("gmm10", "'kmeans<K>'"),
    ("kmeans5000", "more clusters than the 1437 training images"),
])
def test_bad_pseudo_labels_are_one_line_errors(spec, message):
  config = tiny()
  config.data.pseudo_labels = spec
  with pytest.raises(GenjaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
    data_lib.load(config.data)


@pytest.mark.slow
def test_a_self_conditioned_gan_trains_and_samples_each_cluster(tmp_path):
  """A projection GAN on 6 pseudo-label clusters of the digits: the run records 6 classes,
  and sampling a class works from the workdir alone."""
  import json  # pylint: disable=g-import-not-at-top
  from genjax import train, workdirs  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny_dcgan_sn  # pylint: disable=g-import-not-at-top
  config = tiny_dcgan_sn()
  config.data.pseudo_labels, config.model.conditioning = "kmeans6", "projection"
  config.num_steps = 10
  state = train.train_and_evaluate(config, str(tmp_path))
  assert int(state.step) == 10
  assert json.loads((tmp_path / "data_info.json").read_text())["num_classes"] == 6
  images = workdirs.sample(str(tmp_path), 4, seed=0, label=5)
  assert images.shape == (4, 8, 8, 1) and np.all(np.isfinite(images))


@pytest.mark.slow
def test_samples_of_a_cluster_land_in_that_cluster(tmp_path):
  """A conditional VAE trained on 6 pseudo-label clusters of the digits (300 steps): the
  samples drawn for cluster c are assigned to c by the clustering's own rule (the nearest
  centroid, as eval images are) far above chance (1/6), for every cluster."""
  from genjax import train, workdirs  # pylint: disable=g-import-not-at-top
  from genjax.data import pipeline  # pylint: disable=g-import-not-at-top
  config = tiny()
  config.data.pseudo_labels, config.model.conditioning = "kmeans6", "concat"
  config.num_steps = config.checkpoint_every = config.eval_every = config.log_every = 300
  config.evals = {}
  train.train_and_evaluate(config, str(tmp_path))
  dataset = data_lib.load(config.data)
  flat = lambda images: np.asarray(images, np.float64).reshape(len(images), -1)
  train_x = flat(dataset.train_images)
  # The clustering's centroids are its clusters' means (balanced_kmeans ends on a mean step).
  centroids = np.stack([train_x[dataset.train_labels == c].mean(0) for c in range(6)])
  eval_d2 = ((flat(dataset.eval_images)[:, None] - centroids[None]) ** 2).sum(-1)
  np.testing.assert_array_equal(eval_d2.argmin(1), dataset.eval_labels)  # The same rule.
  hits = []
  for c in range(6):
    x = flat(pipeline.to_unit(workdirs.sample(str(tmp_path), 50, seed=c, label=c),
                              config.data.value_range))
    hits.append(np.mean(((x[:, None] - centroids[None]) ** 2).sum(-1).argmin(1) == c))
  assert np.mean(hits) > 0.45 and min(hits) > 0.25, np.round(hits, 2)


def test_a_mixture_is_clustered_once_and_each_fresh_point_gets_its_nearest_centroid():
  """ring8 with kmeans16: 16 centroids of a fixed draw, on every mode; a training batch
  labels each fresh point with its nearest centroid, and every cluster's share stays near
  1/16 (none is left empty for G to produce anyway)."""
  import jax  # pylint: disable=g-import-not-at-top
  from configs import gan_ring8  # pylint: disable=g-import-not-at-top
  from genjax.data import pipeline, toy2d  # pylint: disable=g-import-not-at-top
  config = gan_ring8.get_config()
  config.data.pseudo_labels = "kmeans16"
  dataset = data_lib.load(config.data)
  centroids = dataset.mixture_centroids
  assert dataset.num_classes == 16 and centroids.shape == (16, 2)
  means = toy2d.means("ring8")
  nearest_mode = pseudo_labels.nearest(centroids, means)
  assert np.bincount(nearest_mode, minlength=8).min() >= 1
  assert np.sqrt(((centroids - means[nearest_mode]) ** 2).sum(-1)).max() < 0.03  # 3 std.
  sampling = pipeline.Sampling(num_examples=0, batch_size=4096)
  batch, _ = pipeline.train_batch(dataset.device_arrays(), None, 0, jax.random.PRNGKey(3),
                                  config.data, sampling)
  points, labels = np.asarray(batch["image"]), np.asarray(batch["label"])
  d2 = ((points[:, None] - centroids[None]) ** 2).sum(-1)
  np.testing.assert_array_equal(labels, d2.argmin(1))
  shares = np.bincount(labels, minlength=16) / len(labels)
  assert shares.min() > 0.25 / 16 and shares.max() < 2.5 / 16  # 1 to 3 centroids a mode.
  assert "label" not in pipeline.train_batch(data_lib.load(gan_ring8.get_config().data)
                                             .device_arrays(), None, 0, jax.random.PRNGKey(3),
                                             config.data, sampling)[0]
