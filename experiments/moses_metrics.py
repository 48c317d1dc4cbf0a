"""The MOSES metrics of a file of generated SMILES, as a Markdown table (and JSON).

python -m experiments.moses_metrics --smiles=FILE --train=train.csv.gz --test=test.csv.gz \
    --test_sf=test_scaffolds.csv.gz [--out=metrics.json] [--n_jobs=2] [--figures=DIR]

Files: .smi (one SMILES per line) or .csv / .csv.gz with a SMILES column (MOSES' splits come
in the molsets wheel: `pip download molsets==0.3.1 --no-deps`, moses/dataset/data/). The test
sets' statistics are cached under --cache_dir (the first run on MOSES' test sets takes ~30 min
on 2 CPU cores). --draw=N scores N SMILES drawn as MOSES' known answer does,
smiles[RandomState(--draw_seed).permutation(len(smiles))[:N]]. --figures=DIR writes
DIR/molecules.png (the first 24 valid molecules drawn) and DIR/properties.png (logP, SA, QED
and weight histograms against --test, which it needs).
Needs the `molecules` extra and ChemNet's weights (experiments.convert_chemnet).
"""
import json
import os
import time

import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax.errors import GenjaxError
from genjax.feature_nets import chemnet
from genjax.metrics import moses
from genjax.metrics import moses_figures

_SMILES = flags.DEFINE_string("smiles", None, "Generated SMILES: .smi, .csv or .csv.gz.")
_TRAIN = flags.DEFINE_string("train", None, "Training SMILES (Novelty); empty: no Novelty.")
_TEST = flags.DEFINE_string("test", None, "Test SMILES (*/Test, properties); empty: none.")
_TEST_SF = flags.DEFINE_string("test_sf", None, "Scaffold-test SMILES (*/TestSF); empty: none.")
_OUT = flags.DEFINE_string("out", None, "Write the metrics here as JSON too.")
_DRAW = flags.DEFINE_integer("draw", 0, "Score this many SMILES drawn from --smiles (0: all).")
_DRAW_SEED = flags.DEFINE_integer("draw_seed", 0, "numpy RandomState seed of --draw.")
_N_JOBS = flags.DEFINE_integer("n_jobs", 1, "Processes for RDKit's per-molecule work.")
_CHEMNET = flags.DEFINE_string("chemnet", chemnet.DEFAULT_PATH, "ChemNet parameter file.")
_CACHE = flags.DEFINE_string("cache_dir", moses.CACHE_DIR, "Reference statistics cache.")
_FIGURES = flags.DEFINE_string("figures", None, "Write molecules.png and properties.png (needs"
                               " --test) into this folder.")
flags.mark_flags_as_required(["smiles"])


def markdown(metrics: dict) -> str:
  rows = ["| metric | value |", "|---|---|"]
  rows += [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
  return "\n".join(rows)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  check_figures_flags()
  start = time.time()
  smiles = moses.read_smiles(_SMILES.value)
  if _DRAW.value:
    smiles = [smiles[i] for i in
              np.random.RandomState(_DRAW_SEED.value).permutation(len(smiles))[:_DRAW.value]]
  read = lambda path: moses.read_smiles(path) if path else None
  test = read(_TEST.value)
  test_stats = None if test is None else moses.reference_stats(  # Shared with --figures.
      test, _CHEMNET.value, _CACHE.value, _N_JOBS.value)
  metrics = moses.all_metrics(smiles, read(_TRAIN.value), None, read(_TEST_SF.value),
                              test_stats=test_stats, chemnet_path=_CHEMNET.value,
                              cache_dir=_CACHE.value, n_jobs=_N_JOBS.value)
  print(f"{len(smiles)} SMILES from {_SMILES.value}; {time.time() - start:.0f} s")
  print(markdown(metrics))
  if _OUT.value:
    with open(_OUT.value, "w") as f:
      json.dump(metrics, f, indent=1)
  if _FIGURES.value:
    write_figures(smiles, test_stats, _FIGURES.value)


def check_figures_flags():
  """Refuses --figures without --test, or naming a file, before any work."""
  if _FIGURES.value is None:
    return
  if not _FIGURES.value:
    raise GenjaxError("--figures is empty: give the folder to write the PNGs into")
  if not _TEST.value:
    raise GenjaxError("--figures needs --test: the property histograms compare with the"
                      " test set")
  if os.path.exists(_FIGURES.value) and not os.path.isdir(_FIGURES.value):
    raise GenjaxError(f"--figures={_FIGURES.value} is a file, not a folder")


def write_figures(smiles, test_stats, outdir: str):
  """outdir/molecules.png and outdir/properties.png, each path printed as written."""
  path = os.path.join(outdir, "molecules.png")
  grid = moses_figures.molecule_grid(smiles, path)
  print(f"wrote {path}: {grid['drawn']} molecules ({grid['skipped']} invalid SMILES skipped)")
  path = os.path.join(outdir, "properties.png")
  distances = moses_figures.property_histograms(smiles, test_stats, path, n_jobs=_N_JOBS.value)
  print(f"wrote {path}: W1 " + ", ".join(f"{k} {v:.4g}" for k, v in distances.items()))


if __name__ == "__main__":
  cli.run(main)
