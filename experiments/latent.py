"""Latent-space tools: interpolation grids, the 2-D latent manifold and a scatter of the
encoded eval set, for trained VAE, VAE-GAN and GAN image models.

python -m experiments.latent --workdirs=/tmp/genjax/default,/tmp/genjax/dcgan
python -m experiments.latent --config=configs/default.py --workdir=/tmp/genjax/latent_vae2     --config.model.latent_dim=2

The flags and the main; what it computes and writes is in genjax/applications/latent.py
(pure functions, importable by tests and forks).
"""
import os
from absl import app
from absl import flags
from ml_collections import config_flags
from genjax.applications import common as apps
from genjax import cli
from genjax import logs as log_lib
from genjax.errors import GenjaxError
from genjax.applications.latent import (_models, analyse, markdown, tags)

_CONFIG = config_flags.DEFINE_config_file("config", None, "A config to train (with --workdir).")


_WORKDIR = flags.DEFINE_string("workdir", None, "Where --config trains (or has trained).")


_WORKDIRS = flags.DEFINE_list("workdirs", None, "Trained workdirs (vae, vaegan or gan), reused.")


_OUT = flags.DEFINE_string("out", None, "Output folder (default: first workdir + '/latent').")


_PAIRS = flags.DEFINE_integer("pairs", 8, "Interpolation rows.")


_STEPS = flags.DEFINE_integer("steps", 10, "Frames per interpolation row.")


_SEED = flags.DEFINE_integer("seed", 0, "Picks the pairs, the GAN prior draws and t-SNE.")


_EMBEDDING = flags.DEFINE_enum("embedding", "pca", ["pca", "tsne"], "Scatter embedding.")


_NUM_POINTS = flags.DEFINE_integer("num_points", 2000, "Eval images in the scatter and k-NN.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  for flag, value in (("--pairs", _PAIRS.value), ("--steps", _STEPS.value)):
    if value < 2:
      raise GenjaxError(f"{flag}={value} must be at least 2")
  if _NUM_POINTS.value < 1:
    raise GenjaxError(f"--num_points={_NUM_POINTS.value} must be positive")
  models = _models(_CONFIG.value, _WORKDIR.value, _WORKDIRS.value)
  outdir = _OUT.value or os.path.join(models[0][0], "latent")
  rows = []
  for (path, loader), tag in zip(models, tags([p for p, _ in models])):
    rows.append(analyse(loader(), tag, outdir, _PAIRS.value, _STEPS.value, _SEED.value,
                        _EMBEDDING.value, _NUM_POINTS.value))
  report = {"pairs": _PAIRS.value, "steps": _STEPS.value, "seed": _SEED.value,
            "embedding": _EMBEDDING.value, "num_points": _NUM_POINTS.value, "rows": rows}
  table = markdown(rows)
  apps.write_report(outdir, "latent", report, table)
  print(table)
  print(f"wrote {outdir}/latent.json, latent.md and "
        f"{sum(len(r['figures']) for r in rows)} figures")


if __name__ == "__main__":
  cli.run(main)
