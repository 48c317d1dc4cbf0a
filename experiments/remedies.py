"""The mode-collapse remedies, measured: a GAN config trained as shipped and with each
remedy (gradient penalty, per-layer noise in G, n_critic 2 and 5, PacGAN packs of 2 and 4),
several seeds each, every replica scored (2-D mixtures: modes and high quality; images: FCD
and classes covered in a genjax classifier's features). The gradient penalty trains a D
without batch norm, as WGAN-GP's: on a DCGAN D with batch norm (dcgan_digits) it turns it
off, and the table's notes say so.

python -m experiments.remedies --config=configs/gan_ring8.py --workdir=/tmp/genjax/remedies/ring8
python -m experiments.remedies --config=configs/dcgan_digits.py --workdir=DIR \
    --extractor_path=/work/classifier_digits --num_samples=360

Writes DIR/remedies.json and DIR/remedies.md and prints the table; rerunning resumes. The
remedies and the scoring are in genjax/applications/remedies.py.
"""
from absl import app
from absl import flags
from ml_collections import config_flags

from genjax.applications import common as apps
from genjax import cli
from genjax import logs as log_lib
from genjax.applications import remedies
from genjax.errors import GenjaxError

_CONFIG = config_flags.DEFINE_config_file("config", "configs/gan_ring8.py", "A GAN config.")
_WORKDIR = flags.DEFINE_string("workdir", None, "The study's folder (one run per remedy).")
_SEEDS = flags.DEFINE_integer("seeds", 5, "Seeds per remedy (config.seed, +1, ...).")
_VARIANTS = flags.DEFINE_string("variants", ",".join(remedies.VARIANTS),
                                "Comma-separated remedies to train.")
_EXTRACTOR_PATH = flags.DEFINE_string("extractor_path", "", "Images: a classifier workdir.")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 2000, "Images: samples scored per seed.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  variants = remedies.parse_variants(_VARIANTS.value)
  if _SEEDS.value < 1:
    raise GenjaxError(f"--seeds={_SEEDS.value} must be >= 1")
  report = remedies.run(_CONFIG.value, _WORKDIR.value, _SEEDS.value, variants,
                        _EXTRACTOR_PATH.value, _NUM_SAMPLES.value)
  table = remedies.markdown(report)
  apps.write_report(_WORKDIR.value, "remedies", report, table)
  print(table)


if __name__ == "__main__":
  cli.run(main)
