"""Samples from a trained workdir's latest checkpoint.

python -m experiments.sample --workdir=DIR --num=N --out=FILE.png|FILE.npy [--seed=S] [--label=C]
    [--seed_index=I]

`.png` writes an image grid; `.npy` writes float32 NxHxWxC images in the training value
range. The same checkpoint and seed always give the same samples.
"""
import os

import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import logging as log_lib
from genjax import workdirs
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_NUM = flags.DEFINE_integer("num", 64, "Number of samples.")
_OUT = flags.DEFINE_string("out", None, "Output file: .png (grid) or .npy (array).")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")
_LABEL = flags.DEFINE_integer("label", -1, "Class of every sample (conditional models only).")
_SEED_INDEX = flags.DEFINE_integer("seed_index", 0,
                                   "Replica to sample from a run trained with num_seeds > 1.")
flags.mark_flags_as_required(["workdir", "out"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  out = _OUT.value
  try:
    if not out.endswith((".png", ".npy")):
      raise GenjaxError(f"--out={out!r} must end in .png (grid) or .npy (array)")
    images = workdirs.sample(_WORKDIR.value, _NUM.value, _SEED.value, _LABEL.value,
                              _SEED_INDEX.value)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(".npy"):
      np.save(out, images)
    else:
      config, image_shape, _ = workdirs.load_run_config(_WORKDIR.value)
      if len(image_shape) != 3:
        raise GenjaxError(f"{_WORKDIR.value!r} holds a model of {image_shape} points, not images:"
                          " use --out=FILE.npy")
      log_lib.save_image_grid(out, images, config.data.value_range)
  except GenjaxError as e:
    cli.fail(e)
  print(f"wrote {len(images)} samples to {out}")


if __name__ == "__main__":
  cli.run(main)
