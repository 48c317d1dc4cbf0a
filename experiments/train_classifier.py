"""Trains the evaluation suite's classifier: python -m experiments.train_classifier --workdir=DIR
[--config=configs/classifier_mnist10k.py] [--config.a.b=value ...].

The same training as experiments.main (checkpoints, resume, devices, num_seeds), for configs
with model.name='classifier' only; it ends by printing the eval accuracy of the latest
checkpoint. `genjax.run.classifier(DIR)` then serves its features and class
probabilities (Frechet classifier distance, classifier score, class histograms).
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
from genjax.families import classifier

_CONFIG = config_flags.DEFINE_config_file("config", "configs/classifier_mnist10k.py",
                                          "Classifier config file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints and logs.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  config, workdir = _CONFIG.value, _WORKDIR.value
  classifier.check_trainable(config, "experiments.train_classifier")
  log_lib.log_config(config, families.default_config("classifier"),
                     config_flags.get_config_filename(flags.FLAGS["config"]))
  parallel.initialize(config.distributed)
  train.train_and_evaluate(config, workdir)
  step, metrics = workdirs.evaluate(workdir)
  if parallel.is_main_process():
    for key in sorted(k for k in metrics if k.endswith("accuracy")):
      xent = metrics.get(key[:-len("accuracy")] + "xent", float("nan"))
      print(f"{key} {metrics[key]:.4f} (xent {xent:.4f} nats) at step {step}: {workdir}")


if __name__ == "__main__":
  cli.run(main)
