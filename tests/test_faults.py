"""Faults injected for real: a run stopped by SIGTERM or SIGINT (in a subprocess) saves a
checkpoint at the step it reached and exits 0, and a rerun (after SIGTERM) resumes there and
ends bit-identical to an uninterrupted run; a damaged latest checkpoint (garbled, truncated or
deleted files, a wrong digest) is detected, reported, kept aside, and training falls back to
the newest good one and ends bit-identical too."""
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import checkpoint
from genjax import families
from genjax import seeds as seeds_lib
from genjax import run as run_lib
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from tests.conftest import TINY_FLAGS as TINY
from tests.conftest import assert_one_line_error
from tests.conftest import run_main
from tests.conftest import tiny

pytestmark = pytest.mark.slow  # Kills, signals and damages real runs: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--config=configs/default.py", "--config.num_steps=6000", "--config.steps_per_call=50",
        "--config.log_every=50", "--config.eval_every=6000", "--config.checkpoint_every=3000",
        "--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
        "--config.evals.nll.iwae_examples=20"]


def _main(workdir, *extra):
  return subprocess.Popen([sys.executable, "-m", "experiments.main", f"--workdir={workdir}",
                           *ARGS, *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})


def _config_and_family(workdir):
  config, shape, classes = run_lib.read_config(workdir)
  return config, families.build(config, families.DataInfo(shape, classes))


def _final_state(workdir):
  config, family = _config_and_family(workdir)
  return jax.tree.leaves(jax.device_get(run_lib.restore_latest(family, config, workdir)))


@pytest.fixture(scope="module")
def straight_6000(tmp_path_factory):
  straight = str(tmp_path_factory.mktemp("straight") / "run")
  proc = _main(straight, "--config.checkpoint_every=1000")
  proc.stderr.read()
  assert proc.wait(timeout=300) == 0
  return _final_state(straight)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_current_step_exits_0_and_the_rerun_ends_bit_identical(
    tmp_path, signum, straight_6000):
  workdir = str(tmp_path / "run")
  proc = _main(workdir)
  for line in proc.stderr:  # Wait until training runs (the first progress line)...
    if "step 100/6000" in line:
      break
  signalled = time.perf_counter()
  proc.send_signal(signum)  # ...then stop it, as a preemption or a Ctrl-C would.
  log = proc.stderr.read()
  proc.wait(timeout=120)
  assert proc.returncode == 0, log[-3000:]
  assert time.perf_counter() - signalled < 30  # One train call and one save, not the run.
  saved = sorted(int(s) for s in os.listdir(os.path.join(workdir, "checkpoints")))
  assert len(saved) == 1 and 100 <= saved[0] < 3000 and saved[0] % 50 == 0, saved
  assert f"Stopped by signal {int(signum)} at step {saved[0]}" in log
  if signum != signal.SIGTERM:  # Both leave the same kind of checkpoint: one rerun suffices.
    return
  rerun = _main(workdir)
  rerun_log = rerun.stderr.read()
  assert rerun.wait(timeout=300) == 0, rerun_log[-3000:]
  assert f"at step {saved[0]}" in rerun_log and "step 6000/6000" in rerun_log
  for a, b in zip(straight_6000, _final_state(workdir), strict=True):
    np.testing.assert_array_equal(a, b)


# --- damaged checkpoints -------------------------------------------------------------------
def _data_files(step_dir):
  files = [os.path.join(root, name) for root, _, names in os.walk(os.path.join(step_dir, "state"))
           for name in names if os.sep + "d" + os.sep in os.path.join(root, name)]
  return sorted(files, key=os.path.getsize)


def _garble(step_dir):
  path = _data_files(step_dir)[-1]
  data = bytearray(open(path, "rb").read())
  middle = len(data) // 2
  data[middle:middle + 64] = bytes(255 - b for b in data[middle:middle + 64])
  open(path, "wb").write(bytes(data))


def _truncate(step_dir):
  path = _data_files(step_dir)[-1]
  os.truncate(path, os.path.getsize(path) // 2)


def _wrong_digest(step_dir):
  path = os.path.join(step_dir, "digest", "metadata")
  text = open(path).read()
  open(path, "w").write(text.replace('"sha256": "', '"sha256": "0'))


DAMAGE = {
    "garbled_data": _garble,
    "truncated_data": _truncate,
    "metadata_deleted": lambda d: os.remove(os.path.join(d, "state", "_METADATA")),
    "data_deleted": lambda d: os.remove(_data_files(d)[-1]),
    "digest_deleted": lambda d: shutil.rmtree(os.path.join(d, "digest")),
    "digest_mismatch": _wrong_digest,
}


def _run(module, *args, script=None):
  """(exit code, stderr) of `python -m module args` (or of `python -c script args`)."""
  command = ["-c", script] if script else ["-m", module]
  done = subprocess.run([sys.executable, *command, *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=300, env={**os.environ, "JAX_PLATFORMS": "cpu"})
  return done.returncode, done.stderr


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
  """(the final state of an uninterrupted 30-step run, a workdir stopped at step 20)."""
  root = tmp_path_factory.mktemp("tiny")
  for name, steps in (("straight", 30), ("at_20", 20)):
    code, log = _run("experiments.main", f"--workdir={root / name}", *TINY,
                     f"--config.num_steps={steps}")
    assert code == 0, log[-3000:]
  return _final_state(str(root / "straight")), str(root / "at_20")


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_each_kind_of_damage_is_detected_and_the_previous_checkpoint_restored(tmp_path, damage,
                                                                             tiny_runs, caplog):
  """Checkpoint 20 damaged: the restore reports it, sets it aside as 20.corrupt and returns
  step 10's state (in process; the mains' handling of it is the next test)."""
  _, at_20 = tiny_runs
  config, family = _config_and_family(at_20)
  target = seeds_lib.init(family, config)
  intact = checkpoint.Checkpoints(os.path.join(at_20, "checkpoints"), config.max_to_keep)
  step_10 = jax.tree.leaves(intact.restore(target, 10))
  intact.close()
  checkpoints = str(tmp_path / "checkpoints")
  shutil.copytree(os.path.join(at_20, "checkpoints"), checkpoints)
  DAMAGE[damage](os.path.join(checkpoints, "20"))
  ckpts = checkpoint.Checkpoints(checkpoints, config.max_to_keep)
  with caplog.at_level(logging.WARNING):
    state, step = ckpts.restore_good(target, quarantine=True)
  ckpts.close()
  assert step == 10 and f"checkpoint {checkpoints}/20" in caplog.text and "falling back" in caplog.text
  assert sorted(os.listdir(checkpoints)) == ["10", "20.corrupt"]
  for a, b in zip(step_10, jax.tree.leaves(state), strict=True):
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["garbled_data", "metadata_deleted"])
def test_a_damaged_latest_checkpoint_is_detected_and_training_falls_back(tmp_path, damage,
                                                                        tiny_runs):
  """Damage to checkpoint 20 (in the data, caught by the digest; in Orbax's metadata), met by
  the real mains in subprocesses: sampling reports it and uses step 10, touching nothing;
  training reports it, sets it aside, resumes from step 10 and ends bit-identical to the
  uninterrupted run."""
  straight_30, at_20 = tiny_runs
  workdir = str(tmp_path / "run")
  shutil.copytree(at_20, workdir)
  checkpoints = os.path.join(workdir, "checkpoints")
  DAMAGE[damage](os.path.join(checkpoints, "20"))
  code, log = _run("experiments.sample", f"--workdir={workdir}", "--num=4",
                   f"--out={tmp_path / 'samples.npy'}")
  assert code == 0, log[-3000:]
  assert f"checkpoint {checkpoints}/20" in log and "falling back" in log
  assert np.load(tmp_path / "samples.npy").shape == (4, 8, 8, 1)
  assert sorted(os.listdir(checkpoints)) == ["10", "20"]
  code, log = _run("experiments.main", f"--workdir={workdir}", *TINY, "--config.num_steps=30")
  assert code == 0, log[-3000:]
  assert f"checkpoint {checkpoints}/20" in log and "at step 10" in log
  assert sorted(os.listdir(checkpoints)) == ["10", "20", "20.corrupt", "30"]  # Kept aside.
  for a, b in zip(straight_30, _final_state(workdir), strict=True):
    np.testing.assert_array_equal(a, b)


# --- divergence ----------------------------------------------------------------------------
def _vae_breaking_at(step_index: int, where: str):
  """The VAE family whose train step `step_index` (0-based) yields a NaN loss or NaN params."""
  def build(config, data_info):
    family = families.FAMILIES["vae"](config, data_info)

    def train_step(state, batch, rng):
      new, metrics = family.train_step(state, batch, rng)
      poison = jnp.where(state.step == step_index, jnp.nan, 0.0)
      if where == "loss":
        return new, {**metrics, "loss": metrics["loss"] + poison}
      nets = jax.tree.map(lambda p: p + poison if jnp.issubdtype(p.dtype, jnp.floating) else p,
                          new.nets)
      return new.replace(nets=nets), metrics
    return family._replace(train_step=train_step)
  return build


@pytest.mark.parametrize("where,index,num_seeds,message", [
    ("loss", 12, 1, "step 13: loss became"),  # The 13th step's loss: caught there.
    ("params", 12, 1, "step 13: the updated parameters"),  # A NaN update: its own step too.
    ("params", 14, 1, "step 15: the updated parameters"),  # The last of a call.
    ("params", 12, 2, "step 13: the updated parameters"),  # Vmapped replicas too.
    ("loss", 13, 3, "step 14: loss became"),
])
def test_a_nonfinite_step_is_caught_where_it_happens_and_nothing_after_is_saved(
    tmp_path, monkeypatch, where, index, num_seeds, message):
  monkeypatch.setitem(families.FAMILIES, "vae_nan", _vae_breaking_at(index, where))
  config = tiny()  # 5 steps per call, logs and checkpoints every 10.
  config.model.name, config.num_seeds = "vae_nan", num_seeds
  with pytest.raises(GenjaxError, match=f"training diverged at {message}"):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert os.listdir(tmp_path / "run" / "checkpoints") == ["10"]


def test_skip_nonfinite_skips_and_counts_the_bad_updates(tmp_path, monkeypatch, caplog):
  monkeypatch.setitem(families.FAMILIES, "vae_nan", _vae_breaking_at(12, "params"))
  config = tiny()
  config.model.name, config.skip_nonfinite = "vae_nan", True
  with caplog.at_level(logging.INFO):
    state = train.train_and_evaluate(config, str(tmp_path / "run"))
  assert int(state.step) == 20
  assert all(np.isfinite(x).all() for x in jax.tree.leaves(jax.device_get(state.nets)))
  assert "skipped_updates 1" in caplog.text


NAN_MAIN = """
import sys
from genjax import cli, families
from tests.test_faults import _vae_breaking_at
families.FAMILIES["vae_nan"] = _vae_breaking_at(12, "params")
from experiments import main
cli.run(main.main)
"""


@pytest.mark.parametrize("num_seeds", [1, 2])
def test_a_nan_update_stops_the_main_with_one_line_and_keeps_the_last_good_checkpoint(
    tmp_path, num_seeds):
  """experiments.main in a subprocess, its 13th update poisoned with NaN: exit code 2, one
  `error:` line naming step 13 (not the learning rate alone), no traceback, checkpoint 10
  kept and nothing saved after it."""
  workdir = tmp_path / "run"
  code, log = _run(None, f"--workdir={workdir}", *TINY, "--config.model.name=vae_nan",
                   f"--config.num_seeds={num_seeds}", script=NAN_MAIN)
  errors = [line for line in log.splitlines() if line.startswith("error:")]
  assert code == 2 and len(errors) == 1, log[-3000:]
  assert errors[0].startswith("error: training diverged at step 13: the updated parameters")
  assert "Traceback" not in log
  assert os.listdir(workdir / "checkpoints") == ["10"]


# --- crashes -------------------------------------------------------------------------------
@pytest.mark.parametrize("after,delay", [("step 2000/6000", 0.0), ("step 3500/6000", 0.3)])
def test_kill_9_and_a_half_written_save_lose_only_uncommitted_steps(tmp_path, after, delay,
                                                                    straight_6000):
  """SIGKILL at a moment while training (right as checkpoint 2000 is being written, or
  between saves), with a save that never committed (Orbax's temporary folder left behind, as
  a kill during a save leaves it): the rerun ignores the partial save, resumes from the last
  committed checkpoint and ends bit-identical."""
  workdir = str(tmp_path / "run")
  proc = _main(workdir, "--config.checkpoint_every=1000")
  for line in proc.stderr:
    if after in line:
      break
  time.sleep(delay)
  proc.kill()
  proc.wait(timeout=60)
  assert proc.returncode == -signal.SIGKILL
  checkpoints = os.path.join(workdir, "checkpoints")
  committed = sorted(int(s) for s in os.listdir(checkpoints) if s.isdigit())
  assert committed, os.listdir(checkpoints)  # 1000 at least (the log line follows its save).
  partial = os.path.join(checkpoints, f"{committed[-1] + 1000}.orbax-checkpoint-tmp-1")
  os.makedirs(os.path.join(partial, "state"))  # A save killed half-way...
  open(os.path.join(partial, "state", "_METADATA"), "w").write("{truncated")
  rerun = _main(workdir, "--config.checkpoint_every=1000")
  log = rerun.stderr.read()
  assert rerun.wait(timeout=300) == 0, log[-3000:]
  assert f"at step {committed[-1]}" in log  # ...is never restored.
  for a, b in zip(straight_6000, _final_state(workdir), strict=True):
    np.testing.assert_array_equal(a, b)


def test_a_failed_save_is_reported_and_the_previous_checkpoint_resumes(tmp_path, monkeypatch,
                                                                       caplog):
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  original = ocp.CheckpointManager.save

  def disk_full_at_20(self, step, *args, **kwargs):
    if step == 20:
      raise OSError(28, "No space left on device")
    return original(self, step, *args, **kwargs)

  monkeypatch.setattr(ocp.CheckpointManager, "save", disk_full_at_20)
  workdir = str(tmp_path / "run")
  with pytest.raises(GenjaxError, match=r"saving checkpoint .*/checkpoints/20 failed \(OSError:"
                                        r" .*No space left on device\); step 10 is the newest"
                                        r" complete one"):
    train.train_and_evaluate(tiny(), workdir)
  monkeypatch.setattr(ocp.CheckpointManager, "save", original)
  with caplog.at_level(logging.INFO):
    state = train.train_and_evaluate(tiny(), workdir)
  assert "at step 10" in caplog.text and int(state.step) == 20


def test_garbling_any_file_of_a_checkpoint_never_restores_wrong_values(tmp_path):
  """Every file of the latest checkpoint in turn, garbled: the restore either still yields
  exactly the saved state (the file did not hold it, or the damage missed it) or detects the
  damage and falls back to the previous step's exact state; never anything else."""
  from genjax import checkpoint  # pylint: disable=g-import-not-at-top
  from genjax import seeds as seeds_lib  # pylint: disable=g-import-not-at-top
  config = tiny()
  workdir = str(tmp_path / "run")
  final = train.train_and_evaluate(config, workdir)
  family = families.build(config, families.DataInfo((8, 8, 1), 10))
  checkpoints = os.path.join(workdir, "checkpoints")
  ckpts = checkpoint.Checkpoints(checkpoints, 3)
  at_10 = jax.tree.leaves(jax.device_get(ckpts.restore(seeds_lib.init(family, config), 10)))
  ckpts.close()
  at_20 = jax.tree.leaves(jax.device_get(final))
  step_dir = os.path.join(checkpoints, "20")
  files = sorted(os.path.relpath(os.path.join(root, n), step_dir)
                 for root, _, names in os.walk(step_dir) for n in names)
  assert len(files) >= 10
  outcomes = {}
  for name in files:
    damaged = str(tmp_path / "damaged")
    shutil.rmtree(damaged, ignore_errors=True)
    shutil.copytree(checkpoints, damaged)
    path = os.path.join(damaged, "20", name)
    data = bytearray(open(path, "rb").read())
    data[len(data) // 3:len(data) // 3 + 16] = bytes(b ^ 0x5A for b in data[len(data) // 3:len(data) // 3 + 16])
    open(path, "wb").write(bytes(data))
    ckpts = checkpoint.Checkpoints(damaged, 3)
    try:
      state, step = ckpts.restore_good(seeds_lib.init(family, config))
    finally:
      ckpts.close()
    expected = at_20 if step == 20 else at_10
    assert step in (10, 20), name
    for a, b in zip(expected, jax.tree.leaves(jax.device_get(state)), strict=True):
      np.testing.assert_array_equal(a, b, err_msg=name)
    outcomes[name] = step
  assert 10 in outcomes.values()  # Some damage was detected (the data files' at least).


def test_a_checkpoint_of_an_older_genjax_is_refused_not_taken_for_damage(tmp_path):
  """Before the digest, a step held one unnamed item: not damage to fall back from (that
  would set good checkpoints aside and retrain from step 0) but another format."""
  import orbax.checkpoint as ocp  # pylint: disable=g-import-not-at-top
  config = tiny()
  workdir = str(tmp_path / "run")
  state = train.train_and_evaluate(config, workdir)
  checkpoints = os.path.join(workdir, "checkpoints")
  shutil.rmtree(checkpoints)
  old = ocp.CheckpointManager(checkpoints, item_handlers=ocp.StandardCheckpointHandler())
  old.save(20, args=ocp.args.StandardSave(state))
  old.wait_until_finished()
  old.close()
  before = sorted(os.listdir(checkpoints))
  for attempt in (lambda: train.train_and_evaluate(config, workdir),
                  lambda: workdirs.sample(workdir, 4, seed=0)):
    with pytest.raises(GenjaxError, match=r"checkpoints/20 was written by an older genjax"):
      attempt()
  assert sorted(os.listdir(checkpoints)) == before  # Nothing set aside or deleted.


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_a_truncated_npz_data_file_is_a_one_line_error(tmp_path, cut):
  path = tmp_path / "data.npz"
  np.savez(path, images=np.zeros((100, 8, 8), np.uint8), labels=np.zeros(100, np.int32))
  data = path.read_bytes()
  path.write_bytes(data[:int(len(data) * cut)])
  result = run_main("experiments.main", *TINY, f"--workdir={tmp_path / 'run'}",
                    "--config.data.name=npz", f"--config.data.path={path}")
  assert_one_line_error(result, str(path), "not a readable .npz file", "truncated")
