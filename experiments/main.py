"""Trains a config: python -m experiments.main --config=configs/X.py --workdir=DIR.

Override any field with --config.a.b=value; rerunning with the same --workdir resumes.
--config=DIR/config.json (a run's saved config) reruns that run, overrides applied.
--add_eval=NAME=TYPE adds an evaluator, --set=evals.NAME.FIELD=VALUE sets its options.
Multi-process: start one per host (or per process on one host) with the same flags plus
--config.distributed.num_processes=N --config.distributed.process_id=I
--config.distributed.coordinator_address=HOST0:PORT (or --config.distributed.auto).
"""

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from genjax import cli
from genjax import families
from genjax import logs as log_lib
from genjax import parallel
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError

_CONFIG = cli.define_config_file("config", "configs/default.py", "Training config file"
                                 " (configs/*.py), or a run's saved DIR/config.json to rerun it.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs and samples.")
_ALLOW_LOSS_CHANGES = flags.DEFINE_bool(
    "allow_loss_changes", False, "Resume a workdir with loss fields that differ from its saved"
    " config.json (refused otherwise; model and data fields may never change).")
_ADD_EVAL = flags.DEFINE_multi_string(
    "add_eval", [], "Add an evaluator to the config: NAME=TYPE (genjax/evaluators: nll, modes,"
    " accuracy, features, moses), its options at their defaults; logged as eval/NAME/<metric>.")
_SET = flags.DEFINE_multi_string(
    "set", [], "Set an option of an evaluator, also one added with --add_eval:"
    " evals.NAME.FIELD=VALUE (e.g. --set=evals.fid.metrics=fid,kid).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  config = _CONFIG.value
  try:
    log_lib.log_config(config, families.default_config(config.get("model", {}).get("name")),
                       config_flags.get_config_filename(flags.FLAGS["config"]))
    workdirs.add_evaluators(_CONFIG.value, _ADD_EVAL.value, _SET.value)
    parallel.initialize(_CONFIG.value.distributed)
    train.train_and_evaluate(_CONFIG.value, _WORKDIR.value, _ALLOW_LOSS_CHANGES.value)
  except GenjaxError as e:
    cli.fail(e)


if __name__ == "__main__":
  cli.run(main)
