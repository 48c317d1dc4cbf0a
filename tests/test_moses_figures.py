"""The molecule figures (genjax.metrics.moses_figures) and experiments.moses_metrics --figures.

Needs RDKit (the `molecules` extra); the main's run needs ChemNet's weights as
tests/test_moses.py makes them (skipped when it cannot).
"""
import os

import numpy as np
import pytest

from tests.conftest import MOSES_TINY, assert_one_line_error, run_main

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

pytest.importorskip("rdkit", reason="the MOSES figures need RDKit: pip install -e '.[molecules]'")
from PIL import Image  # pylint: disable=g-import-not-at-top
from genjax.errors import GenjaxError  # pylint: disable=g-import-not-at-top
from genjax.metrics import moses  # pylint: disable=g-import-not-at-top
from genjax.metrics import moses_figures  # pylint: disable=g-import-not-at-top
from tests.test_moses import weights  # pylint: disable=unused-import  (a fixture)

VALID = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "C1CCNCC1"]
INVALID = ["xyz", "C1CC", ""]
TEST = os.path.join(MOSES_TINY, "test.csv")
TRAIN = os.path.join(MOSES_TINY, "train.csv")


def test_grid_draws_valid_molecules_only(tmp_path):
  """5 valid among 3 invalid strings: 5 drawn, 3 skipped, one row of per_row cells."""
  path = str(tmp_path / "grid.png")
  mixed = [INVALID[0], *VALID[:2], *INVALID[1:], *VALID[2:]]
  assert moses_figures.molecule_grid(mixed, path, num=24, per_row=4, size=150) == {
      "drawn": 5, "skipped": 3}
  with Image.open(path) as image:
    assert image.format == "PNG" and image.size == (4 * 150, 2 * 150)


def test_grid_stops_at_num(tmp_path):
  path = str(tmp_path / "grid.png")
  assert moses_figures.molecule_grid(VALID + INVALID, path, num=3, per_row=2, size=100) == {
      "drawn": 3, "skipped": 0}
  with Image.open(path) as image:
    assert image.size == (200, 200)
  with pytest.raises(GenjaxError, match="no valid molecule to draw among 3 SMILES"):
    moses_figures.molecule_grid(INVALID, path)


def _properties(smiles):
  described = [moses.describe(moses.get_mol(s)) for s in smiles if moses.get_mol(s)]
  return {name: [d[name] for d in described] for name in moses.PROPERTIES}


def test_histogram_titles_are_the_w1_distances(tmp_path):
  reference = moses.read_smiles(TEST)[:60]
  generated = VALID + INVALID
  path = str(tmp_path / "properties.png")
  distances = moses_figures.property_histograms(generated, reference, path)
  assert os.path.getsize(path) > 10_000
  gen, ref = _properties(generated), _properties(reference)
  assert list(distances) == list(moses.PROPERTIES)
  for name, distance in distances.items():
    assert distance == pytest.approx(moses.wasserstein_1d(gen[name], ref[name]), abs=1e-12)
    assert distance > 0
  # The same set on both sides, reference given as reference_stats' arrays: all 0.
  stats = moses.reference_stats(reference, chemnet_path=None, cache_dir=None)
  same = moses_figures.property_histograms(reference, stats, path)
  assert all(abs(d) < 1e-12 for d in same.values()), same


def test_histograms_refuse_what_they_cannot_plot(tmp_path):
  path = str(tmp_path / "p.png")
  with pytest.raises(GenjaxError, match="no valid molecule among the 3 generated"):
    moses_figures.property_histograms(INVALID, VALID, path)
  stats = moses.reference_stats(VALID, chemnet_path=None, cache_dir=None, properties=False)
  with pytest.raises(GenjaxError, match="hold no logP, SA, QED, weight"):
    moses_figures.property_histograms(VALID, stats, path)
  assert not os.path.exists(path)


def test_main_writes_both_figures(tmp_path, weights):  # pylint: disable=redefined-outer-name
  smi = tmp_path / "gen.smi"
  smi.write_text("\n".join(VALID + INVALID[:2]) + "\n")
  out = tmp_path / "figs"
  result = run_main("experiments.moses_metrics", f"--smiles={smi}", f"--test={TEST}",
                    f"--figures={out}", f"--chemnet={weights[0]}",
                    f"--cache_dir={tmp_path / 'cache'}")
  assert result.returncode == 0, result.stderr[-2000:]
  for name in ("molecules.png", "properties.png"):
    assert f"wrote {out / name}" in result.stdout, result.stdout
    with Image.open(out / name) as image:
      assert image.format == "PNG"
  assert "5 molecules (2 invalid SMILES skipped)" in result.stdout


def test_main_refuses_figures_without_test(tmp_path):
  result = run_main("experiments.moses_metrics", f"--smiles={TRAIN}",
                    f"--figures={tmp_path / 'figs'}")
  assert_one_line_error(result, "--figures needs --test")
  assert not (tmp_path / "figs").exists()
