"""Faults injected for real, in subprocesses: a run stopped by SIGTERM or SIGINT saves a
checkpoint at the step it reached, exits 0, and a rerun resumes there and ends bit-identical
to an uninterrupted run."""
import os
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from genjax import families
from genjax import workdirs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--config=configs/default.py", "--config.num_steps=6000", "--config.steps_per_call=50",
        "--config.log_every=50", "--config.eval_every=6000", "--config.checkpoint_every=3000",
        "--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
        "--config.evals.nll.iwae_examples=20"]


def _main(workdir, *extra):
  return subprocess.Popen([sys.executable, "-m", "experiments.main", f"--workdir={workdir}",
                           *ARGS, *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})


def _final_state(workdir):
  config, shape, classes = workdirs.load_run_config(workdir)
  family = families.build(config, families.DataInfo(shape, classes))
  return jax.tree.leaves(jax.device_get(workdirs.restore_latest(family, config, workdir)))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_current_step_exits_0_and_the_rerun_ends_bit_identical(tmp_path,
                                                                                   signum):
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
  rerun = _main(workdir)
  rerun_log = rerun.stderr.read()
  assert rerun.wait(timeout=300) == 0, rerun_log[-3000:]
  assert f"at step {saved[0]}" in rerun_log and "step 6000/6000" in rerun_log
  straight = str(tmp_path / "straight")
  proc = _main(straight)
  proc.stderr.read()
  assert proc.wait(timeout=300) == 0
  for a, b in zip(_final_state(straight), _final_state(workdir), strict=True):
    np.testing.assert_array_equal(a, b)
