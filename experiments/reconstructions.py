"""A PNG grid comparing reconstructions: 4 eval images per row (the first --num of the first
workdir's eval split), each followed by its reconstruction by every workdir in turn.

python -m experiments.reconstructions --workdirs=/tmp/genjax/vae_plain,/tmp/genjax/vaegan \
    --num=8 --out=/tmp/triples.png
"""
import jax
import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax.data import pipeline

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Workdirs of models that reconstruct.")
_NUM = flags.DEFINE_integer("num", 8, "Eval images (rows of the grid hold 8 images each).")
_OUT = flags.DEFINE_string("out", None, "The PNG file.")
flags.mark_flags_as_required(["workdirs", "out"])


def reconstructions(workdir: str, num: int):
  """(originals, reconstructions) of `workdir`'s first `num` eval images, both in [0, 1]."""
  run = run_lib.open_run(workdir, needs=("reconstruct",))
  config, family, state = run.config, run.family, run.restore(0)
  dataset, eval_data = run.eval_set()
  x = eval_data["image"][:num]
  labels = (eval_data["label"][:num],) if family.num_classes else ()
  recon = jax.jit(family.predict["reconstruct"])(state, x, *labels)
  unit = lambda a: pipeline.to_unit(a, config.data.value_range)
  return unit(dataset.eval_images[:num]), unit(recon)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  columns, originals = [], None
  for workdir in _WORKDIRS.value:
    original, recon = reconstructions(workdir, _NUM.value)
    originals = original if originals is None else originals
    columns.append(recon)
  images = np.stack([originals] + columns, 1).reshape((-1,) + originals.shape[1:])
  grid = log_lib.image_grid(images, "0,1", columns=4 * (1 + len(columns)))  # 4 per row.
  log_lib.save_png(_OUT.value, grid, max(1, 64 // images.shape[1]))
  print(f"wrote {_OUT.value}: {_NUM.value} x (original, " + ", ".join(_WORKDIRS.value) + ")")


if __name__ == "__main__":
  cli.run(main)
