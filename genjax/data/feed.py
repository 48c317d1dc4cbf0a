"""Where the train call's batches come from: the device feed or the host feed.

device: the whole train set sits on every device; the compiled call gathers each step's
  batch itself (`pipeline.train_batch`). Best when it fits (digits, MNIST, CIFAR-10).
host: each process holds only its own shards of the train set in host memory (with
  several processes: shards first * count .. of `data.num_shards`, see `plan`); a
  background thread gathers the raw examples of the next calls' steps and puts them on the
  devices while the current call runs (`data.prefetch` calls ahead).

Both draw the same examples for a step (`pipeline.Sampling`) and the compiled call applies
the same preprocessing, so a run gives the same result with either, on any number of
processes.
"""
import queue
import threading
from typing import Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from genjax.data import files
from genjax.data import pipeline
from genjax.errors import GenjaxError

PLACEMENTS = ("auto", "device", "host")


def plan(data_config, process_index: int, process_count: int) -> Optional[Tuple[int, int]]:
  """(first, count): the shards this process loads for the host feed, or None to load the
  whole train split (the device feed, or the size-based choice of 'auto', see `choose`)."""
  placement, shards = data_config.placement, data_config.num_shards
  if placement not in PLACEMENTS:
    raise GenjaxError(f"data.placement={placement!r}: valid are {PLACEMENTS}")
  if not isinstance(shards, int) or shards <= 0:
    raise GenjaxError(f"data.num_shards={shards!r} must be a positive integer")
  host = placement == "host" or (placement == "auto" and process_count > 1 and shards > 1)
  if not host or process_count == 1:
    return None
  if shards < process_count:
    raise GenjaxError(
        f"{process_count} processes but only data.num_shards={shards}: every process reads"
        f" its own shards, so set data.num_shards to a multiple of {process_count}")
  if shards % process_count:
    raise GenjaxError(f"data.num_shards={shards} is not divisible by the {process_count}"
                      f" processes: use a multiple of {process_count}")
  count = shards // process_count
  return process_index * count, count


def choose(config, dataset, shards) -> str:
  """'device' or 'host' for a loaded dataset (`shards`: what `plan` returned)."""
  data_config = config.data
  if not dataset.num_train:  # 2-D mixtures draw their points inside the step.
    if data_config.placement == "host":
      raise GenjaxError(f"data.placement='host' needs an image dataset: {data_config.name!r}"
                        " draws its points on device (use 'auto' or 'device')")
    return "device"
  arrays = dataset.train_arrays()  # Images (float32 on device), or int32 token rows.
  device_bytes = 4 * (arrays["image"].size if "image" in arrays else
                      sum(a.size for a in arrays.values()))
  too_big = device_bytes > data_config.device_limit_mb * 2**20
  host = (shards is not None or data_config.placement == "host"
          or (data_config.placement == "auto" and too_big))
  if not host:
    return "device"
  if config.get("parallel", "jit") == "pmap":
    raise GenjaxError("the host feed (data.placement='host', or 'auto' with a train set over"
                      f" data.device_limit_mb={data_config.device_limit_mb}) runs with"
                      " parallel='jit': drop parallel='pmap' or use data.placement='device'")
  if jax.process_count() > 1 and shards is None:  # 'auto' found the set too big.
    raise GenjaxError(
        f"the train set ({device_bytes / 2**20:.0f} MB as float32) is over"
        f" data.device_limit_mb={data_config.device_limit_mb}, and the host feed of"
        f" {jax.process_count()} processes needs data.num_shards set to a multiple of"
        f" {jax.process_count()} (got {data_config.num_shards})")
  return "host"


class DeviceFeed:
  """The train set on every device. A call's input is (arrays, order): the arrays
  {'image', 'label'?} (or a 2-D mixture's {'means'}), the same for every call, and the
  epoch order (`pipeline.epoch_order`, per replica when `roots` is [S, 2]) of the call's
  first step, drawn when a call starts in a new epoch (permuting MNIST's 60,000 takes as long
  as several MLP steps). The call carries the order through its steps, redrawing it where it
  crosses into the next epoch (`pipeline.carried_order`)."""
  kind = "device"

  def __init__(self, arrays, placement, sampling: pipeline.Sampling, roots):
    self.arrays = placement.put(jax.tree.map(jnp.asarray, arrays))
    self._placement, self._sampling = placement, sampling
    self._roots = np.asarray(roots)  # uint32[2] or [S, 2]: the replicas' root keys.
    self._mixture = "means" in arrays  # 2-D mixtures draw fresh points: an empty order.
    if self._mixture:
      self._order = lambda roots, _: np.zeros(roots.shape[:-1] + (0,), np.int32)
    else:
      lengths = arrays.get("length")  # Token sequences: for sampling.length_buckets.
      order = lambda root, step, lengths: pipeline.epoch_order(root, step, sampling,
                                                               lengths=lengths)
      order = jax.jit(order if self._roots.ndim == 1 else jax.vmap(order, (0, None, None)))
      self._order = lambda roots, step: order(roots, step, lengths)
    self._epoch = (None, None)  # (epoch, its placed order)

  def inputs(self, step: int, length: int):  # pylint: disable=unused-argument
    epoch = 0 if self._mixture else step // self._sampling.steps_per_epoch
    if self._epoch[0] != epoch:
      self._epoch = (epoch, self._placement.put(self._order(self._roots, step)))
    return self.arrays, self._epoch[1]

  def close(self):
    pass


class HostFeed:
  """This process's shards in host memory (`arrays`: numpy {'image' (float32 in [0, 1], or
  uint8, converted per batch), 'label'?}, the rows of
  `shards` (first, count); None: all); raw batches of the calls in `calls` (an iterable of
  (first step, length)), prefetched on a background thread.

  A call's input is {'image': float32[length, (S,) groups, batch_size, H, W, C], 'label'?}
  in [0, 1], sharded over the mesh along the batch axis (S: replicas, when num_seeds > 1).
  """
  kind = "host"

  def __init__(self, arrays, sampling: pipeline.Sampling, shards, roots, mesh, calls,
               prefetch: int = 2):
    self.sampling, self.mesh = sampling, mesh
    first, count = shards or (0, sampling.num_shards)
    self.shards = tuple(range(first, first + count))
    self.arrays = arrays
    self.roots = np.asarray(roots)  # uint32[2] or [S, 2]: the replicas' root keys.
    self.replicated = self.roots.ndim == 2
    cpu = jax.local_devices(backend="cpu")[0]
    self._to_cpu = lambda x: jax.device_put(x, cpu)
    order = jax.jit(lambda root, step, lengths: pipeline.epoch_order(root, step, sampling,
                                                                     self.shards, lengths))
    lengths = arrays.get("length")  # This process's shards' rows, in order.
    self._order = lambda root, step: order(root, step, lengths)
    self._indices = jax.jit(lambda order, step: pipeline.batch_indices(
        None, step, sampling, order, self.shards))
    self._epochs = {}  # replica -> (epoch, order on the host CPU)
    self._queue = queue.Queue(maxsize=max(prefetch, 1))
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._produce, args=(iter(calls),), daemon=True)
    self._thread.start()

  def _rows(self, replica: int, step: int) -> np.ndarray:
    epoch = step // self.sampling.steps_per_epoch
    if self._epochs.get(replica, (None,))[0] != epoch:
      root = self.roots[replica] if self.replicated else self.roots
      self._epochs[replica] = (epoch, self._order(self._to_cpu(root), step))
    return np.asarray(self._indices(self._epochs[replica][1], step))

  def _call_batch(self, step: int, length: int):
    replicas = range(len(self.roots)) if self.replicated else [None]
    rows = np.stack([np.stack([self._rows(r, s) for r in replicas]) for s in
                     range(step, step + length)])  # [length, S or 1, local examples]
    if not self.replicated:
      rows = rows[:, 0]
    lead = rows.shape[:-1] + (self.sampling.groups, -1)
    out = {}
    for name, array in self.arrays.items():
      local = files.unit_float(array[rows.reshape(-1)])
      local = local.reshape(lead + array.shape[1:])
      spec = P(*([None] * (len(lead) - 1) + ["data"]))
      global_shape = lead[:-1] + (self.sampling.batch_size,) + array.shape[1:]
      out[name] = jax.make_array_from_process_local_data(
          NamedSharding(self.mesh, spec), local, global_shape)
    return out

  def _produce(self, calls):
    for step, length in calls:
      try:
        item = (step, length, self._call_batch(step, length))
      except Exception as e:  # pylint: disable=broad-except  (re-raised by `inputs`)
        item = (step, length, e)
      while not self._stop.is_set():
        try:
          self._queue.put(item, timeout=0.1)
          break
        except queue.Full:
          continue
      if self._stop.is_set() or isinstance(item[2], Exception):
        return

  def inputs(self, step: int, length: int):
    """The batches of steps step .. step + length - 1 (the next call of `calls`)."""
    got_step, got_length, batch = self._queue.get()
    if isinstance(batch, Exception):
      raise batch
    if (got_step, got_length) != (step, length):
      raise RuntimeError(f"host feed prepared steps {got_step}+{got_length}, asked {step}+{length}")
    return batch

  def close(self):
    self._stop.set()
    self._thread.join()
