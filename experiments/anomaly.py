"""One-class-out anomaly detection: for each digit d, a model trained on the training images
that are not d scores the eval images; anomalies are the eval images of d, normal the rest.
AUROC and average precision per held-out digit, mean and std over seeds.

python -m experiments.anomaly --config=configs/default.py --workdir=/tmp/genjax/anomaly/vae
python -m experiments.anomaly --studies=DIR1,DIR2 --out=DIR   # one table and figure of both

The flags and the main; what it computes and writes is in genjax/applications/anomaly.py
(pure functions, importable by tests and forks).
"""
from absl import app
from absl import flags
from ml_collections import config_flags
from genjax import cli
from genjax import logs as log_lib
from genjax.errors import GenjaxError
from genjax.applications.anomaly import (check_flags, combine, markdown, study, write)

_CONFIG = config_flags.DEFINE_config_file("config", None, "The model config to study.")


_WORKDIR = flags.DEFINE_string("workdir", None, "The study's folder (one run per digit).")


_DIGITS = flags.DEFINE_list("digits", [str(d) for d in range(10)], "Held-out digits.")


_SEEDS = flags.DEFINE_integer("seeds", 3, "Seeds per digit (config.seed, +1, ...).")


_SCORES = flags.DEFINE_list("scores", [], "Scores to compute (default: every one the model"
                            " provides).")


_IWAE_SAMPLES = flags.DEFINE_integer("iwae_samples", 100, "Importance samples of iwae.")


_STUDIES = flags.DEFINE_list("studies", [], "Finished study folders to combine (with --out).")


_OUT = flags.DEFINE_string("out", None, "Where --studies writes its combined report.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  if _STUDIES.value:
    if _CONFIG.value is not None or _WORKDIR.value or not _OUT.value:
      raise GenjaxError("--studies combines finished studies into --out; it takes no --config"
                        " or --workdir")
    report, outdir = combine(_STUDIES.value, _OUT.value), _OUT.value
  else:
    if _CONFIG.value is None or not _WORKDIR.value:
      raise GenjaxError("give --config and --workdir (a study), or --studies and --out")
    digits = check_flags(_DIGITS.value, _SEEDS.value, _SCORES.value, _IWAE_SAMPLES.value)
    report = study(_CONFIG.value, _WORKDIR.value, digits, _SEEDS.value, _SCORES.value,
                   _IWAE_SAMPLES.value)
    outdir = _OUT.value or _WORKDIR.value
  write(report, outdir)
  print(markdown(report["rows"]))
  print(f"wrote {outdir}/anomaly.json, anomaly.md and the figures")


if __name__ == "__main__":
  cli.run(main)
