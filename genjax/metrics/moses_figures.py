"""Figures of generated molecules for a chemist to look at: a grid of drawn molecules (RDKit)
and histograms of logP, SA, QED and weight against a reference set, each titled with the
MOSES property distance (Wasserstein-1, genjax.metrics.moses.wasserstein_1d)."""
import os

import numpy as np

from genjax.errors import GenjaxError
from genjax.metrics import moses

AXIS_LABELS = {"logP": "logP (Crippen, octanol/water)", "SA": "SA score (1 easy .. 10 hard)",
               "QED": "QED (drug-likeness, 0 .. 1)", "weight": "molecular weight (Da)"}
BINS = 40
_LEGEND_CHARS = 32     # Longer SMILES legends overflow a 200-pixel cell; they are cut.


def _legend(index: int, smiles: str) -> str:
  text = f"{index}: {smiles}"
  return text if len(text) <= _LEGEND_CHARS else text[:_LEGEND_CHARS - 3] + "..."


def molecule_grid(smiles, path: str, num: int = 24, per_row: int = 6, size: int = 200) -> dict:
  """Draws the first `num` valid molecules of `smiles` (RDKit's MolsToGridImage; legends
  '<index in smiles>: <SMILES>') into the PNG `path`: per_row * size pixels wide,
  ceil(drawn / per_row) * size high. Invalid strings are skipped.

  Returns {'drawn': molecules drawn, 'skipped': invalid strings met before the last drawn}."""
  smiles = list(smiles)
  if num < 1 or per_row < 1 or size < 1:
    raise GenjaxError(f"molecule_grid needs num, per_row, size >= 1, got {num}, {per_row}, {size}")
  mols, legends, skipped = [], [], 0
  for index, s in enumerate(smiles):
    if len(mols) == num:
      break
    mol = moses.get_mol(s) if isinstance(s, str) else None
    if mol is None:
      skipped += 1
      continue
    mols.append(mol)
    legends.append(_legend(index, s))
  if not mols:
    raise GenjaxError(f"no valid molecule to draw among {len(smiles)} SMILES")
  from rdkit.Chem import Draw  # pylint: disable=import-outside-toplevel
  image = Draw.MolsToGridImage(mols, molsPerRow=per_row, subImgSize=(size, size),
                               legends=legends)
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  image.save(path)
  return {"drawn": len(mols), "skipped": skipped}


def _reference_properties(reference, n_jobs: int) -> dict:
  """{property: float64_R} of the R valid reference molecules, given as SMILES (described as
  reference_stats does) or as a mapping that holds them (reference_stats' output)."""
  if not hasattr(reference, "keys"):
    reference = moses.reference_stats(reference, chemnet_path=None, cache_dir=None,
                                      n_jobs=n_jobs)
  missing = [name for name in moses.PROPERTIES if name not in reference]
  if missing:
    raise GenjaxError(f"the reference statistics hold no {', '.join(missing)}: compute them"
                      " with moses.reference_stats(..., properties=True)")
  return {name: np.asarray(reference[name], np.float64) for name in moses.PROPERTIES}


def property_histograms(generated_smiles, reference, path: str, reference_name: str = "Test",
                        n_jobs: int = 1) -> dict:
  """A 2x2 PNG at `path` of normalized histograms (shared bins) of logP, SA, QED and
  molecular weight (Da) of the valid generated molecules against the reference set; each
  panel's title gives the property's Wasserstein-1 distance, as all_metrics reports it.

  reference: reference SMILES, or reference_stats' output (which holds the properties, so a
  large test set is not described again). Returns {property: W1 distance}."""
  generated = moses.property_values(generated_smiles, n_jobs)
  if not len(generated["logP"]):
    raise GenjaxError(f"no valid molecule among the {len(generated_smiles)} generated SMILES"
                      " to draw property histograms of")
  ref = _reference_properties(reference, n_jobs)
  from genjax.applications import common as apps  # pylint: disable=import-outside-toplevel
  fig, axes = apps.figure(2, 2, figsize=(11, 8))
  distances = {}
  for ax, name in zip(axes.ravel(), moses.PROPERTIES):
    distances[name] = moses.wasserstein_1d(generated[name], ref[name])
    bins = np.histogram_bin_edges(np.concatenate([generated[name], ref[name]]), BINS)
    ax.hist(ref[name], bins, density=True, color="0.7",
            label=f"{reference_name} (n={len(ref[name]):,})")
    ax.hist(generated[name], bins, density=True, histtype="step", linewidth=1.8,
            color="tab:blue", label=f"generated (n={len(generated[name]):,})")
    ax.set_title(f"{name}: W1 = {distances[name]:.4g}")
    ax.set_xlabel(AXIS_LABELS[name])
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
  fig.tight_layout()
  apps.save_figure(fig, path)
  return distances

