"""Orbax checkpoints under `workdir/checkpoints`: save every N steps, restore the latest."""
import os

import jax
import orbax.checkpoint as ocp

from genjax.errors import GenjaxError


class Checkpoints:
  """A thin wrapper over `ocp.CheckpointManager` for one train-state pytree."""

  def __init__(self, directory: str, max_to_keep: int):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True),
        item_handlers=ocp.StandardCheckpointHandler())

  def latest_step(self):
    return self.manager.latest_step()

  def save(self, step: int, state) -> None:
    if step not in self.manager.all_steps():
      self.manager.save(step, args=ocp.args.StandardSave(state))

  def restore(self, target, step=None, sharding=None):
    """Restores `step` (default latest) into the structure, shapes and dtypes of `target`,
    placed with `sharding` (e.g. replicated over the current mesh, whatever the device count
    the checkpoint was written with; default: the default device)."""
    step = self.latest_step() if step is None else step
    self._check_compatible(step, target)
    sharding = sharding or jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding),
                            target)
    return self.manager.restore(step, args=ocp.args.StandardRestore(abstract))

  def _check_compatible(self, step, target):
    where = f"checkpoint {self.directory}/{step}"
    try:
      saved = self.manager.item_metadata(step)
      saved_shapes = {_path_name(p): tuple(m.shape)
                      for p, m in jax.tree_util.tree_leaves_with_path(getattr(saved, "tree", saved))}
    except Exception as e:  # pylint: disable=broad-except
      raise GenjaxError(f"{where} is unreadable ({type(e).__name__}): use another --workdir") from None
    for path, leaf in jax.tree_util.tree_leaves_with_path(target):
      name = _path_name(path)
      if name not in saved_shapes:
        raise GenjaxError(f"{where} has no {name}: it was written by a different model config"
                          " (see config.json there); use that config or a new --workdir")
      if saved_shapes[name] != tuple(leaf.shape):
        raise GenjaxError(f"{where} holds {name} of shape {saved_shapes[name]}, this config needs"
                          f" {tuple(leaf.shape)}: use the config in the workdir's config.json"
                          " or a new --workdir")
    if len(saved_shapes) != len(jax.tree_util.tree_leaves(target)):
      raise GenjaxError(f"{where} has {len(saved_shapes)} arrays, this config needs"
                        f" {len(jax.tree_util.tree_leaves(target))}: use the workdir's config.json"
                        " or a new --workdir")

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()


def _path_name(path) -> str:
  """'opt_state/0/mu/encoder/kernel': one spelling for dataclass, dict and tuple paths."""
  parts = (getattr(k, "name", getattr(k, "key", getattr(k, "idx", k))) for k in path)
  return "/".join(str(p) for p in parts)
