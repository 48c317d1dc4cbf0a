"""experiments.benchmark: one tiny measurement of the real MLP VAE step, and bad input."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from experiments import benchmark

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

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


def test_molecule_setup_encodes_moses_shaped_rows_and_trains_the_real_seq_vae_step():
  tokens, length = benchmark.synthetic_molecules(500)
  vocab = benchmark.molecule_vocab()
  rows = range(500)
  assert tokens.shape == (500, 59) and (tokens[:, 0] == vocab.bos).all()
  assert (tokens[rows, length - 1] == vocab.eos).all() and 12 <= length.min() <= length.max() <= 59
  assert all((t[n:] == vocab.pad).all() and (t[1:n - 1] < len(benchmark.MOSES_CHARS)).all()
             for t, n in zip(tokens, length))
  assert 34 < length.mean() - 2 < 38   # MOSES' mean SMILES length, 35.9.
  row = benchmark.measure("seq_vae_moses_cpu", "float32", steps=2, warmup_calls=0,
                          min_seconds=0.0, num_examples=256)
  assert row["images_per_s"] > 0 and math.isfinite(row["compile_s"])
  assert "| seq_vae_moses_cpu | device | float32 | 128 |" in benchmark.markdown([row])
  assert " n/a | n/a |" in benchmark.markdown([row])   # FLOPs of time scans: not counted.


def test_gpu_molecule_setup_times_the_shipped_gpu_config():
  from configs import seq_vae_moses_30min, seq_vae_moses_gpu  # pylint: disable=g-import-not-at-top
  config, shipped = benchmark.setup_config("seq_vae_moses_gpu"), seq_vae_moses_gpu.get_config()
  assert config.batch_size == shipped.batch_size == benchmark.SETUPS["seq_vae_moses_gpu"][1] == 512
  assert config.model.to_dict() == shipped.model.to_dict() and config.model.decoder.layers == 3
  assert tuple(config.data.length_buckets) == seq_vae_moses_30min.LENGTH_BUCKETS
  assert config.optim.to_dict() == shipped.optim.to_dict()


def _learns(losses, steps, window=5):
  """`steps` losses were recorded, and the mean of the last `window` lies below the mean of
  the first by more than twice the first ones' spread (step-to-step noise): the model
  learns, its optimizer steps applied along the loss's gradients."""
  assert len(losses) == steps and all(map(math.isfinite, losses)), losses
  first, last = np.asarray(losses[:window]), np.asarray(losses[-window:])
  assert last.mean() < first.mean() - 2 * first.std(), np.round(losses, 3)


@pytest.mark.parametrize("reference, batch, chunk, num_examples, steps", [
    (benchmark.torch_seq_vae_molecules_per_s, 16, 15, 64, 30),
    (benchmark.torch_vae_images_per_s, 32, 20, 256, 40),
], ids=["moses_vae", "mlp_vae"])
def test_torch_reference_learns(reference, batch, chunk, num_examples, steps):
  pytest.importorskip("torch")
  losses = []
  rate = reference(batch, chunk=chunk, min_seconds=0.0, num_examples=num_examples, losses=losses)
  assert math.isfinite(rate) and rate > 0
  _learns(losses, steps)


def test_unknown_setup_is_a_one_line_error():
  result = subprocess.run([sys.executable, "-m", "experiments.benchmark", "--only=vae_mlp,nope"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
  assert result.returncode == 2, result.stderr[-2000:]
  lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
  assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
  assert "'nope'" in lines[0] and "valid are vae_mlp, dcgan32_b64" in lines[0]


@pytest.mark.slow
def test_torch_reference_of_dcgan64_trains_in_fp32_and_bf16_autocast():
  """Both precisions run, and D's loss falls over 8 steps (D learns to tell G's images from
  the uniform noise the reference trains on)."""
  pytest.importorskip("torch")
  for amp in (False, True):
    losses = []
    rate = benchmark.torch_dcgan64_images_per_s(2, chunk=4, min_seconds=0.0, num_examples=8,
                                                amp=amp, losses=losses)
    assert 0 < rate < float("inf")
    _learns(losses, 8, window=3)
