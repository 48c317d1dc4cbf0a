"""Data sources, readers, errors and the deterministic batch pipeline."""
import gzip
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow_datasets as tfds

import configs

from genjax import data as data_lib
from genjax import rng as rng_lib
from genjax.data import files, pipeline
from genjax.errors import GenjaxError
from tests.conftest import MNIST_IMAGES, MNIST_LABELS, tiny


def test_idx_reader_reads_the_mnist_test_set():
  images, labels = files.read_idx(MNIST_IMAGES), files.read_idx(MNIST_LABELS)
  assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
  np.testing.assert_array_equal(np.bincount(labels),
                                [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
  assert images.mean() == pytest.approx(33.79, abs=0.01)


def test_idx_reader_reads_raw_files_and_rejects_bad_ones(tmp_path):
  raw = gzip.decompress(open(MNIST_LABELS, "rb").read())
  (tmp_path / "labels").write_bytes(raw)
  assert files.read_idx(str(tmp_path / "labels")).shape == (10000,)
  (tmp_path / "short").write_bytes(raw[:100])
  with pytest.raises(GenjaxError, match="truncated"):
    files.read_idx(str(tmp_path / "short"))
  (tmp_path / "junk").write_bytes(b"hello world")
  with pytest.raises(GenjaxError, match="not an IDX file"):
    files.read_idx(str(tmp_path / "junk"))
  with pytest.raises(GenjaxError, match="does not exist"):
    files.read_idx(str(tmp_path / "missing.gz"))


def _file_config(name, path, **fields):
  config = tiny()
  config.data.name = name
  config.data.path = path
  for k, v in fields.items():
    config.data[k] = v
  return config.data


def test_mnist10k_split_8000_2000_through_the_idx_path():
  cfg = _file_config("idx", MNIST_IMAGES, labels_path=MNIST_LABELS, num_eval=2000)
  ds = data_lib.load(cfg)
  assert ds.train_images.shape == (8000, 28, 28, 1) and ds.eval_images.shape == (2000, 28, 28, 1)
  assert ds.train_images.dtype == np.float32 and 0.0 <= ds.train_images.min() <= ds.train_images.max() <= 1.0
  raw = files.read_idx(MNIST_IMAGES)
  np.testing.assert_allclose(ds.eval_images[-1, ..., 0], raw[-1] / 255.0)  # last 2,000 = eval
  assert ds.num_classes == 10 and ds.train_labels.dtype == np.int32


def test_npz_source_and_its_errors(tmp_path):
  rng = np.random.RandomState(0)
  path = str(tmp_path / "d.npz")
  np.savez(path, images=rng.randint(0, 256, (50, 6, 6, 3)).astype(np.uint8),
           labels=np.arange(50) % 5)
  ds = data_lib.load(_file_config("npz", path, num_eval=10, shuffle_split=True))
  assert ds.train_images.shape == (40, 6, 6, 3) and ds.num_classes == 5
  np.savez(str(tmp_path / "bad.npz"), images=np.zeros((5, 4)))
  with pytest.raises(GenjaxError, match="expected \\(N, H, W\\)"):
    data_lib.load(_file_config("npz", str(tmp_path / "bad.npz"), num_eval=1))
  np.savez(str(tmp_path / "nokey.npz"), pixels=np.zeros((5, 4, 4)))
  with pytest.raises(GenjaxError, match="no 'images' array"):
    data_lib.load(_file_config("npz", str(tmp_path / "nokey.npz"), num_eval=1))
  with pytest.raises(GenjaxError, match="num_eval"):
    data_lib.load(_file_config("npz", path, num_eval=50))


def test_digits_travels_through_tfds():
  ds = data_lib.load(tiny().data)
  assert ds.train_images.shape == (1437, 8, 8, 1) and ds.eval_images.shape == (360, 8, 8, 1)
  assert ds.num_classes == 10 and ds.train_images.max() == 1.0
  from sklearn.datasets import load_digits
  total = np.sort(np.concatenate([ds.train_images, ds.eval_images]).sum(axis=(1, 2, 3)))
  expected = np.sort((np.round(load_digits().images * 255 / 16) / 255).sum(axis=(1, 2)))
  np.testing.assert_allclose(total, expected, rtol=1e-5)  # the same 1,797 images, split
  source = tfds.data_source("digits", split="test", data_dir=os.environ["TFDS_DATA_DIR"])
  assert len(source) == 360


def test_unknown_dataset_lists_valid_names():
  config = tiny()
  config.data.name = "not_a_dataset"
  with pytest.raises(GenjaxError, match="digits, idx, npz"):
    data_lib.load(config.data)


def test_tfds_image_dataset_by_name_under_mock_data():
  config = tiny()
  config.data.name = "mnist"
  with tfds.testing.mock_data(num_examples=12):
    ds = data_lib.load(config.data)
  assert ds.train_images.shape == (12, 28, 28, 1) and ds.eval_images.shape == (12, 28, 28, 1)


def test_uint8_train_images_can_stay_uint8_and_convert_to_the_float_values():
  config = tiny()
  floats, raw = data_lib.load(config.data), data_lib.load(config.data, keep_uint8=True)
  assert raw.train_images.dtype == np.uint8 and raw.eval_images.dtype == np.float32
  np.testing.assert_array_equal(raw.device_arrays()["image"], floats.train_images)
  np.testing.assert_array_equal(raw.eval_images, floats.eval_images)
  config.data.image_size = 4  # Resizing works on floats.
  assert data_lib.load(config.data, keep_uint8=True).train_images.dtype == np.float32


def test_image_size_pads_and_resizes():
  config = tiny()
  config.data.image_size = 12
  assert data_lib.load(config.data).image_shape == (12, 12, 1)
  config.data.image_size = 4
  assert data_lib.load(config.data).image_shape == (4, 4, 1)


def test_batch_of_a_step_depends_only_on_seed_and_step():
  root, sampling = jax.random.PRNGKey(3), pipeline.Sampling(100, 10)
  a = pipeline.batch_indices(root, 7, sampling)
  b = pipeline.batch_indices(root, 7, sampling)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, pipeline.batch_indices(jax.random.PRNGKey(4), 7, sampling))
  epoch = np.concatenate([pipeline.batch_indices(root, s, sampling) for s in range(10)])
  np.testing.assert_array_equal(np.sort(epoch), np.arange(100))  # an epoch visits each once
  next_epoch = np.concatenate([pipeline.batch_indices(root, s, sampling) for s in range(10, 20)])
  assert not np.array_equal(epoch, next_epoch)


def test_dynamic_binarization_is_fresh_per_key_and_unbiased():
  cfg = tiny().data
  x = jnp.full((1000, 4, 4, 1), 0.3)
  a = pipeline.preprocess(x, jax.random.PRNGKey(0), cfg)
  b = pipeline.preprocess(x, jax.random.PRNGKey(1), cfg)
  assert set(np.unique(a)) <= {0.0, 1.0} and not np.array_equal(a, b)
  assert float(a.mean()) == pytest.approx(0.3, abs=0.01)
  cfg.dynamic_binarization = False
  cfg.value_range = "-1,1"
  np.testing.assert_allclose(pipeline.preprocess(x, None, cfg), -0.4, rtol=1e-6)


def test_mutation_replaces_the_given_fraction_of_train_pixels_by_uniform_noise():
  """data.mutation_rate (Ren et al. 2019's background model) perturbs train batches only,
  the same for the same step key; the eval images (`fixed_eval_images`) stay as they are."""
  cfg = tiny().data
  cfg.dynamic_binarization, cfg.mutation_rate = False, 0.25
  raw = {"image": jnp.full((500, 8, 8, 1), 2.0), "label": jnp.zeros(500, jnp.int32)}
  a = pipeline.prepare(raw, jax.random.PRNGKey(0), cfg)["image"]
  hit = np.asarray(a) != 2.0
  assert hit.mean() == pytest.approx(0.25, abs=0.01)
  assert np.all((np.asarray(a)[hit] >= 0) & (np.asarray(a)[hit] < 1))
  assert float(np.asarray(a)[hit].mean()) == pytest.approx(0.5, abs=0.02)  # U(0, 1)
  np.testing.assert_array_equal(a, pipeline.prepare(raw, jax.random.PRNGKey(0), cfg)["image"])
  assert not np.array_equal(a, pipeline.prepare(raw, jax.random.PRNGKey(1), cfg)["image"])
  np.testing.assert_array_equal(pipeline.fixed_eval_images(raw["image"], 0, cfg), 2.0)
  cfg.mutation_rate = 1.0
  with pytest.raises(GenjaxError, match=r"data.mutation_rate=1.0 must be in \[0, 1\)"):
    pipeline.check(cfg, pipeline.Sampling(100, 10))


def test_batch_larger_than_dataset_and_bad_value_range_are_refused():
  cfg = tiny().data
  with pytest.raises(GenjaxError, match="larger than the 100 training images"):
    pipeline.check(cfg, pipeline.Sampling(100, 128))
  with pytest.raises(GenjaxError, match=r"batch_size=40 x 3 slice\(s\) per step is larger than"
                     r" the 100 training images of data.name='digits' \(2 shards of 50\): use"
                     r" batch_size <= 33"):
    pipeline.check(cfg, pipeline.Sampling(100, 40, groups=3, num_shards=2))
  cfg.value_range = "0,255"
  with pytest.raises(GenjaxError, match="value_range"):
    pipeline.check(cfg, pipeline.Sampling(100, 10))


class TinyPngDigits(tfds.core.GeneratorBasedBuilder):
  """A builder with a PNG-encoded image feature, which needs TensorFlow to prepare."""
  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "image": tfds.features.Image(shape=(8, 8, 1)), "label": tfds.features.ClassLabel(num_classes=2)}))

  def _split_generators(self, dl_manager):
    return {"train": self._generate_examples(), "test": self._generate_examples()}

  def _generate_examples(self):
    for i in range(4):
      yield i, {"image": np.full((8, 8, 1), 40 * i, np.uint8), "label": i % 2}


def test_preparing_a_png_dataset_without_tensorflow_says_install_the_tf_extra(tmp_path):
  try:
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
    pytest.skip("TensorFlow is installed here")
  except ImportError:
    pass
  config = tiny()
  config.data.name = "tiny_png_digits"
  config.data.tfds_data_dir = str(tmp_path)
  with pytest.raises(GenjaxError, match=r"needs TensorFlow: pip install 'genjax\[tf\]'"):
    data_lib.load(config.data)


def test_carried_epoch_order_gives_the_batches_of_fresh_draws():
  carried = jax.jit(pipeline.carried_order, static_argnums=3)
  indices = jax.jit(pipeline.batch_indices, static_argnums=2)
  root = jax.random.PRNGKey(5)
  for sampling in (pipeline.Sampling(100, 10), pipeline.Sampling(100, 10, num_shards=2)):
    order = pipeline.epoch_order(root, 3, sampling)
    for step in range(3, 25):  # Starts mid-epoch, crosses two epoch boundaries (10 steps each).
      order = carried(order, root, step, sampling)
      np.testing.assert_array_equal(indices(root, step, sampling, order),
                                    indices(root, step, sampling))


@pytest.mark.slow
def test_length_buckets_regroup_each_epoch_into_steps_of_similar_length():
  """Every row still once per epoch (per shard), a step's rows share a bucket but where the
  sorted order crosses one, steps are not sorted by length, the order is a function of
  (seed, step), with carried orders alike; bad buckets and non-sequence data are one line."""
  lengths = np.random.RandomState(0).randint(5, 60, 1003).astype(np.int32)
  buckets = (20, 30, 40, 50)
  root = jax.random.PRNGKey(2)
  for shards in (1, 2):
    plain = pipeline.Sampling(1003, 20, num_shards=shards)
    sampling = pipeline.Sampling(1003, 20, num_shards=shards, length_buckets=buckets)
    per_step = []
    for step in range(sampling.steps_per_epoch):
      rows = np.asarray(pipeline.batch_indices(root, step, sampling,
                                               pipeline.epoch_order(root, step, sampling,
                                                                    lengths=lengths)))
      per_step.append(rows)
    rows = np.concatenate(per_step)
    assert len(set(rows)) == len(rows) == sampling.steps_per_epoch * 20  # No row twice.
    bucket = np.searchsorted(buckets, lengths)
    spread = [len(set(bucket[r])) for r in per_step]
    assert np.mean(np.array(spread) == 1) > 0.8 and max(spread) <= 2 * shards, spread
    random_spread = [len(set(bucket[np.asarray(pipeline.batch_indices(root, s, plain))]))
                     for s in range(10)]
    assert min(random_spread) >= 4   # Without buckets a step mixes all of them.
    firsts = [lengths[r].max() for r in per_step]
    assert firsts != sorted(firsts)   # The steps are shuffled, not a length curriculum.
    again = pipeline.epoch_order(root, 3, sampling, lengths=lengths)
    np.testing.assert_array_equal(again, pipeline.epoch_order(root, 0, sampling, lengths=lengths))
    later = pipeline.epoch_order(root, sampling.steps_per_epoch, sampling, lengths=lengths)
    assert not np.array_equal(later, again)   # A new epoch, a new order.
    carried = jax.jit(pipeline.carried_order, static_argnums=3)
    order = pipeline.epoch_order(root, 3, sampling, lengths=lengths)
    for step in range(3, sampling.steps_per_epoch + 4):
      order = carried(order, root, step, sampling, None, lengths)
      np.testing.assert_array_equal(order, pipeline.epoch_order(root, step, sampling,
                                                                lengths=lengths))
  cfg = tiny().data
  with pytest.raises(GenjaxError, match=r"^data.length_buckets=\(20,\) is for token sequences"
                                        r" \(data.name='smiles'\), not data.name='digits'"):
    pipeline.check(cfg, pipeline.Sampling(100, 10, length_buckets=(20,)))
  cfg.name = "smiles"
  for bad in ((30, 20), (2, 20), (20, 20)):
    with pytest.raises(GenjaxError, match=r"^data.length_buckets=.* must be increasing token"
                                          r" widths >= 3"):
      pipeline.check(cfg, pipeline.Sampling(100, 10, length_buckets=bad))


def test_unrolled_threefry_is_jax_threefry_bit_for_bit():
  from jax.extend.random import threefry2x32_p  # pylint: disable=g-import-not-at-top
  key = jax.random.PRNGKey(7)
  x0 = jnp.arange(4096, dtype=jnp.uint32) * 3
  x1 = jnp.arange(4096, dtype=jnp.uint32) ^ jnp.uint32(0xDEADBEEF)
  ours = jax.jit(rng_lib.threefry2x32)(key, x0, x1)
  for got, want in zip(ours, threefry2x32_p.bind(key[0], key[1], x0, x1)):
    np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_uint16_bits_are_uniform_and_drawn_per_example():
  key = jax.random.PRNGKey(1)
  bits = np.asarray(rng_lib.uint16_bits(key, (64, 7, 7, 3)))
  assert bits.shape == (64, 7, 7, 3) and bits.dtype == np.uint32
  assert bits.min() >= 0 and bits.max() < 2**16
  assert abs(bits.mean() / (2**16 - 1) - 0.5) < 0.01  # 9,408 draws: std of the mean 0.003.
  assert len(np.unique(bits)) > 0.9 * bits.size
  # Example i's bits do not depend on the batch size, so a batch split over devices draws
  # the same values.
  np.testing.assert_array_equal(rng_lib.uint16_bits(key, (5, 7, 7, 3)), bits[:5])


@pytest.mark.slow
def test_16_bit_bernoulli_has_the_right_means_and_exact_ends():
  p = jnp.array([0.0, 0.25, 0.7, 1.0])
  draws = pipeline.bernoulli_16bit(jax.random.PRNGKey(0), jnp.broadcast_to(p, (20000, 4)))
  assert draws.dtype == jnp.float32 and set(np.unique(draws)) <= {0.0, 1.0}
  np.testing.assert_allclose(draws.mean(0), p, atol=0.01)
  assert draws[:, 0].max() == 0.0 and draws[:, 3].min() == 1.0


def test_a_separate_eval_file_is_the_eval_split_and_all_of_path_trains(tmp_path):
  """data.eval_path (MNIST's t10k beside its train file): every image of data.path trains, the
  first num_eval of eval_path evaluate (0: all); labels in pairs; mismatches are one line."""
  rs = np.random.RandomState(0)
  train_x, eval_x = rs.randint(0, 256, (30, 6, 6, 1)), rs.randint(0, 256, (12, 6, 6, 1))
  np.savez(tmp_path / "train.npz", images=train_x.astype(np.uint8), labels=np.arange(30) % 3)
  np.savez(tmp_path / "eval.npz", images=eval_x.astype(np.uint8), labels=np.arange(12) % 4)
  config = tiny().data
  config.update(name="npz", path=str(tmp_path / "train.npz"), eval_path=str(tmp_path / "eval.npz"),
                num_eval=0)
  dataset = data_lib.load(config)
  assert dataset.num_train == 30 and dataset.eval_images.shape == (12, 6, 6, 1)
  np.testing.assert_array_equal(dataset.eval_images, (eval_x / 255.0).astype(np.float32))
  np.testing.assert_array_equal(dataset.train_labels, np.arange(30) % 3)
  assert dataset.num_classes == 4  # Classes of both files.
  config.num_eval = 5
  assert data_lib.load(config).eval_labels.tolist() == [0, 1, 2, 3, 0]
  config.num_eval = 13
  with pytest.raises(GenjaxError, match=r"data.num_eval=13 must lie in \[0, 12\]"):
    data_lib.load(config)
  np.savez(tmp_path / "eval2.npz", images=eval_x.astype(np.uint8))  # No labels.
  config.update(num_eval=0, eval_path=str(tmp_path / "eval2.npz"))
  with pytest.raises(GenjaxError, match="labels_path and data.eval_labels_path go together"):
    data_lib.load(config)
  np.savez(tmp_path / "eval3.npz", images=np.zeros((4, 5, 5, 1), np.uint8), labels=np.zeros(4))
  config.eval_path = str(tmp_path / "eval3.npz")
  with pytest.raises(GenjaxError, match=r"holds images of shape \(5, 5, 1\), data.path"):
    data_lib.load(config)


@pytest.mark.skipif(not os.path.isdir(os.path.join(os.path.dirname(MNIST_IMAGES), "..", "mnist")),
                    reason="needs ../shared/data/mnist and fashion_mnist")
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_a_standard_split_trains_on_60000_images_and_evaluates_on_the_10000_test_images(
    name, monkeypatch):
  """configs.use_standard_split: all of the train file trains, all of t10k evaluates."""
  monkeypatch.setattr(configs, "DATA_DIR", os.path.join(os.path.dirname(MNIST_IMAGES), ".."))
  config = tiny().data
  configs.use_standard_split(config, name)
  dataset = data_lib.load(config)
  assert dataset.num_train == 60000 and len(dataset.eval_images) == 10000
  assert dataset.num_classes == 10 and np.bincount(dataset.eval_labels).min() > 850
  assert np.bincount(dataset.train_labels).min() > 5400
  test_images = files.read_idx(os.path.join(configs.DATA_DIR, name, "t10k-images-idx3-ubyte.gz"))
  np.testing.assert_array_equal(dataset.eval_images[..., 0], files.unit_float(test_images))
  if name == "mnist":  # MNIST's test set is the MNIST-10k file.
    np.testing.assert_array_equal(test_images, files.read_idx(MNIST_IMAGES))
  with pytest.raises(ValueError, match="valid are"):
    configs.use_standard_split(config, "cifar10")
