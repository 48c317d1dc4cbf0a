"""Orbax checkpoints under `workdir/checkpoints`, verified: each step holds the train state and
a SHA-256 digest of it, saved together (atomically, by Orbax's rename-on-commit). A restore
recomputes the digest, so a truncated, garbled or partly deleted checkpoint is detected before
it is trained on; `restore_good` then falls back to the newest step that verifies."""
import hashlib
import os
import shutil

import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging
from jax.experimental import multihost_utils

from genjax.errors import GenjaxError, one_line


def host_leaves(tree):
  """Every leaf as a numpy array (for replicated global arrays, this process's copy)."""
  def get(x):
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
      x = x.addressable_shards[0].data
    return np.asarray(jax.device_get(x))
  return [get(x) for x in jax.tree.leaves(tree)]


def digest(tree) -> str:
  """SHA-256 over the leaves' dtypes, shapes and bytes, in tree order."""
  h = hashlib.sha256()
  for leaf in host_leaves(tree):
    h.update(f"{leaf.dtype}{leaf.shape}".encode())
    h.update(np.ascontiguousarray(leaf).tobytes())
  return h.hexdigest()


class CorruptCheckpoint(GenjaxError):
  pass


def saved_steps(directory: str) -> list:
  """The steps that have a checkpoint folder in `directory` ([] if there is none)."""
  if not os.path.isdir(directory):
    return []
  return sorted(int(d) for d in os.listdir(directory) if d.isdigit())


class Checkpoints:
  """A thin wrapper over `ocp.CheckpointManager` for one train-state pytree and its digest."""

  def __init__(self, directory: str, max_to_keep: int):
    self.directory = os.path.abspath(directory)
    self.manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True),
        item_handlers={"state": ocp.StandardCheckpointHandler(),
                       "digest": ocp.JsonCheckpointHandler()})

  def latest_step(self):
    return self.manager.latest_step()

  def save(self, step: int, state) -> None:
    """Saves `step` (asynchronously: a failure may surface at the next save or at `close`).
    A failed save raises GenjaxError naming the newest complete checkpoint, which is kept."""
    if step in self.manager.all_steps():
      return
    try:
      self.manager.save(step, args=ocp.args.Composite(
          state=ocp.args.StandardSave(state),
          digest=ocp.args.JsonSave({"sha256": digest(state), "step": int(step)})))
    except Exception as e:  # pylint: disable=broad-except  (disk full, permissions, ...)
      self._failed(step, e)

  def _failed(self, step, error):
    committed = [s for s in self.manager.all_steps() if s != step]
    kept = f"step {max(committed)} is the newest complete one" if committed else "none is complete"
    raise GenjaxError(f"saving checkpoint {self.directory}/{step} failed ({type(error).__name__}:"
                      f" {one_line(error)}); {kept}: fix the cause (free"
                      " space?) and rerun to resume") from None

  def restore(self, target, step=None, sharding=None):
    """Restores `step` (default latest) into the structure, shapes and dtypes of `target`,
    placed with `sharding` (e.g. replicated over the current mesh, whatever the device count
    the checkpoint was written with; default: the default device). Raises GenjaxError if it
    was written for another config, CorruptCheckpoint if it is damaged."""
    step = self.latest_step() if step is None else step
    where = f"checkpoint {self.directory}/{step}"
    self._check_compatible(step, target, where)
    sharding = sharding or jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding),
                            target)
    try:
      restored = self.manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract), digest=ocp.args.JsonRestore()))
    except Exception as e:  # pylint: disable=broad-except  (any damage Orbax trips on)
      raise CorruptCheckpoint(f"{where} is unreadable ({type(e).__name__}: {one_line(e)})") from None
    saved = (restored.digest or {}).get("sha256")
    if saved is None:
      raise CorruptCheckpoint(f"{where} has no digest")
    if digest(restored.state) != saved:
      raise CorruptCheckpoint(f"{where} does not match its SHA-256 digest (damaged data files)")
    return restored.state

  def restore_good(self, target, sharding=None, quarantine: bool = False):
    """(state, step) of the newest checkpoint that restores and verifies, newest first; each
    damaged one is reported (and with `quarantine` renamed to `<step>.corrupt`, out of
    Orbax's sight, so it is neither restored nor counted by max_to_keep). None if none."""
    for step in sorted(self.manager.all_steps(), reverse=True):
      try:
        return self.restore(target, step, sharding), step
      except CorruptCheckpoint as e:
        logging.warning("%s: falling back to the previous checkpoint", e)
        if quarantine:
          if jax.process_index() == 0:
            shutil.move(os.path.join(self.directory, str(step)),
                        os.path.join(self.directory, f"{step}.corrupt"))
          if jax.process_count() > 1:
            multihost_utils.sync_global_devices(f"quarantined {step}")
          self.manager.reload()
    return None

  def _check_compatible(self, step, target, where):
    step_dir = os.path.join(self.directory, str(step))
    if (os.path.isdir(os.path.join(step_dir, "default"))
        and not os.path.isdir(os.path.join(step_dir, "state"))):  # One unnamed item, no digest.
      raise GenjaxError(f"{where} was written by an older genjax (no digest, an older train-state"
                        " layout): train in a new --workdir, or use the genjax that wrote it")
    try:
      saved = self.manager.item_metadata(step)["state"]
      saved_shapes = {_path_name(p): tuple(m.shape)
                      for p, m in jax.tree_util.tree_leaves_with_path(getattr(saved, "tree", saved))}
    except Exception as e:  # pylint: disable=broad-except
      raise CorruptCheckpoint(f"{where} has unreadable metadata ({type(e).__name__})") from None
    if not {"step", "rng"} <= set(saved_shapes):  # Every train state has both.
      raise CorruptCheckpoint(f"{where} has damaged metadata (no step or root key listed)")
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
    try:
      self.manager.wait_until_finished()
    except Exception as e:  # pylint: disable=broad-except  (an asynchronous save failed)
      self.manager.close()
      self._failed(self.manager.latest_step(), e)
    self.manager.close()


def _path_name(path) -> str:
  """'opt_state/0/mu/encoder/kernel': one spelling for dataclass, dict and tuple paths."""
  parts = (getattr(k, "name", getattr(k, "key", getattr(k, "idx", k))) for k in path)
  return "/".join(str(p) for p in parts)
