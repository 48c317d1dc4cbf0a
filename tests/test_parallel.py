"""Data parallelism: the same global batch and seed give the same training on 1 or 8 (CPU)
devices, for every registered family and DCGAN (batch norm, DiffAugment), under jit and pmap,
and with the host feed; checkpoints move between device counts. Correctness only: XLA's host
devices are slow."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = """
import sys, jax, numpy as np
from absl import logging
logging.set_verbosity(logging.INFO)
logging.set_stderrthreshold(logging.INFO)
from tests.conftest import CONTRACT_CASES, tiny_dcgan_sn
from genjax import train
families, modes, out, devices, steps = sys.argv[1:6]
workdir = sys.argv[6] if len(sys.argv) > 6 else None
assert jax.device_count() == int(devices)


def config_of(family):
  if family == "dcgan":  # Batch norm in G (global statistics), DiffAugment, per-layer
    config = tiny_dcgan_sn()  # noise planes, PacGAN packs (each within a device's part).
    config.model.discriminator.spectral_norm = False
    config.loss.gan.diffaugment = "color,translation,cutout"
    config.model.generator.noise_injection, config.model.discriminator.pack = 0.1, 2
    return config
  return CONTRACT_CASES[family]()


for family in families.split(","):
  for mode in modes.split(","):
    config = config_of(family)
    config.num_steps = int(steps)
    config.steps_per_call = 1 if family == "dcgan" else 5  # XLA:CPU conv grads in loops: slow.
    config.parallel = mode if mode in ("jit", "pmap") else "jit"
    if mode in ("host", "device"):  # Batches of two shards, fed from the host or gathered.
      config.data.placement, config.data.num_shards = mode, 2
      if family == "gan":
        config.data.update(name="digits", value_range="-1,1", dynamic_binarization=False)
        config.evals.modes.every_steps = -1
    config.checkpoint_every = config.eval_every = config.log_every = 10
    state = train.train_and_evaluate(config, workdir or f"{out}_{family}_{mode}_workdir")
    np.savez(f"{out}_{family}_{mode}.npz", *[np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))])
"""


def _train(tmp_path, devices, families="vae", modes="jit", steps=10, workdir=None):
  """{(family, mode): the final state's leaves} of runs on `devices` CPU devices."""
  out = str(tmp_path / f"d{devices}_s{steps}")
  env = {**os.environ, "JAX_PLATFORMS": "cpu",
         "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
  args = [families, modes, out, str(devices), str(steps)] + ([workdir] if workdir else [])
  result = subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
  assert result.returncode == 0, result.stderr[-3000:]
  states = {"log": result.stderr}
  for family in families.split(","):
    for mode in modes.split(","):
      with np.load(f"{out}_{family}_{mode}.npz") as f:
        states[family, mode] = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
  return states


def _assert_same(a, b, label=""):
  assert len(a) == len(b)
  for i, (x, y) in enumerate(zip(a, b)):
    np.testing.assert_allclose(x, y, rtol=2e-4, atol=2e-5, err_msg=f"{label} leaf {i}")


def test_device_count_and_jit_or_pmap_do_not_change_training(tmp_path):
  """Every registered family (its contract case) and DCGAN on 1 and 8 devices (2 and 4 run
  the same code paths)."""
  from genjax import families as families_lib  # pylint: disable=g-import-not-at-top
  families, modes = ",".join(sorted(families_lib.FAMILIES)) + ",dcgan", "jit,pmap"
  reference = _train(tmp_path, 1, families, modes)
  for family in families.split(","):
    _assert_same(reference[family, "jit"], reference[family, "pmap"], family)
  for key, state in _train(tmp_path, 8, families, modes).items():
    if key != "log":
      _assert_same(reference[key[0], "jit"], state, key)


def test_a_checkpoint_written_on_8_devices_resumes_on_1_and_vice_versa(tmp_path):
  uninterrupted = _train(tmp_path, 1, steps=20)["vae", "jit"]
  for first, then in ((8, 1), (1, 8)):
    workdir = str(tmp_path / f"from_{first}_to_{then}")
    _train(tmp_path, first, steps=10, workdir=workdir)
    resumed = _train(tmp_path, then, steps=20, workdir=workdir)
    assert "at step 10" in resumed["log"]
    _assert_same(uninterrupted, resumed["vae", "jit"])


def test_the_host_feed_on_4_devices_trains_like_the_device_feed(tmp_path):
  """Each device gets its part of every critic slice from the fed global batch."""
  fed = _train(tmp_path, 4, "vae,gan", "host")
  gathered = _train(tmp_path, 1, "vae,gan", "device")
  for family in ("vae", "gan"):
    _assert_same(gathered[family, "device"], fed[family, "host"])


def test_pmap_mode_refuses_unknown_modes():
  from genjax import parallel  # pylint: disable=g-import-not-at-top
  from genjax.errors import GenjaxError  # pylint: disable=g-import-not-at-top
  from tests.conftest import tiny  # pylint: disable=g-import-not-at-top
  config = tiny()
  config.parallel = "pjit"
  with pytest.raises(GenjaxError, match=r"parallel='pjit': valid are \('jit', 'pmap'\)"):
    parallel.check_mode(config)
