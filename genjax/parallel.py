"""Data parallelism: one 1-D device mesh ('data',) over every device of every process;
batches sharded, state replicated.

Multi-process runs (several hosts, or several processes on one) join with
`initialize(config.distributed)` before any JAX computation; every process then runs the
same program on the global mesh (JAX's multi-controller model).
"""
import jax
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


def data_mesh() -> jax.sharding.Mesh:
  return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(AxisType.Auto,))


def check_batch(batch_size: int, mesh) -> None:
  if batch_size % mesh.size:
    raise GenjaxError(f"batch_size={batch_size} is not divisible by the {mesh.size} devices:"
                      f" use a multiple of {mesh.size}")


def replicated(mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def replicate(tree, mesh):
  return jax.device_put(tree, replicated(mesh))


def shard_batch(batch, mesh):
  """Inside jit: constrain each array's leading (batch) axis to the 'data' mesh axis."""
  return jax.lax.with_sharding_constraint(batch, NamedSharding(mesh, P("data")))
