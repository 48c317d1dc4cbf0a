"""The MOSES metrics (Polykovskiy et al. 2020, "Molecular Sets (MOSES): A Benchmarking Platform
for Molecular Generation Models") of generated SMILES against reference sets.

The conventions are those of MOSES' reference code (molsets 0.3.1, moses/metrics/metrics.py
and utils.py; MIT), which its published tables come from:
- a SMILES is valid when RDKit parses and sanitizes it (an empty string is not);
- every metric after `valid` is over the valid ones, duplicates kept, as canonical SMILES
  (RDKit's MolToSmiles) re-parsed into molecules; unique@k counts the canonical SMILES among
  the first k valid, novelty the re-canonicalized ones against the training SMILES *as given*;
- fingerprints are Morgan, radius 2, 1024 bits (RDKit's GetMorganFingerprintAsBitVect);
  Tanimoto of two empty fingerprints is 1; it is computed in float32 as MOSES does (torch);
- FCD, SNN, Frag, Scaf and the property distances compare with a reference set whose
  statistics (`reference_stats`) are computed once and cached, like MOSES' test_stats.npz.
The property distances (logP, SA, QED, weight) are the 1-D Wasserstein-1 distances that MOSES
computes (scipy.stats.wasserstein_distance), between the generated and reference values.

RDKit parses and describes molecules (the `molecules` extra); the pairwise Tanimoto maths is
jitted JAX on packed fingerprints, in chunks. FCD runs ChemNet in JAX (genjax.feature_nets.chemnet).
"""
import csv
import functools
import gzip
import hashlib
import importlib.resources
import multiprocessing
import os
import sys
import warnings
from collections import Counter

import jax
import jax.numpy as jnp
import numpy as np

from genjax.errors import GenjaxError
from genjax.feature_nets import chemnet
from genjax.metrics import frechet

FP_BITS = 1024                # Morgan fingerprint length, bits.
FP_RADIUS = 2
PROPERTIES = ("logP", "SA", "QED", "weight")
FILTER_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
STATS_FORMAT = "genjax-moses-stats-v1"
# Metric groups chosen_metrics computes (all_metrics: all of them); the reference ones' names.
GROUPS = ("valid", "unique", "novelty", "fcd", "snn", "frag", "scaf", "intdiv", "filters",
          "properties")
REFERENCE_GROUPS = {"fcd": "FCD", "snn": "SNN", "frag": "Frag", "scaf": "Scaf"}
CACHE_DIR = os.path.join("~", ".cache", "genjax")
_CHUNK = 4096                 # Fingerprints per side of one Tanimoto block.


def _rdkit():
  """RDKit's modules, or a one-line GenjaxError saying how to get them."""
  try:
    from rdkit import Chem, RDConfig, RDLogger  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise GenjaxError("the MOSES metrics need RDKit: pip install -e '.[molecules]'") from None
  RDLogger.DisableLog("rdApp.*")   # Invalid SMILES are expected; one log line each otherwise.
  return Chem, RDConfig


@functools.lru_cache(maxsize=None)
def _tools():
  """RDKit functions used per molecule (imported once per process)."""
  Chem, RDConfig = _rdkit()
  from rdkit.Chem import Crippen, Descriptors, QED, rdFingerprintGenerator  # pylint: disable=import-outside-toplevel
  from rdkit.Chem.Scaffolds import MurckoScaffold  # pylint: disable=import-outside-toplevel
  sa_dir = os.path.join(RDConfig.RDContribDir, "SA_Score")   # Ertl & Schuffenhauer 2009.
  if sa_dir not in sys.path:
    sys.path.append(sa_dir)
  try:
    import sascorer  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise GenjaxError(f"RDKit's Contrib SA_Score is missing ({sa_dir}): install the rdkit"
                      " wheel (pip install -e '.[molecules]')") from None
  morgan = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
  return dict(Chem=Chem, morgan=morgan, murcko=MurckoScaffold, logP=Crippen.MolLogP,
              SA=sascorer.calculateScore, QED=QED.qed, weight=Descriptors.MolWt)


def check_tools() -> None:
  """Raises the one-line GenjaxError of a missing RDKit (or its Contrib SA_Score)."""
  _tools()


def get_mol(smiles: str):
  """MOSES' get_mol: the sanitized RDKit molecule, or None (invalid or empty)."""
  Chem = _tools()["Chem"]
  if not smiles:
    return None
  mol = Chem.MolFromSmiles(smiles)
  if mol is None:
    return None
  try:
    Chem.SanitizeMol(mol)
  except ValueError:
    return None
  return mol


def canonical(smiles: str):
  """RDKit's canonical SMILES of a valid SMILES, else None (MOSES' canonic_smiles)."""
  mol = get_mol(smiles)
  return None if mol is None else _tools()["Chem"].MolToSmiles(mol)


def fragments(mol) -> list:
  """SMILES of the BRICS fragments of `mol` (RDKit's FragmentOnBRICSBonds; MOSES' fragmenter)."""
  from rdkit.Chem import AllChem  # pylint: disable=import-outside-toplevel
  return _tools()["Chem"].MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split(".")


def scaffold(mol, min_rings: int = 2):
  """Canonical SMILES of the Bemis-Murcko scaffold of `mol`, None when it has fewer than
  `min_rings` rings (MOSES' compute_scaffold: acyclic and one-ring scaffolds do not count)."""
  t = _tools()
  try:
    scaf = t["murcko"].GetScaffoldForMol(mol)
  except (ValueError, RuntimeError):
    return None
  smiles = t["Chem"].MolToSmiles(scaf)
  if not smiles or scaf.GetRingInfo().NumRings() < min_rings:
    return None
  return smiles


@functools.lru_cache(maxsize=None)
def _filter_patterns() -> tuple:
  """MOSES' MCF (22) and PAINS (480) SMARTS, parsed (vendored: genjax/metrics/moses_data)."""
  Chem = _tools()["Chem"]
  data = importlib.resources.files("genjax.metrics") / "moses_data"
  with (data / "mcf.csv").open() as f:
    smarts = [row["smarts"] for row in csv.DictReader(f)]
  with (data / "wehi_pains.csv").open() as f:
    smarts += [row[0] for row in csv.reader(f) if row]
  return tuple(Chem.MolFromSmarts(s.strip()) for s in smarts)


def passes_filters(mol) -> bool:
  """MOSES' mol_passes_filters: no ring of 8+ atoms, no formal charge, only C N S O F Cl Br H,
  no MCF or PAINS substructure (matched with explicit hydrogens), and a non-isomeric SMILES
  that parses again."""
  Chem = _tools()["Chem"]
  if mol is None:
    return False
  ring_info = mol.GetRingInfo()
  if ring_info.NumRings() and any(len(r) >= 8 for r in ring_info.AtomRings()):
    return False
  atoms = list(mol.GetAtoms())
  if any(a.GetFormalCharge() != 0 for a in atoms):
    return False
  if any(a.GetSymbol() not in FILTER_ATOMS for a in atoms):
    return False
  h_mol = Chem.AddHs(mol)
  if any(h_mol.HasSubstructMatch(p) for p in _filter_patterns()):
    return False
  smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
  return bool(smiles) and Chem.MolFromSmiles(smiles) is not None


def describe(mol, properties: bool = True, filters: bool = False) -> dict:
  """What the metrics need of one valid molecule: canonical SMILES `smiles`, packed Morgan
  fingerprint `fp` (uint8_128), BRICS `frags`, `scaffold` (or None), with properties=True
  logP, SA, QED, weight, and with filters=True `filters` (passes_filters)."""
  t = _tools()
  out = {"smiles": t["Chem"].MolToSmiles(mol),
         "fp": np.packbits(t["morgan"].GetFingerprintAsNumPy(mol).astype(bool)),
         "frags": fragments(mol), "scaffold": scaffold(mol)}
  if properties:
    out.update({name: float(t[name](mol)) for name in PROPERTIES})
  if filters:
    out["filters"] = passes_filters(mol)
  return out


def _describe_generated(smiles: str, properties: bool = True, filters: bool = True):
  """(first canonical SMILES, describe(re-parsed molecule)) of a generated SMILES, None if
  invalid. MOSES canonicalizes, then parses the canonical SMILES again for every later metric."""
  canon = canonical(smiles)
  if canon is None:
    return None
  mol = get_mol(canon)    # Never None in practice; MOSES would fail on it, genjax drops it.
  return None if mol is None else (canon, describe(mol, properties, filters))


def _describe_reference(smiles: str, properties: bool = True):
  mol = get_mol(smiles)
  return None if mol is None else describe(mol, properties)


def property_values(smiles_list, n_jobs: int = 1) -> dict:
  """{logP, SA, QED, weight: float64_V} of the V valid SMILES (in order, duplicates kept),
  computed as all_metrics does for generated molecules (on the re-parsed canonical SMILES)."""
  smiles_list = _check_smiles(smiles_list, "generated")
  describe_fn = functools.partial(_describe_generated, properties=True, filters=False)
  described = [d for _, d in filter(None, _map(describe_fn, smiles_list, n_jobs))]
  return {name: np.array([d[name] for d in described], np.float64) for name in PROPERTIES}


def _map(fn, items, n_jobs: int) -> list:
  """[fn(x) for x in items], over n_jobs processes (spawned: JAX's threads do not fork)."""
  if n_jobs <= 1 or len(items) < 2000:
    return [fn(x) for x in items]
  with multiprocessing.get_context("spawn").Pool(n_jobs) as pool:
    return pool.map(fn, items, chunksize=1000)


# ------------------------------------------------------------------- set-level metrics


def fraction_valid(smiles_list) -> float:
  """valid: the fraction of the SMILES that RDKit parses and sanitizes."""
  smiles_list = _check_smiles(smiles_list, "generated")
  return sum(get_mol(s) is not None for s in smiles_list) / len(smiles_list)


def fraction_unique(canonical_list, k=None) -> float:
  """unique@k: distinct canonical SMILES among the first k valid ones / min(k, #valid)
  (MOSES warns and uses all of them when fewer than k are valid)."""
  if k is not None:
    if len(canonical_list) < k:
      warnings.warn(f"unique@{k} of only {len(canonical_list)} valid molecules")
    canonical_list = canonical_list[:k]
  return len(set(canonical_list)) / len(canonical_list)


def novelty(canonical_list, train_smiles) -> float:
  """Novelty: the fraction of the distinct valid canonical SMILES absent from the training
  SMILES (as given: MOSES does not canonicalize the training set)."""
  distinct = set(canonical_list)
  return len(distinct - set(train_smiles)) / len(distinct)


@functools.partial(jax.jit, static_argnames=("agg", "p"))
def _tanimoto_block(ref_RxW, ref_valid_R, gen_GxW, agg, p):
  """Per generated fingerprint: max (agg='max') or sum (agg='sum') over the valid reference
  rows of Tanimoto^p. ref/gen: packed uint8 fingerprints, W = bits / 8."""
  unpack = lambda x: jnp.unpackbits(x, axis=-1).astype(jnp.float32)
  r, g = unpack(ref_RxW), unpack(gen_GxW)
  both_RxG = jnp.dot(r, g.T, precision=jax.lax.Precision.HIGHEST)
  either_RxG = r.sum(1)[:, None] + g.sum(1)[None] - both_RxG
  jac = jnp.where(either_RxG == 0, 1.0, both_RxG / jnp.where(either_RxG == 0, 1, either_RxG))
  jac = jac ** p if p != 1 else jac
  if agg == "max":
    return jnp.max(jnp.where(ref_valid_R[:, None], jac, -1.0), 0)
  return jnp.sum(jnp.where(ref_valid_R[:, None], jac, 0.0), 0)


def _pad(fp_NxW, n):
  return np.concatenate([fp_NxW, np.zeros((n - len(fp_NxW), fp_NxW.shape[1]), np.uint8)])


def agg_tanimoto(ref_fp_RxW, gen_fp_GxW, agg: str = "max", p: int = 1) -> np.ndarray:
  """float64 per-generated aggregate of Tanimoto similarity to the reference fingerprints:
  agg='max': max_r T(g, r); agg='mean': (mean_r T(g, r)^p)^(1/p) (MOSES' average_agg_tanimoto
  before its final mean). Fingerprints packed (np.packbits), uint8_NxW."""
  ref, gen = np.asarray(ref_fp_RxW, np.uint8), np.asarray(gen_fp_GxW, np.uint8)
  if not len(ref) or not len(gen):
    raise GenjaxError(f"Tanimoto of empty fingerprint sets: {len(ref)} reference,"
                      f" {len(gen)} generated")
  chunk = min(_CHUNK, max(len(ref), len(gen)))
  out = np.full(len(gen), -1.0) if agg == "max" else np.zeros(len(gen))
  for i in range(0, len(gen), chunk):
    g = _pad(gen[i:i + chunk], chunk)
    n = min(chunk, len(gen) - i)
    for j in range(0, len(ref), chunk):
      r = ref[j:j + chunk]
      valid = np.arange(chunk) < len(r)
      block = np.asarray(_tanimoto_block(_pad(r, chunk), valid, g, "max" if agg == "max"
                                         else "sum", p), np.float64)[:n]
      out[i:i + n] = np.maximum(out[i:i + n], block) if agg == "max" else out[i:i + n] + block
  if agg == "mean":
    out = (out / len(ref)) ** (1 / p)
  return out


def snn(gen_fp_GxW, ref_fp_RxW) -> float:
  """SNN: mean over generated molecules of the Tanimoto similarity to the nearest reference
  molecule (Morgan r=2, 1024 bits)."""
  return float(np.mean(agg_tanimoto(ref_fp_RxW, gen_fp_GxW, "max")))


def internal_diversity(fp_GxW, p: int = 1) -> float:
  """IntDiv_p = 1 - mean_x (mean_y T(x, y)^p)^(1/p) over all ordered pairs of generated
  molecules, x = y included (MOSES' internal_diversity; IntDiv2 is p=2)."""
  return float(1 - np.mean(agg_tanimoto(fp_GxW, fp_GxW, "mean", p)))


def cosine_similarity(ref_counts: dict, gen_counts: dict) -> float:
  """Cosine of two count vectors given as {key: count}, absent keys 0 (Frag, Scaf); NaN when
  either is empty, as MOSES."""
  if not ref_counts or not gen_counts:
    return float("nan")
  keys = sorted(set(ref_counts) | set(gen_counts))
  r = np.array([ref_counts.get(k, 0) for k in keys], np.float64)
  g = np.array([gen_counts.get(k, 0) for k in keys], np.float64)
  return float(r @ g / np.sqrt((r @ r) * (g @ g)))


def wasserstein_1d(u_values, v_values) -> float:
  """Wasserstein-1 distance of two 1-D empirical distributions, the integral of |F_u - F_v|
  (scipy.stats.wasserstein_distance's formula, equal weights)."""
  u, v = np.sort(np.asarray(u_values, np.float64)), np.sort(np.asarray(v_values, np.float64))
  both = np.sort(np.concatenate([u, v]))
  deltas = np.diff(both)
  cdf_u = np.searchsorted(u, both[:-1], "right") / len(u)
  cdf_v = np.searchsorted(v, both[:-1], "right") / len(v)
  return float(np.sum(np.abs(cdf_u - cdf_v) * deltas))


def fraction_passes_filters(mols) -> float:
  """Filters: the fraction of molecules that pass `passes_filters`."""
  return float(np.mean([passes_filters(m) for m in mols]))


# ------------------------------------------------------------ statistics and the entry point


def _check_smiles(smiles_list, name: str) -> list:
  if isinstance(smiles_list, (str, bytes)) or not hasattr(smiles_list, "__len__"):
    raise GenjaxError(f"the {name} SMILES must be a list of strings, got"
                      f" {type(smiles_list).__name__}")
  smiles_list = list(smiles_list)
  if not smiles_list:
    raise GenjaxError(f"no {name} SMILES given: pass a non-empty list of strings")
  bad = next((s for s in smiles_list if not isinstance(s, str)), None)
  if bad is not None:
    raise GenjaxError(f"the {name} SMILES must be strings, got a {type(bad).__name__}: {bad!r}")
  return smiles_list


def _set_stats(descriptions, chemnet_params) -> dict:
  """What comparisons need of a set of described molecules (see reference_stats); no FCD
  statistics without chemnet_params or with fewer than 2 molecules."""
  mu = sigma = None
  if chemnet_params is not None and len(descriptions) > 1:
    mu, sigma = frechet.gaussian_stats(
        chemnet.smiles_features(chemnet_params, [d["smiles"] for d in descriptions]))
  frags = Counter(f for d in descriptions for f in d["frags"])
  scafs = Counter(d["scaffold"] for d in descriptions if d["scaffold"] is not None)
  return {"fcd_mu": mu, "fcd_sigma": sigma,
          "fp": np.stack([d["fp"] for d in descriptions]),
          "frag_keys": np.array(sorted(frags), dtype=str),
          "frag_counts": np.array([frags[k] for k in sorted(frags)], np.int64),
          "scaf_keys": np.array(sorted(scafs), dtype=str),
          "scaf_counts": np.array([scafs[k] for k in sorted(scafs)], np.int64),
          **{name: np.array([d[name] for d in descriptions]) for name in PROPERTIES
             if name in descriptions[0]}}


def _counts(stats, name) -> dict:
  return dict(zip(stats[f"{name}_keys"].tolist(), stats[f"{name}_counts"].tolist()))


def stats_key(smiles_list, chemnet_sha256: str, properties: bool = True) -> str:
  """Cache key of a reference set's statistics: the SMILES, ChemNet's weights, the RDKit
  version, the statistics' format and whether they hold the properties."""
  from rdkit import __version__ as rdkit_version  # pylint: disable=import-outside-toplevel
  h = hashlib.sha256(f"{STATS_FORMAT}|{rdkit_version}|{chemnet_sha256}|{properties}|".encode())
  for s in smiles_list:
    h.update(s.encode() + b"\n")
  return h.hexdigest()[:24]


def reference_stats(smiles_list, chemnet_path: str = chemnet.DEFAULT_PATH,
                    cache_dir=CACHE_DIR, n_jobs: int = 1, properties: bool = True) -> dict:
  """A reference set's statistics, MOSES' compute_intermediate_statistics: ChemNet feature
  mean and covariance (FCD; of the canonicalized SMILES), packed Morgan fingerprints (SNN),
  BRICS fragment and scaffold counts (Frag, Scaf) and, with properties=True, the four
  property values (MOSES compares properties with Test only: TestSF's are skipped).

  Cached as `cache_dir/moses_stats_<stats_key>.npz` (cache_dir=None: no cache), ~25 MB for
  MOSES' test set (176k molecules), whose statistics take ~25 CPU-minutes: ChemNet ~13
  (4.4 ms a molecule), RDKit ~10 (3.3 ms, QED half of it; n_jobs processes share it).
  chemnet_path=None: no FCD statistics (fcd_mu, fcd_sigma None), no ChemNet needed.
  """
  smiles_list = _check_smiles(smiles_list, "reference")
  params, sha = (None, "no-chemnet") if chemnet_path is None else chemnet.load(chemnet_path)
  path = None
  if cache_dir is not None:
    path = os.path.join(os.path.expanduser(cache_dir),
                        f"moses_stats_{stats_key(smiles_list, sha, properties)}.npz")
    if os.path.isfile(path):
      with np.load(path) as z:
        return {"fcd_mu": None, "fcd_sigma": None, **{k: z[k] for k in z.files if k != "format"}}
  described = [d for d in _map(functools.partial(_describe_reference, properties=properties),
                                smiles_list, n_jobs) if d is not None]
  if len(described) < 2:
    raise GenjaxError(f"the reference set has {len(described)} valid molecules; it needs 2+")
  stats = _set_stats(described, params)
  if path is not None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}.npz"
    np.savez(tmp, format=STATS_FORMAT, **{k: v for k, v in stats.items() if v is not None})
    os.replace(tmp, path)
  return stats


def compare(gen_stats: dict, ref_stats: dict, groups=GROUPS) -> dict:
  """{FCD, SNN, Frag, Scaf} of a generated set against a reference, and {logP, SA, QED,
  weight} when both have them; only those of the metric `groups` (see chosen_metrics)."""
  out = {}
  if "fcd" in groups:
    if gen_stats["fcd_mu"] is None or ref_stats["fcd_mu"] is None:
      out["FCD"] = float("nan")
    else:
      out["FCD"] = frechet.frechet_distance(gen_stats["fcd_mu"], gen_stats["fcd_sigma"],
                                            ref_stats["fcd_mu"], ref_stats["fcd_sigma"])
  if "snn" in groups:
    out["SNN"] = snn(gen_stats["fp"], ref_stats["fp"])
  for group, name in (("frag", "Frag"), ("scaf", "Scaf")):
    if group in groups:
      out[name] = cosine_similarity(_counts(ref_stats, group), _counts(gen_stats, group))
  if "properties" in groups:
    out.update({name: wasserstein_1d(gen_stats[name], ref_stats[name]) for name in PROPERTIES
                if name in ref_stats and name in gen_stats})
  return out


def all_metrics(smiles_list, train_smiles=None, test_smiles=None, test_sf_smiles=None,
                k=(1000, 10000), test_stats=None, test_sf_stats=None,
                chemnet_path: str = chemnet.DEFAULT_PATH, cache_dir=CACHE_DIR,
                n_jobs: int = 1) -> dict:
  """MOSES' get_all_metrics: {valid, unique@k..., FCD/Test, SNN/Test, Frag/Test, Scaf/Test,
  the same /TestSF, IntDiv, IntDiv2, Filters, logP, SA, QED, weight, Novelty} of generated
  SMILES. A reference set is given as SMILES (its statistics cached, see reference_stats) or
  as precomputed `*_stats`; one left out drops its metrics (Test: the properties too), as
  does train_smiles=None Novelty. With no valid molecule every metric but `valid` is NaN.
  ChemNet's weights are read only when a reference set is given."""
  smiles_list = _check_smiles(smiles_list, "generated")
  refs = {}
  for suffix, smiles, stats in (("Test", test_smiles, test_stats),
                                ("TestSF", test_sf_smiles, test_sf_stats)):
    if stats is None and smiles is not None:
      stats = reference_stats(smiles, chemnet_path, cache_dir, n_jobs, suffix == "Test")
    if stats is not None:
      refs[suffix] = stats
  groups = [g for g in GROUPS if g != "novelty" or train_smiles is not None]
  return chosen_metrics(smiles_list, groups, train_smiles, refs,
                        chemnet.load(chemnet_path)[0] if refs else None, n_jobs, k)


def chosen_metrics(smiles_list, groups, train_smiles=None, refs=None, chemnet_params=None,
                   n_jobs: int = 1, k=None) -> dict:
  """all_metrics' values of the metric `groups` (of GROUPS) only, at their cost alone:

    valid: valid; unique: unique@k for each k (k=None: 'unique', over every valid molecule);
    novelty: Novelty (needs train_smiles); fcd, snn, frag, scaf: FCD, SNN, Frag, Scaf/<ref>
    for each reference of `refs` ({'Test': stats, 'TestSF': stats}, see reference_stats; FCD
    needs chemnet_params and references with FCD statistics); intdiv: IntDiv, IntDiv2;
    filters: Filters; properties: logP, SA, QED, weight against refs['Test'] (when it holds
    them).

  Keys in all_metrics' order; with no valid molecule all but `valid` are NaN."""
  smiles_list = _check_smiles(smiles_list, "generated")
  refs = refs or {}
  unknown = sorted(set(groups) - set(GROUPS))
  if unknown:
    raise GenjaxError(f"unknown MOSES metric groups {unknown}: valid are {GROUPS}")
  if "novelty" in groups and train_smiles is None:
    raise GenjaxError("novelty needs the training SMILES (train_smiles)")
  if "fcd" in groups and refs and chemnet_params is None:
    raise GenjaxError("FCD needs ChemNet's parameters (chemnet_params)")
  with_properties = "properties" in groups and "logP" in refs.get("Test", {})
  describe_fn = functools.partial(_describe_generated, properties=with_properties,
                                  filters="filters" in groups)
  distinct = sorted(set(smiles_list))   # Each string described once: the same answer again.
  described_as = dict(zip(distinct, _map(describe_fn, distinct, n_jobs)))
  valid = [described_as[s] for s in smiles_list if described_as[s] is not None]
  metrics = {}
  if "valid" in groups:
    parses = {s: get_mol(s) is not None for s in distinct}
    metrics["valid"] = sum(parses[s] for s in smiles_list) / len(smiles_list)
  ks = [k] if k is None or isinstance(k, int) else list(k)
  ks = ks if "unique" in groups else []
  ref_names = [REFERENCE_GROUPS[g] for g in GROUPS if g in REFERENCE_GROUPS and g in groups]
  names = ([f"unique@{x}" if x is not None else "unique" for x in ks]
           + [f"{m}/{s}" for s in refs for m in ref_names]
           + (["IntDiv", "IntDiv2"] if "intdiv" in groups else [])
           + (["Filters"] if "filters" in groups else [])
           + (list(PROPERTIES) if with_properties else [])
           + (["Novelty"] if "novelty" in groups else []))
  if not valid:
    return {**metrics, **{name: float("nan") for name in names}}
  canon = [c for c, _ in valid]
  described = [d for _, d in valid]
  for x in ks:
    metrics[f"unique@{x}" if x is not None else "unique"] = fraction_unique(canon, x)
  if ref_names or "intdiv" in groups or with_properties:
    gen = _set_stats(described, chemnet_params if "fcd" in groups else None)
    for suffix, ref in refs.items():
      for name, value in compare(gen, ref, groups).items():
        if name in PROPERTIES:   # Only Test's statistics hold them (as MOSES compares).
          metrics[name] = value
        else:
          metrics[f"{name}/{suffix}"] = value
    if "intdiv" in groups:
      metrics["IntDiv"] = internal_diversity(gen["fp"], 1)
      metrics["IntDiv2"] = internal_diversity(gen["fp"], 2)
  if "filters" in groups:
    metrics["Filters"] = float(np.mean([d["filters"] for d in described]))
  if "novelty" in groups:
    metrics["Novelty"] = novelty([d["smiles"] for d in described], train_smiles)
  return {name: metrics[name] for name in ["valid", *names] if name in metrics}


def read_smiles(path: str) -> list:
  """SMILES from a .smi (first field of each non-empty line) or a .csv / .csv.gz with a
  `SMILES` column."""
  if not os.path.isfile(path):
    raise GenjaxError(f"{path!r} does not exist or is not a file")
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "rt", newline="") as f:
    if path.endswith((".csv", ".csv.gz")):
      reader = csv.reader(f)
      header = next(reader, [])
      if "SMILES" not in header:
        raise GenjaxError(f"{path!r} has no SMILES column (columns: {header})")
      column = header.index("SMILES")
      return [row[column] for row in reader if row]
    if path.endswith((".smi", ".smi.gz")):
      return [line.split()[0] for line in f if line.strip()]
  raise GenjaxError(f"{path!r}: expected a .smi, .csv or .csv.gz file")
