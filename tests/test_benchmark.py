"""experiments.benchmark: one tiny measurement of the real MLP VAE step, and bad input."""
import math
import os
import subprocess
import sys

import pytest

from experiments import benchmark

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("feed", ["device", "host"])
def test_measure_vae_gives_finite_rates_and_a_table_row(feed):
  row = benchmark.measure("vae_mlp", "float32", steps=3, warmup_calls=1, min_seconds=0.0,
                          num_examples=512, feed=feed)
  for key in ("images_per_s", "compile_s", "tflops", "gflop_per_image"):
    assert math.isfinite(row[key]) and row[key] > 0, (key, row)
  # 784-400-20 MLP VAE: ~2 x 651k multiply-adds forward, ~3x that with the backward pass.
  assert 2e-3 < row["gflop_per_image"] < 6e-3, row
  assert f"| vae_mlp | {feed} | float32 | 128 |" in benchmark.markdown([row])


def test_unknown_setup_is_a_one_line_error():
  result = subprocess.run([sys.executable, "-m", "experiments.benchmark", "--only=vae_mlp,nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
  assert result.returncode == 2, result.stderr[-2000:]
  lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
  assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert "'nope'" in lines[0] and "valid are vae_mlp, dcgan32_b64" in lines[0]
