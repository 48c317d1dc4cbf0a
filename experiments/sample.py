"""Samples from a trained workdir's latest checkpoint.

python -m experiments.sample --workdir=DIR --num=N --out=FILE.png|FILE.npy [--seed=S] [--label=C]

`.png` writes an image grid; `.npy` writes float32 NxHxWxC images in the training value
range. The same checkpoint and seed always give the same samples.
"""
import functools
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
from absl import app
from absl import flags

from genjax import logging as log_lib
from genjax import train
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_NUM = flags.DEFINE_integer("num", 64, "Number of samples.")
_OUT = flags.DEFINE_string("out", None, "Output file: .png (grid) or .npy (array).")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")
_LABEL = flags.DEFINE_integer("label", -1, "Class of every sample (conditional models only).")
flags.mark_flags_as_required(["workdir", "out"])


def sample(workdir: str, num: int, seed: int, label: int = -1) -> np.ndarray:
  """`num` samples (NxHxWxC float32 in the training value range, or Nx2 points) from the
  latest checkpoint; `label` >= 0 asks a conditional model for that class."""
  if num <= 0:
    raise GenjaxError(f"--num={num} must be positive")
  config, image_shape, num_classes = train.load_run_config(workdir)
  family = train.build(config, image_shape, num_classes)
  state = train.restore_latest(family, config, workdir)
  sample_fn = family.sample
  if label >= 0:
    if not getattr(family, "num_classes", 0):
      raise GenjaxError(f"--label={label}: the model in {workdir!r} is not class-conditional")
    if label >= family.num_classes:
      raise GenjaxError(f"--label={label}: valid classes are 0..{family.num_classes - 1}")
    sample_fn = functools.partial(family.sample, labels=jnp.full((num,), label, jnp.int32))
  images = jax.jit(sample_fn, static_argnums=2)(state, jax.random.PRNGKey(seed), num)
  return np.asarray(images, np.float32)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  out = _OUT.value
  try:
    if not out.endswith((".png", ".npy")):
      raise GenjaxError(f"--out={out!r} must end in .png (grid) or .npy (array)")
    images = sample(_WORKDIR.value, _NUM.value, _SEED.value, _LABEL.value)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(".npy"):
      np.save(out, images)
    else:
      config, image_shape, _ = train.load_run_config(_WORKDIR.value)
      if len(image_shape) != 3:
        raise GenjaxError(f"{_WORKDIR.value!r} holds a model of {image_shape} points, not images:"
                          " use --out=FILE.npy")
      log_lib.save_png(out, log_lib.image_grid(images, config.data.value_range),
                       max(1, 64 // image_shape[0]))
  except GenjaxError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  print(f"wrote {len(images)} samples to {out}")


if __name__ == "__main__":
  app.run(main)
