"""Multi-process training: two CPU processes on 127.0.0.1 (gloo collectives) train, save,
resume and end where one process with the same global batch does."""
import json
import os
import signal
import socket
import subprocess
import sys

import ml_collections
import numpy as np
import pytest

from genjax import parallel
from genjax.errors import GenjaxError

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = """
import json, sys, jax, numpy as np
from absl import logging
logging.set_verbosity(logging.INFO)
logging.set_stderrthreshold(logging.INFO)
from tests.conftest import tiny
from genjax import parallel, train
out, steps, num, pid, address = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
config = tiny()
config.num_steps, config.checkpoint_every = steps, 10
config.distributed.update(num_processes=num, process_id=pid, coordinator_address=address)
config.data.update(json.loads(sys.argv[6]))
config.update(json.loads(sys.argv[7]) if len(sys.argv) > 7 else {})
parallel.initialize(config.distributed)
assert jax.process_count() == num and jax.device_count() == num
state = train.train_and_evaluate(config, out + "_workdir")
np.savez(f"{out}_{pid}.npz", *[np.asarray(x.addressable_shards[0].data) for x in jax.tree.leaves(state)])
"""


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _run(out, steps, num, **data):
  address = f"127.0.0.1:{_free_port()}"
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": ""}
  procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, out, str(steps), str(num), str(pid),
                             address, json.dumps(data)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True) for pid in range(num)]
  logs = [p.communicate(timeout=600)[0] for p in procs]
  for p, log in zip(procs, logs):
    assert p.returncode == 0, log[-3000:]
  results = []
  for pid in range(num):
    with np.load(f"{out}_{pid}.npz") as f:
      results.append([f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))])
  return results, logs


def test_two_processes_feed_their_shards_save_resume_and_match_one_process(tmp_path):
  """One 2-process run (each process feeding its own half of the digits from the host) that
  checkpoints, resumes on 2 processes and ends where one process holding all the data does."""
  (one,), _ = _run(str(tmp_path / "one"), 20, 1, num_shards=2)  # Device feed, all the data.
  two_out = str(tmp_path / "two")
  _, first_logs = _run(two_out, 10, 2, num_shards=2)  # auto: host feed.
  assert os.listdir(two_out + "_workdir/checkpoints") == ["10"]
  (first, second), logs = _run(two_out, 20, 2, num_shards=2)  # Resumes from the checkpoint.
  for pid, log in enumerate(first_logs):  # 1437 digits: two shards of 718.
    assert f"Host feed: process {pid} holds 718 of the 1437 training examples (shards {pid}..{pid}" in log
    assert "MB uint8)" in log  # Kept as bytes in host memory.
    assert "at step 10" in logs[pid]  # Both processes restored step 10.
  assert "step 20/20" in logs[0] and "step 20/20" not in logs[1]  # Process 0 alone logs.
  for a, b, c in zip(one, first, second, strict=True):
    np.testing.assert_array_equal(b, c)
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
  assert sorted(os.listdir(two_out + "_workdir/checkpoints")) == ["10", "20"]


def test_a_signal_to_one_process_stops_every_process_at_the_same_step(tmp_path):
  out, address = str(tmp_path / "run"), f"127.0.0.1:{_free_port()}"
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": ""}
  never = json.dumps(dict(log_every=10, eval_every=100000, checkpoint_every=100000))
  procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, out, "100000", "2", str(pid), address,
                             "{}", never], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True) for pid in range(2)]
  head = []
  for line in procs[0].stdout:  # Both train...
    head.append(line)
    if "step 20/100000" in line:
      break
  procs[1].send_signal(signal.SIGTERM)  # ...then only process 1 is preempted.
  logs = [p.communicate(timeout=300)[0] for p in procs]
  logs[0] = "".join(head) + logs[0]
  for p, log in zip(procs, logs):
    assert p.returncode == 0, log[-3000:]
  saved = os.listdir(out + "_workdir/checkpoints")
  assert len(saved) == 1 and int(saved[0]) >= 20, saved
  assert f"Stopped by signal 15 at step {saved[0]}" in logs[1]
  assert f"at step {saved[0]}: checkpoint saved" in logs[0]  # Process 0 stopped there too.


@pytest.mark.parametrize("fields, message", [
    (dict(num_processes=2), "needs distributed.coordinator_address='host:port'"),
    (dict(num_processes=2, coordinator_address="h:1", process_id=2), r"process_id=2: valid are 0\.\.1"),
    (dict(num_processes=0), "num_processes=0 must be a positive integer"),
])
def test_bad_distributed_settings_are_refused(fields, message):
  distributed = ml_collections.ConfigDict(dict(num_processes=1, process_id=0,
                                               coordinator_address="", auto=False))
  distributed.update(**fields)
  with pytest.raises(GenjaxError, match=message):
    parallel.initialize(distributed)
