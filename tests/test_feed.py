"""Sharded batch order and the host feed: the same batches as the device feed, any number of
processes; prefetching ahead; one-line errors for bad placements and shard counts."""
import logging
import time

import jax
import ml_collections
import numpy as np
import pytest

from genjax import parallel
from genjax import train
from genjax.data import feed
from genjax.data import pipeline
from genjax.errors import GenjaxError
from tests.conftest import eleven_step_epochs
from tests.conftest import tiny
from tests.conftest import tiny_gan
from tests.conftest import tiny_seq_vae


def test_a_sharded_step_takes_an_equal_share_of_every_shard_in_each_slice():
  sampling = pipeline.Sampling(num_examples=103, batch_size=10, groups=2, num_shards=5)
  assert (sampling.shard_size, sampling.per_shard, sampling.steps_per_epoch) == (20, 4, 5)
  root = jax.random.PRNGKey(0)
  epoch = []
  for step in range(5):
    rows = np.asarray(pipeline.batch_indices(root, step, sampling))
    for piece in rows.reshape(2, 10):  # Two critic slices: two examples of each shard.
      np.testing.assert_array_equal(np.bincount(piece // 20, minlength=5), [2] * 5)
    epoch.append(rows)
  np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(100))  # 100..102 unused.
  assert not np.array_equal(np.concatenate(epoch), np.concatenate(
      [pipeline.batch_indices(root, s, sampling) for s in range(5, 10)]))


def test_the_shards_of_each_process_give_its_part_of_every_slice():
  sampling = pipeline.Sampling(num_examples=80, batch_size=8, groups=2, num_shards=4)
  root, step = jax.random.PRNGKey(1), 3
  whole = np.asarray(pipeline.batch_indices(root, step, sampling)).reshape(2, 2, 4)  # slice, process, row
  for process, shards in enumerate([(0, 1), (2, 3)]):
    local = np.asarray(pipeline.batch_indices(root, step, sampling, shards=shards))
    first_row = shards[0] * sampling.shard_size
    np.testing.assert_array_equal(local.reshape(2, 4) + first_row, whole[:, process])


def _run(config, workdir, placement, num_steps=10, **data):
  config.num_steps = num_steps
  config.data.placement = placement
  config.data.update(data)
  return train.train_and_evaluate(config, str(workdir))


def _assert_same(a, b):
  for x, y in zip(jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b))):
    np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64),
                               rtol=1e-6, atol=1e-7)


def _digits_gan():
  config = tiny_gan(n_critic=2)
  config.data.update(name="digits", value_range="-1,1", dynamic_binarization=False)
  config.evals.modes.every_steps = -1  # Off: mode coverage is for 2-D mixtures.
  return config


@pytest.mark.parametrize("make_config, data, num_seeds", [
    (tiny, dict(num_shards=2), 2),                # VAE: binarized in the step, labels fed too.
    (_digits_gan, dict(num_shards=4), 1),         # GAN: two critic slices per step.
    (tiny_seq_vae, dict(num_shards=2, length_buckets=(36,)), 1),  # Grouped by length.
])
@pytest.mark.slow
def test_the_host_feed_trains_exactly_like_the_device_feed_and_resumes(tmp_path, make_config,
                                                                      data, num_seeds, caplog):
  def config():
    c = make_config()
    c.num_seeds = num_seeds
    c.data.update(data)
    return eleven_step_epochs(c)
  device = _run(config(), tmp_path / "device", "device", 20, **data)
  _run(config(), tmp_path / "host", "host", 15, **data, prefetch=1)  # Checkpoint at 15...
  with caplog.at_level(logging.INFO):
    host = _run(config(), tmp_path / "host", "host", 20, **data)  # ...resumed to 20.
  assert "at step 15" in caplog.text  # In the second epoch.
  _assert_same(device, host)
  unsharded = config()
  unsharded.data.update({k: make_config().data[k] for k in data})
  unsharded = _run(unsharded, tmp_path / "one_shard", "device", 20)
  assert not all(np.allclose(x, y) for x, y in zip(jax.tree.leaves(unsharded),
                                                   jax.tree.leaves(device)))  # Order changed.


def test_device_feed_draws_each_epochs_order_once():
  sampling = pipeline.Sampling(100, 10)  # 10 steps per epoch.
  roots = np.stack([jax.random.PRNGKey(1), jax.random.PRNGKey(2)])  # Two replicas.
  placement = parallel.Placement(tiny(), parallel.data_mesh())
  device = feed.DeviceFeed({"image": np.zeros((100, 2, 2, 1), np.float32)}, placement,
                           sampling, roots)
  _, order = device.inputs(3, 4)
  assert device.inputs(7, 4)[1] is order  # Same epoch: not drawn again.
  _, later = device.inputs(12, 4)
  for replica in range(2):
    np.testing.assert_array_equal(order[replica], pipeline.epoch_order(roots[replica], 3,
                                                                       sampling))
    np.testing.assert_array_equal(later[replica], pipeline.epoch_order(roots[replica], 12,
                                                                       sampling))


@pytest.mark.slow
def test_calls_that_start_and_cross_epochs_anywhere_train_alike(tmp_path):
  def run(steps_per_call):
    config = tiny()
    config.batch_size = 256  # 1,437 digits: 5 steps per epoch.
    config.num_steps = config.log_every = config.eval_every = config.checkpoint_every = 12
    config.steps_per_call = steps_per_call  # Calls start mid-epoch and cross epochs.
    return train.train_and_evaluate(config, str(tmp_path / str(steps_per_call)))
  reference = run(12)  # One call: the scan alone carries the order across epochs.
  for steps_per_call in (3, 4):
    _assert_same(run(steps_per_call), reference)


def test_host_feed_prepares_calls_ahead_on_its_thread():
  config = tiny()
  from genjax import data as data_lib  # pylint: disable=g-import-not-at-top
  dataset = data_lib.load(config.data)
  sampling = pipeline.Sampling(dataset.num_train, 32)
  calls = [(0, 5), (5, 5), (10, 5)]
  host = feed.HostFeed(dataset.device_arrays(), sampling, None, jax.random.PRNGKey(0),
                       jax.make_mesh((1,), ("data",)), calls, prefetch=2)
  try:
    deadline = time.time() + 60
    while host._queue.qsize() < 2 and time.time() < deadline:  # pylint: disable=protected-access
      time.sleep(0.05)
    assert host._queue.qsize() == 2  # pylint: disable=protected-access  (before any `inputs`)
    batch = host.inputs(0, 5)
    assert batch["image"].shape == (5, 1, 32, 8, 8, 1) and batch["label"].shape == (5, 1, 32)
    rows = np.asarray(pipeline.batch_indices(jax.random.PRNGKey(0), 3, sampling))
    np.testing.assert_array_equal(np.asarray(batch["image"])[3, 0], dataset.train_images[rows])
    with pytest.raises(RuntimeError, match="prepared steps 5\\+5, asked 10\\+5"):
      host.inputs(10, 5)
  finally:
    host.close()


def _data(**fields):
  data = ml_collections.ConfigDict(dict(name="digits", placement="auto", num_shards=1,
                                        device_limit_mb=1024))
  data.update(fields)
  return data


def test_shard_plans_and_auto_placement():
  assert feed.plan(_data(num_shards=4), 1, 2) == (2, 2)  # auto: several processes, shards.
  assert feed.plan(_data(num_shards=4), 0, 1) is None
  assert feed.plan(_data(placement="host", num_shards=4), 0, 1) is None  # One process: all.
  assert feed.plan(_data(placement="device", num_shards=4), 1, 2) is None
  images = np.zeros((1000, 32, 32, 3), np.float32)
  dataset = type("D", (), {"num_train": 1000, "train_arrays": lambda self: {"image": images}})()
  config = lambda **data: ml_collections.ConfigDict(dict(parallel="jit", data=_data(**data)))
  assert feed.choose(config(), dataset, None) == "device"
  assert feed.choose(config(device_limit_mb=10), dataset, None) == "host"  # 12 MB.


@pytest.mark.parametrize("fields, processes, message", [
    (dict(placement="host"), 2, "2 processes but only data.num_shards=1: every process reads"
     " its own shards, so set data.num_shards to a multiple of 2"),
    (dict(num_shards=3), 2, "data.num_shards=3 is not divisible by the 2 processes"),
    (dict(placement="disk"), 1, r"data.placement='disk': valid are \('auto', 'device', 'host'\)"),
    (dict(num_shards=0), 1, "data.num_shards=0 must be a positive integer"),
])
def test_bad_shard_settings_are_refused(fields, processes, message):
  with pytest.raises(GenjaxError, match=message):
    feed.plan(_data(**fields), 0, processes)


def test_host_feed_under_pmap_and_for_2d_mixtures_is_refused(tmp_path):
  config = tiny()
  config.parallel, config.data.placement = "pmap", "host"
  with pytest.raises(GenjaxError, match="runs with parallel='jit'"):
    train.train_and_evaluate(config, str(tmp_path / "a"))
  config = tiny_gan()
  config.data.placement = "host"
  with pytest.raises(GenjaxError, match="needs an image dataset: 'ring8'"):
    train.train_and_evaluate(config, str(tmp_path / "b"))


def test_batch_not_divisible_by_the_shards_is_refused(tmp_path):
  config = tiny()
  config.data.num_shards = 3
  with pytest.raises(GenjaxError, match="batch_size=32 is not divisible by data.num_shards=3"):
    train.train_and_evaluate(config, str(tmp_path))
