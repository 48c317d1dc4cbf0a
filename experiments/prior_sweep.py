"""Samples of trained autoencoders under several latent priors, scored, with a copying check
(`genjax/applications/prior_sweep.py`).

python -m experiments.prior_sweep --workdirs=/tmp/genjax/vae_plain,/tmp/genjax/vaegan_pre \
    --priors=standard,gmm10,gmm25 --extractor=classifier \
    --extractor_path=/tmp/genjax/classifier_mnist10k --num=2000 --out=/tmp/genjax/prior_sweep

Writes OUT/prior_sweep.json and OUT/prior_sweep.md (OUT: --out, default <first workdir>/prior_sweep).
"""
import os

from absl import flags

from genjax.applications import common as apps
from genjax import cli
from genjax import logs as log_lib
from genjax.applications import prior_sweep
from genjax.evaluators import extractors
from genjax.evaluators import features

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Trained autoencoder workdirs (VAE, VAE-GAN).")
_PRIORS = flags.DEFINE_list("priors", ["standard", "gmm10"], "Latent priors: 'standard' or"
                            " 'gmm<K>'.")
_EXTRACTOR = flags.DEFINE_string("extractor", "classifier", "'classifier' or 'inception'.")
_EXTRACTOR_PATH = flags.DEFINE_string("extractor_path", "", "Its workdir or parameter file.")
_METRICS = flags.DEFINE_string("metrics", "fid,kid,score", "Sample metrics (features.METRICS).")
_NUM = flags.DEFINE_integer("num", 2000, "Samples per (workdir, prior).")
_SEED = flags.DEFINE_integer("seed", 0, "Key of the samples.")
_OUT = flags.DEFINE_string("out", "", "Output folder.")
flags.mark_flags_as_required(["workdirs"])


def main(argv):
  del argv
  log_lib.quiet_libraries()
  metrics = features.parse_metrics(_METRICS.value)
  extractor = extractors.load(_EXTRACTOR.value, _EXTRACTOR_PATH.value)
  report = prior_sweep.sweep(_WORKDIRS.value, _PRIORS.value, extractor, _NUM.value, _SEED.value,
                             metrics)
  out = _OUT.value or os.path.join(_WORKDIRS.value[0], "prior_sweep")
  table = prior_sweep.table(report)
  apps.write_report(out, "prior_sweep", report, table)
  print(f"{table}\nwrote {out}/prior_sweep.json, .md")


if __name__ == "__main__":
  cli.run(main)
