"""Evaluates a workdir's latest checkpoint on its eval split and writes the metrics as JSON.

python -m experiments.evaluate --workdir=DIR [--out=FILE.json] [--config.eval.iwae_examples=N]

For VAEs: negative ELBO and importance-sampled NLL (nats and bits/dim).
"""
import json
import sys

from absl import app
from absl import flags
from absl import logging

from genjax import data as data_lib
from genjax import logging as log_lib
from genjax import train
from genjax.data import pipeline
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_OUT = flags.DEFINE_string("out", "", "JSON output file (default: DIR/eval_<step>.json).")
_OVERRIDES = flags.DEFINE_multi_string(
    "set", [], "Override an eval field of the saved config, e.g. --set=eval.iwae_examples=500.")
flags.mark_flags_as_required(["workdir"])


def evaluate_workdir(workdir: str, overrides=()):
  """(step, metrics) of the latest checkpoint of `workdir`."""
  config, image_shape, num_classes = train.load_run_config(workdir)
  for item in overrides:
    key, _, value = item.partition("=")
    section, _, field = key.partition(".")
    if section != "eval" or field not in config.eval:
      raise GenjaxError(f"--set={item!r}: only eval fields can be set ({', '.join(config.eval)})")
    config.eval[field] = type(config.eval[field])(value)
  family = train.build(config, image_shape, num_classes)
  state = train.restore_latest(family, config, workdir)
  dataset = data_lib.load(config.data)
  eval_x = None
  if dataset.eval_images is not None:
    eval_x = pipeline.fixed_eval_images(dataset.eval_images, config.seed, config.data)
  return int(state.step), family.evaluate(state, eval_x)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  try:
    step, metrics = evaluate_workdir(_WORKDIR.value, _OVERRIDES.value)
  except GenjaxError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  out = _OUT.value or f"{_WORKDIR.value}/eval_{step}.json"
  with open(out, "w") as f:
    json.dump({"step": step, **metrics}, f, indent=2)
  logging.info("step %d: %s -> %s", step, metrics, out)
  print(json.dumps({"step": step, **metrics}))


if __name__ == "__main__":
  app.run(main)
