"""Data parallelism: the same global batch and seed give the same training on 1 or 8 (CPU)
devices, for every registered family and DCGAN (batch norm, DiffAugment), under jit and pmap,
and with the host feed; checkpoints move between device counts. Correctness only: XLA's host
devices are slow."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = """
import json, sys, jax, ml_collections, numpy as np
from absl import logging
logging.set_verbosity(logging.INFO)
logging.set_stderrthreshold(logging.INFO)
from tests.conftest import CONTRACT_CASES, tiny_dcgan_sn
from genjax import train
devices, jobs = int(sys.argv[1]), json.loads(sys.argv[2])
assert jax.device_count() == devices


def config_of(family):
  if family == "dcgan":  # Batch norm in G (global statistics), DiffAugment, per-layer
    config = tiny_dcgan_sn()  # noise planes, PacGAN packs (each within a device's part).
    config.model.discriminator.spectral_norm = False
    config.loss.gan.diffaugment = "color,translation,cutout"
    config.model.generator.noise_injection, config.model.discriminator.pack = 0.1, 2
    return config
  if family == "seq_vae_buckets":  # Under pmap each device runs its own width.
    config = CONTRACT_CASES["seq_vae"]()
    config.data.length_buckets = (32, 36, 40)
    return config
  return CONTRACT_CASES[family]()


for job in jobs:  # {family, mode, steps, workdir, out}
  family, mode = job["family"], job["mode"]
  config = config_of(family)
  config.num_steps = job["steps"]
  config.steps_per_call = 1 if family == "dcgan" else 5  # XLA:CPU conv grads in loops: slow.
  config.parallel = mode if mode in ("jit", "pmap") else "jit"
  if mode in ("host", "device"):  # Batches of two shards, fed from the host or gathered.
    config.data.placement, config.data.num_shards = mode, 2
    if family == "gan":
      config.data.update(name="digits", value_range="-1,1", dynamic_binarization=False)
  config.evals = ml_collections.ConfigDict()  # They read the state, never change it.
  config.checkpoint_every = config.eval_every = config.log_every = 10
  state = train.train_and_evaluate(config, job["workdir"])
  np.savez(job["out"], *[np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))])
"""


def _job(tmp_path, devices, family="vae", mode="jit", steps=10, workdir=None):
  name = f"d{devices}_{family}_{mode}_s{steps}"
  return dict(family=family, mode=mode, steps=steps, out=str(tmp_path / f"{name}.npz"),
              workdir=workdir or str(tmp_path / f"{name}_workdir"))


def _train(devices, jobs):
  """Runs `jobs` (see `_job`) in one process on `devices` CPU devices: (the final states'
  leaves in job order, the process's log)."""
  env = {**os.environ, "JAX_PLATFORMS": "cpu",
         "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
  result = subprocess.run([sys.executable, "-c", SCRIPT, str(devices), json.dumps(jobs)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-3000:]
  states = []
  for job in jobs:
    with np.load(job["out"]) as f:
      states.append([f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))])
  return states, result.stderr


def _assert_same(a, b, label=""):
  assert len(a) == len(b)
  for i, (x, y) in enumerate(zip(a, b)):
    np.testing.assert_allclose(x, y, rtol=2e-4, atol=2e-5, err_msg=f"{label} leaf {i}")


def test_device_count_and_jit_or_pmap_do_not_change_training_and_checkpoints_move(tmp_path):
  """Every registered family (its contract case), DCGAN and the length-bucketed SMILES VAE
  under jit on 1 device end where they do under jit and pmap on 8 (2 and 4 run the same code
  paths); then the VAE's step-10
  checkpoints of both runs resume on the other device count and end where 20 uninterrupted
  steps on 1 device do (one process per device count keeps the compiles few)."""
  from genjax import families as families_lib  # pylint: disable=g-import-not-at-top
  families = sorted(families_lib.FAMILIES) + ["dcgan", "seq_vae_buckets"]
  one = [_job(tmp_path, 1, family) for family in families]
  eight = [_job(tmp_path, 8, family, mode) for family in families for mode in ("jit", "pmap")]
  reference, _ = _train(1, one)
  for job, state in zip(eight, _train(8, eight)[0]):
    _assert_same(reference[families.index(job["family"])], state, (job["family"], job["mode"]))

  moved = {}
  for first, then in ((8, 1), (1, 8)):
    workdir = str(tmp_path / f"from_{first}_to_{then}")
    shutil.copytree(_job(tmp_path, first)["workdir"], workdir)
    moved[then] = _job(tmp_path, then, steps=20, workdir=workdir)
  (uninterrupted, resumed_on_1), log_1 = _train(1, [_job(tmp_path, 1, steps=20), moved[1]])
  (resumed_on_8,), log_8 = _train(8, [moved[8]])
  for resumed, log, job in ((resumed_on_1, log_1, moved[1]), (resumed_on_8, log_8, moved[8])):
    assert f"Resumed from {job['workdir']}/checkpoints at step 10" in log
    _assert_same(uninterrupted, resumed, job["workdir"])


def test_the_host_feed_on_4_devices_trains_like_the_device_feed(tmp_path):
  """Each device gets its part of every critic slice from the fed global batch."""
  fed, _ = _train(4, [_job(tmp_path, 4, family, "host") for family in ("vae", "gan")])
  gathered, _ = _train(1, [_job(tmp_path, 1, family, "device") for family in ("vae", "gan")])
  for family, a, b in zip(("vae", "gan"), gathered, fed):
    _assert_same(a, b, family)


def test_pmap_mode_refuses_unknown_modes():
  from genjax import parallel  # pylint: disable=g-import-not-at-top
  from genjax.errors import GenjaxError  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny  # pylint: disable=g-import-not-at-top
  config = tiny()
  config.parallel = "pjit"
  with pytest.raises(GenjaxError, match=r"parallel='pjit': valid are \('jit', 'pmap'\)"):
    parallel.check_mode(config)
