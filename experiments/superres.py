"""Super-resolution side by side: a PNG grid of eval images, one row each: the low-resolution
input (shown nearest-upsampled), bicubic upsampling, each workdir's restoration, the original;
and PSNR / SSIM (dB; Wang et al.) of each over the first --num_scored eval images, bicubic's
first, printed as a Markdown table and written as JSON beside the grid.

python -m experiments.superres --workdirs=/tmp/genjax/sr_content,/tmp/genjax/sr_gan \
    --out=/tmp/genjax/superres.png
(typically the content-only model, `--config.loss.superres.adversarial_weight=0`, and the
SRGAN; every workdir must hold a super-resolution model of the same factor and data.)
"""
import json
import os

import jax
import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.evaluators import superres as superres_eval
from genjax.models import superres as nets

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Workdirs of super-resolution models.")
_NUM = flags.DEFINE_integer("num", 8, "Eval images shown (one row each).")
_NUM_SCORED = flags.DEFINE_integer("num_scored", 0, "Eval images scored (0: all).")
_OUT = flags.DEFINE_string("out", None, "The PNG file (its .json beside it: the scores).")
flags.mark_flags_as_required(["workdirs", "out"])


def restorations(workdir: str, num: int):
  """(factor, value range, eval images, low inputs, restorations) of `workdir`'s model on its
  first `num` eval images (0: all), images in the data range."""
  run = run_lib.open_run(workdir, needs=("upscale", "downsample"))
  _, eval_data = run.eval_set()
  high = eval_data["image"][:num or None]
  family, state = run.family, run.restore(0)
  low = jax.jit(family.predict["downsample"])(high)
  upscale = jax.jit(family.predict["upscale"])
  restored = np.concatenate([np.asarray(upscale(state, low[i:i + 500]))
                             for i in range(0, len(low), 500)])
  return family.setup.factor, run.config.data.value_range, high, low, restored


def scores(high01, image01) -> dict:
  """Mean PSNR and SSIM of `image01` against `high01`, as the superres evaluator scores them."""
  parts = [superres_eval.image_scores(image01[i:i + 500], high01[i:i + 500])
           for i in range(0, len(high01), 500)]
  return {k: float(np.mean(np.concatenate([np.asarray(p[k]) for p in parts]))) for k in parts[0]}


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  if not _OUT.value.endswith(".png"):
    raise GenjaxError(f"--out={_OUT.value!r} must end in .png")
  rows, table, first = [], {}, None
  for workdir in _WORKDIRS.value:
    factor, value_range, high, low, restored = restorations(workdir, _NUM_SCORED.value)
    unit = lambda x: pipeline.to_unit(np.asarray(x), value_range)  # pylint: disable=cell-var-from-loop
    if first is None:
      first = (factor, high.shape)
      bicubic = unit(nets.bicubic_upsample(low, factor))
      table["bicubic"] = scores(unit(high), bicubic)
      rows += [unit(nets.nearest_upsample(low, factor))[:_NUM.value], bicubic[:_NUM.value]]
    elif (factor, high.shape) != first:
      raise GenjaxError(f"--workdirs: {workdir!r} restores {high.shape[1:3]} images x{factor},"
                        f" the first workdir {first[1][1:3]} x{first[0]}: compare like with like")
    table[workdir] = scores(unit(high), unit(restored))
    rows.append(unit(restored)[:_NUM.value])
  rows.append(unit(high)[:_NUM.value])
  images = np.stack(rows, 1).reshape((-1,) + rows[0].shape[1:])
  grid = log_lib.image_grid(images, "0,1", columns=len(rows))
  log_lib.save_png(_OUT.value, grid, max(1, 64 // images.shape[1]))
  with open(os.path.splitext(_OUT.value)[0] + ".json", "w") as f:
    json.dump(table, f, indent=1)
  print("| images | PSNR (dB) | SSIM |\n| --- | --- | --- |")
  for name, row in table.items():
    print(f"| {name} | {row['psnr']:.2f} | {row['ssim']:.4f} |")
  print(f"wrote {_OUT.value}: rows of (input, bicubic, " + ", ".join(_WORKDIRS.value)
        + ", original)")


if __name__ == "__main__":
  cli.run(main)
