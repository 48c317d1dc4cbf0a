"""Image repair: masks part of each eval image (a centre square, the bottom half, or 50% random
pixels) and fills it from a trained model, by optimizing the latent to match the visible pixels
(VAE, VAE-GAN, GAN) or by iterating encode-decode with the visible pixels clamped (VAE,
VAE-GAN). Reports the error on the masked region (and that of filling it with the mean training
image), a classifier's accuracy on masked and repaired images, and figures of masked /
repaired / original rows.

python -m experiments.inpaint --workdirs=/tmp/genjax/default   # all 360 eval digits
python -m experiments.inpaint --config=configs/default.py --workdir=DIR   # trains DIR first
python -m experiments.inpaint --workdirs=/tmp/genjax/vae_plain,/tmp/genjax/fcd/dcgan_mnist10k     --classifier=/tmp/genjax/classifier_mnist10k --num=200

The flags and the main; what it computes and writes is in genjax/applications/inpaint.py
(pure functions, importable by tests and forks).
"""
import os
from absl import app
from absl import flags
from ml_collections import config_flags
from genjax.applications import common as apps
from genjax import cli
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax.errors import GenjaxError
from genjax.applications.inpaint import (NEEDS, RepairOptions, MASKS, METHODS, _names, _run_names, check_model, repair_run, save_rows_figure, table)

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Trained runs to repair with (reused as they are).")


_CONFIG = config_flags.DEFINE_config_file("config", None, "A config to train (with --workdir).")


_WORKDIR = flags.DEFINE_string("workdir", None, "Where --config trains (resumed or reused).")


_OUT = flags.DEFINE_string("out", None, "Output folder (default: <first workdir>/inpaint).")


_MASKS = flags.DEFINE_list("masks", list(MASKS), f"Masks, of {MASKS}.")


_METHODS = flags.DEFINE_list("methods", list(METHODS), f"Repair methods, of {METHODS}"
                             " ('iterate' needs an encoder: VAE, VAE-GAN; unset, GANs skip it).")


_NUM = flags.DEFINE_integer("num", 500, "Eval images repaired (the first of the eval split;"
                            " unset: at most the split's size).")


_STEPS = flags.DEFINE_integer("steps", 200, "optimize: Adam steps on the latent.")


_LR = flags.DEFINE_float("lr", 0.05, "optimize: Adam's learning rate.")


_PRIOR_WEIGHT = flags.DEFINE_float("prior_weight", 0.05, "optimize: weight of 0.5 ||z||^2"
                                   " against the squared error summed over visible pixels.")


_RESTARTS = flags.DEFINE_integer("restarts", 1, "optimize: latent starts per image (the best"
                                 " fit to the visible pixels wins); an encoder gives the first.")


_ITERATIONS = flags.DEFINE_integer("iterations", 30, "iterate: encode-decode rounds.")


_BATCH = flags.DEFINE_integer("batch", 250, "Images repaired per compiled call.")


_START = flags.DEFINE_enum("start", "grey", ["mean", "grey"], "What hidden pixels hold where"
                           " the encoder first sees them (iterate; optimize's first start): the"
                           " mean training image or mid-grey.")


_SEED = flags.DEFINE_integer("seed", 0, "Seed of the random masks and latent starts.")


_CLASSIFIER = flags.DEFINE_string("classifier", None, "Optional classifier workdir"
                                  " (experiments.train_classifier): its accuracy on original,"
                                  " masked and repaired images.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  methods = _names(_METHODS.value, METHODS, "methods")
  _names(_MASKS.value, MASKS, "masks")
  config, workdir_list = _CONFIG.value, _WORKDIRS.value
  if (workdir_list is None) == (config is None and _WORKDIR.value is None):
    raise GenjaxError("give either --workdirs=DIR1,DIR2 (trained runs) or --config=configs/X.py"
                      " --workdir=DIR (trained first), not both nor neither")
  if workdir_list is None and (config is None or not _WORKDIR.value):
    raise GenjaxError("--config and --workdir go together: --config=configs/X.py --workdir=DIR")
  for name, value in (("num", _NUM.value), ("steps", _STEPS.value), ("restarts", _RESTARTS.value),
                      ("iterations", _ITERATIONS.value), ("batch", _BATCH.value)):
    if value <= 0:
      raise GenjaxError(f"--{name}={value} must be positive")
  classify = info = None
  if _CLASSIFIER.value:
    classify, info = run_lib.classifier(_CLASSIFIER.value)
  needs = NEEDS
  asked = methods if flags.FLAGS["methods"].present else ()  # Unasked, GANs skip 'iterate'.
  if workdir_list is None:
    check_model(run_lib.family_of(config), asked, "--config")
    paths = [_WORKDIR.value]
  else:
    paths = workdir_list
    for path in paths:  # Every run is checked before any is repaired.
      check_model(run_lib.open_run(path).family, asked, f"workdir {path!r}")
  rows, names = [], _run_names(paths)
  out = _OUT.value or os.path.join(paths[0], "inpaint")
  for path, name in zip(paths, names):
    trained = (apps.train_or_reuse(config, path, needs) if workdir_list is None
               else apps.load(path, needs))
    available = len(trained.dataset.eval_images)
    num = _NUM.value if flags.FLAGS["num"].present else min(_NUM.value, available)
    if num > available:
      raise GenjaxError(f"--num={num}: the eval split of {path!r} has {available} images")
    if info is not None and tuple(info.image_shape) != trained.family.data_info.shape:
      raise GenjaxError(f"--classifier={_CLASSIFIER.value} takes {info.image_shape} images, the"
                        f" model in {path!r} makes {trained.family.data_info.shape}")
    run_methods = [m for m in methods if m != "iterate" or "encode" in trained.family.predict]
    options = RepairOptions(_MASKS.value, _STEPS.value, _LR.value, _PRIOR_WEIGHT.value,
                            _RESTARTS.value, _ITERATIONS.value, _BATCH.value, _START.value)
    run_rows, figures = repair_run(trained, run_methods, num, _SEED.value, options, classify)
    for row in run_rows:
      row.update(run=name, num=num)
    rows += run_rows
    for kind, named_rows in figures.items():
      save_rows_figure(os.path.join(out, f"inpaint_{name}_{kind}.png"),
                       f"{name} ({trained.family.name}), {kind} mask", named_rows)
  settings = {"num": _NUM.value, "masks": _MASKS.value, "methods": methods, "steps": _STEPS.value,
              "lr": _LR.value, "prior_weight": _PRIOR_WEIGHT.value, "restarts": _RESTARTS.value,
              "iterations": _ITERATIONS.value, "start": _START.value, "seed": _SEED.value,
              "classifier": _CLASSIFIER.value, "baseline": "mean training image"}
  text = table(rows)
  apps.write_report(out, "inpaint", {"settings": settings, "rows": rows}, text)
  print(text)
  print(f"wrote {out}/inpaint.json, inpaint.md and {len(set((r['run'], r['mask']) for r in rows))}"
        " figures")


if __name__ == "__main__":
  cli.run(main)
