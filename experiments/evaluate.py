"""Evaluates a workdir's latest checkpoint on its eval split and writes the metrics as JSON.

python -m experiments.evaluate --workdir=DIR [--out=FILE.json] [--set=evals.nll.iwae_examples=N]

Runs the evaluators of the run's `config.evals`, the same as training does (VAEs: negative
ELBO and importance-sampled NLL; 2-D GANs: mode coverage).
"""
import json

from absl import app
from absl import flags
from absl import logging

from genjax import cli
from genjax import logging as log_lib
from genjax import workdirs
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_OUT = flags.DEFINE_string("out", "", "JSON output file (default: DIR/eval_<step>.json).")
_OVERRIDES = flags.DEFINE_multi_string(
    "set", [], "Override an evaluator option of the saved config, e.g."
    " --set=evals.nll.iwae_examples=500.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  try:
    step, metrics = workdirs.evaluate(_WORKDIR.value, _OVERRIDES.value)
  except GenjaxError as e:
    cli.fail(e)
  out = _OUT.value or f"{_WORKDIR.value}/eval_{step}.json"
  with open(out, "w") as f:
    json.dump({"step": step, **metrics}, f, indent=2)
  logging.info("step %d: %s -> %s", step, metrics, out)
  print(json.dumps({"step": step, **metrics}))


if __name__ == "__main__":
  cli.run(main)
