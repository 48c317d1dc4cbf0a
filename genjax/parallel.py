"""Data parallelism: one 1-D device mesh ('data',); batches sharded, state replicated."""
import jax
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

from genjax.errors import GenjaxError


def data_mesh() -> jax.sharding.Mesh:
  return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(AxisType.Auto,))


def check_batch(batch_size: int, mesh) -> None:
  if batch_size % mesh.size:
    raise GenjaxError(f"batch_size={batch_size} is not divisible by the {mesh.size} devices:"
                      f" use a multiple of {mesh.size}")


def replicate(tree, mesh):
  return jax.device_put(tree, NamedSharding(mesh, P()))


def shard_batch(batch, mesh):
  """Inside jit: constrain each array's leading (batch) axis to the 'data' mesh axis."""
  return jax.lax.with_sharding_constraint(batch, NamedSharding(mesh, P("data")))
