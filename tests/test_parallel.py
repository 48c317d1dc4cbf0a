"""Data parallelism: the same global batch and seed give the same training on 1, 2 or 8
(CPU) devices, for VAE and GAN steps (correctness only; XLA's host devices are slow)."""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = """
import sys, jax, numpy as np
from tests.conftest import tiny
from tests.test_gan import tiny_gan
from genjax import train
family, out, workdir = sys.argv[1], sys.argv[2], sys.argv[4]
config = tiny() if family == "vae" else tiny_gan(n_critic=2)
if family == "gan":
  config.model.spectral_norm = True
config.num_steps = int(sys.argv[5])
config.checkpoint_every = config.eval_every = config.log_every = 10
assert jax.device_count() == int(sys.argv[3])
state = train.train_and_evaluate(config, workdir)
np.savez(out, *[np.asarray(x) for x in jax.tree.leaves(jax.device_get(state))])
"""


def _train(family, devices, tmp_path, workdir=None, steps=10):
  out = str(tmp_path / f"{family}_{devices}_{steps}.npz")
  workdir = workdir or out + "_workdir"
  env = {**os.environ, "JAX_PLATFORMS": "cpu",
         "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
  result = subprocess.run([sys.executable, "-c", SCRIPT, family, out, str(devices), workdir,
                           str(steps)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  with np.load(out) as f:
    return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.parametrize("family", ["vae", "gan"])
def test_device_count_does_not_change_training(family, tmp_path):
  one = _train(family, 1, tmp_path)
  for devices in (2, 8):
    many = _train(family, devices, tmp_path)
    assert len(one) == len(many)
    for a, b in zip(one, many):
      np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)


def test_a_checkpoint_written_on_8_devices_resumes_on_1_and_vice_versa(tmp_path):
  uninterrupted = _train("vae", 1, tmp_path, steps=20)
  for first, then in ((8, 1), (1, 8)):
    workdir = str(tmp_path / f"from_{first}_to_{then}")
    _train("vae", first, tmp_path, workdir, steps=10)
    resumed = _train("vae", then, tmp_path, workdir, steps=20)
    for a, b in zip(uninterrupted, resumed):
      np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
