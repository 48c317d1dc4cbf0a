"""Samples from a trained workdir's latest checkpoint.

python -m experiments.sample --workdir=DIR --num=N --out=FILE.png|.npy|.smi|.csv [--seed=S]
    [--label=C] [--seed_index=I] [--temperature=T] [--prior=gmm10]

`.png` writes an image grid; `.npy` writes float32 NxHxWxC images in the training value
range (a sequence model: int32 NxT token rows). A SMILES model writes `.smi` (one SMILES per
line) or `.csv` (a `SMILES` column). The same checkpoint and seed always give the same
samples. `--prior=gmm<K>` decodes an autoencoder's latents drawn from a K-component Gaussian
mixture fitted to its encoded training set instead of N(0, I) (`genjax.latent_prior`).
"""
import os

import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax import workdirs
from genjax.data import smiles
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_NUM = flags.DEFINE_integer("num", 64, "Number of samples.")
_OUT = flags.DEFINE_string("out", None, "Output file: .png (grid), .npy (array), .smi or .csv"
                           " (SMILES).")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")
_LABEL = flags.DEFINE_integer("label", -1, "Class of every sample (conditional models only).")
_SEED_INDEX = flags.DEFINE_integer("seed_index", 0,
                                   "Replica to sample from a run trained with num_seeds > 1.")
_TEMPERATURE = flags.DEFINE_float("temperature", 1.0, "Sequence models: softmax temperature of"
                                  " each drawn token (0: the most likely one).")
_PRIOR = flags.DEFINE_string("prior", "standard", "Latent prior of an autoencoder's samples:"
                             " 'standard' (N(0, I)) or 'gmm<K>' (fitted to the encoded"
                             " training set).")
flags.mark_flags_as_required(["workdir", "out"])
TEXT = (".smi", ".csv")


def write_smiles(path: str, molecules) -> None:
  """One SMILES per line (.smi), or a CSV with a SMILES column (.csv)."""
  with open(path, "w") as f:
    if path.endswith(".csv"):
      f.write("SMILES\n")
    f.write("".join(m + "\n" for m in molecules))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  out = _OUT.value
  try:
    if not out.endswith((".png", ".npy") + TEXT):
      raise GenjaxError(f"--out={out!r} must end in .png (grid), .npy (array), .smi or .csv"
                        " (SMILES of a sequence model)")
    info = run_lib.read_data_info(_WORKDIR.value)
    if out.endswith(TEXT) and not info.is_sequence:
      raise GenjaxError(f"--out={out!r}: {_WORKDIR.value!r} holds an image model, not a SMILES"
                        " model: use .png or .npy")
    if _TEMPERATURE.value != 1.0 and not info.is_sequence:
      raise GenjaxError("--temperature applies to sequence models only")
    if _TEMPERATURE.value < 0:
      raise GenjaxError(f"--temperature={_TEMPERATURE.value} must be >= 0")
    if out.endswith(".png") and info.is_sequence:
      raise GenjaxError(f"--out={out!r}: a SMILES model writes .smi, .csv or .npy (tokens)")
    images = workdirs.sample(_WORKDIR.value, _NUM.value, _SEED.value, _LABEL.value,
                              _SEED_INDEX.value, _TEMPERATURE.value, _PRIOR.value)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if out.endswith(TEXT):
      write_smiles(out, smiles.Vocab(info.vocab).decode(images))
    elif out.endswith(".npy"):
      np.save(out, images)
    else:
      config, image_shape, _ = run_lib.read_config(_WORKDIR.value)
      if len(image_shape) != 3:
        raise GenjaxError(f"{_WORKDIR.value!r} holds a model of {image_shape} points, not images:"
                          " use --out=FILE.npy")
      log_lib.save_image_grid(out, images, config.data.value_range)
  except GenjaxError as e:
    cli.fail(e)
  print(f"wrote {len(images)} samples to {out}")


if __name__ == "__main__":
  cli.run(main)
