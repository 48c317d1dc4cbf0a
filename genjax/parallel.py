"""Data parallelism: one 1-D device mesh ('data',) over every device of every process;
batches sharded, state replicated.

Multi-process runs (several hosts, or several processes on one) join with
`initialize(config.distributed)` before any JAX computation; every process then runs the
same program on the global mesh (JAX's multi-controller model).
"""
import jax
import numpy as np
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

from genjax.errors import GenjaxError


def initialize(distributed) -> None:
  """Joins a multi-process run: `distributed.num_processes` > 1 (with coordinator_address and
  process_id), or `distributed.auto` (cluster auto-detection: SLURM, TPU pods, ...)."""
  num, pid, address = distributed.num_processes, distributed.process_id, distributed.coordinator_address
  if distributed.auto:
    jax.distributed.initialize()
    return
  if not isinstance(num, int) or num < 1:
    raise GenjaxError(f"distributed.num_processes={num!r} must be a positive integer")
  if num == 1:
    return
  if not address or ":" not in address:
    raise GenjaxError(f"distributed.num_processes={num} needs distributed.coordinator_address="
                      "'host:port' (process 0's address, the same for every process)")
  if not isinstance(pid, int) or not 0 <= pid < num:
    raise GenjaxError(f"distributed.process_id={pid!r}: valid are 0..{num - 1}")
  jax.distributed.initialize(address, num, pid)


def is_main_process() -> bool:
  """Process 0 alone writes logs, images and run files (checkpoints are written by all)."""
  return jax.process_index() == 0


AXIS = "data"  # The mesh axis, and the pmap axis name in config.parallel='pmap' mode.
MODES = ("jit", "pmap")


def check_mode(config) -> None:
  mode = config.get("parallel", "jit")
  if mode not in MODES:
    raise GenjaxError(f"parallel={mode!r}: valid are {MODES}")
  if mode == "pmap" and jax.process_count() > 1:
    raise GenjaxError("parallel='pmap' runs in one process; multi-process runs use"
                      " parallel='jit' (the default)")


def axis_name(config):
  """The axis the train step averages over by itself: 'data' under pmap, None under jit
  (where XLA partitions the global computation)."""
  return AXIS if config.get("parallel", "jit") == "pmap" else None


def pmean(tree, axis):
  """Mean over the devices of a pmapped step (identity under jit, where axis is None)."""
  return tree if axis is None else jax.lax.pmean(tree, axis)


def batch_draw(sampler, key, shape, axis=None, batch_axis: int = 0, **kwargs):
  """`sampler(key, shape, **kwargs)` for this device's part of a batch axis.

  Under pmap (`axis` set) each device draws for the global batch and keeps its own slice,
  so every example gets the same random numbers on 1 or N devices (the draw is tiny next to
  the step's work). Under jit (`axis` None) it is just `sampler(key, shape)`.
  """
  if axis is None:
    return sampler(key, shape, **kwargs)
  local = shape[batch_axis]
  full = tuple(d * jax.lax.axis_size(axis) if i == batch_axis else d for i, d in enumerate(shape))
  return jax.lax.dynamic_slice_in_dim(sampler(key, full, **kwargs),
                                      jax.lax.axis_index(axis) * local, local, batch_axis)


def local_part(batch, groups: int, axis):
  """This device's part of a global batch whose leading axis holds `groups` consecutive
  slices (a GAN step's n_critic slices): the same share of every slice."""
  def part(x):
    x = x.reshape((groups, -1) + x.shape[1:])
    local = x.shape[1] // jax.lax.axis_size(axis)
    x = jax.lax.dynamic_slice_in_dim(x, jax.lax.axis_index(axis) * local, local, 1)
    return x.reshape((-1,) + x.shape[2:])
  return jax.tree.map(part, batch)


def data_mesh() -> jax.sharding.Mesh:
  return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(AxisType.Auto,))


def check_batch(batch_size: int, mesh) -> None:
  if batch_size % mesh.size:
    raise GenjaxError(f"batch_size={batch_size} is not divisible by the {mesh.size} devices:"
                      f" use a multiple of {mesh.size}")


class Placement:
  """Where the train call's state and data live, per `config.parallel`.

  jit: one global array per leaf, replicated over the mesh (`get` is the identity).
  pmap: a leading device axis, one copy per device (`get` takes device 0's copy: they are
  equal, since every update is averaged with `pmean`).
  """

  def __init__(self, config, mesh):
    self.mesh, self.pmap = mesh, axis_name(config) is not None

  def put(self, tree):
    if not self.pmap:
      return replicate(tree, self.mesh)
    sharding = NamedSharding(self.mesh, P(AXIS))
    n = self.mesh.size

    def stacked(x):
      host = np.asarray(jax.device_get(x))
      return jax.make_array_from_callback((n,) + host.shape, sharding, lambda _: host[None])
    return jax.tree.map(stacked, tree)

  def get(self, tree):
    return jax.tree.map(lambda x: x[0], tree) if self.pmap else tree


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def replicate(tree, mesh):
  return jax.device_put(tree, replicated(mesh))


def shard_batch(batch, mesh):
  """Inside jit: constrain each array's leading (batch) axis to the 'data' mesh axis."""
  return jax.lax.with_sharding_constraint(batch, NamedSharding(mesh, P("data")))
