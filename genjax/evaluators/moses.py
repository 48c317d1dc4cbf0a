"""The MOSES metrics (`genjax.metrics.moses`, Polykovskiy et al. 2020) of SMILES sampled from a
sequence family: `num_samples` token rows from its `sample` (fixed key from `seed`; with
`temperature` where its sample takes one), decoded by its `smiles`, scored against the run's
own data source (`config.data`, read through `genjax.data.smiles`, never a fixed path):

  Novelty       against the whole training split (data.train_split, not cut to max_train);
  */Test        against `num_reference` (0: all) molecules of the eval split drawn at random
                (seed 0, `smiles.subset`: MOSES' files are ordered, so a head is no sample)
                (data.eval_split, not cut to num_eval; one SMILES file: its last num_eval);
  */TestSF      against as many drawn from split `scaffold_split` of a folder or the molsets
                wheel ('': none; a source without it is refused).

`metrics` chooses comma-separated groups of `moses.GROUPS` ('all': every one), each costing
only itself. Logged as `eval/<evaluator name>/<MOSES' name>` (eval/moses/valid for the
shipped configs' evaluator, named moses):
valid, unique (MOSES' unique@k with k = num_samples: distinct canonical SMILES / valid ones;
'@' is no TensorBoard tag character), Novelty, FCD/Test, SNN/Test, Frag/Test, Scaf/Test (and
/TestSF), IntDiv, IntDiv2, Filters, logP, SA, QED, weight (Wasserstein-1 to Test's values).
With no valid sample all but valid are NaN; FCD needs 2+ valid samples (else NaN).

The reference statistics (ChemNet mean and covariance, fingerprints, fragment and scaffold
counts, properties) are computed at the first evaluation, kept in memory and cached on disk in
`cache_dir` ('': not on disk), keyed by the SMILES, RDKit's version and ChemNet's weights
(`moses.reference_stats`); docs/molecules.md gives measured costs. MOSES' protocol is 30,000 samples
against the whole test sets (num_reference=0).
"""
import functools
import inspect

import jax

from genjax import schema
from genjax.data import smiles as smiles_lib
from genjax.errors import GenjaxError
from genjax.evaluators import features
from genjax.feature_nets import chemnet
from genjax.metrics import moses

NEEDS = ("sample", "smiles")
OPTIONS = dict(metrics="all", num_samples=1000, num_reference=10000, temperature=1.0, seed=0,
               batch_size=1000, scaffold_split="test_scaffolds", chemnet=chemnet.DEFAULT_PATH,
               n_jobs=1, cache_dir=moses.CACHE_DIR)
REFERENCE_GROUPS = tuple(moses.REFERENCE_GROUPS) + ("properties",)


def parse_metrics(spec: str) -> tuple:
  names = schema.comma_names("metrics", spec, moses.GROUPS + ("all",))
  return moses.GROUPS if "all" in names else tuple(g for g in moses.GROUPS if g in names)


def check(options) -> tuple:
  """The chosen metric groups; a bad option value is one line."""
  groups = parse_metrics(options["metrics"])
  for field in ("num_samples", "batch_size", "n_jobs"):
    if not isinstance(options[field], int) or options[field] <= 0:
      raise GenjaxError(f"{field}={options[field]!r} must be a positive integer")
  for field in ("num_reference", "seed"):
    if not isinstance(options[field], int) or options[field] < 0:
      raise GenjaxError(f"{field}={options[field]!r} must be an integer >= 0")
  temperature = options["temperature"]
  if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0:
    raise GenjaxError(f"temperature={temperature!r} must be a number >= 0 (0: the most likely"
                      " token)")
  for field in ("scaffold_split", "chemnet", "cache_dir"):
    if not isinstance(options[field], str):
      raise GenjaxError(f"{field}={options[field]!r} must be a string")
  return groups


def check_scaffold_split(data_config, split: str) -> None:
  splits = smiles_lib.split_names(data_config.path)
  if split not in splits:
    held = f"holds the splits {splits}" if splits else "is one SMILES file, without splits"
    raise GenjaxError(f"scaffold_split={split!r}: data.path={data_config.path!r} {held}; set"
                      " scaffold_split='' to skip the */TestSF metrics")


def sampler(sample, temperature: float):
  """sample(state, key, num) jitted, at `temperature` when not 1 (a family's sample must
  then take one)."""
  if temperature != 1:
    if "temperature" not in inspect.signature(sample).parameters:
      raise GenjaxError(f"temperature={temperature}: this family's sample takes no temperature")
    sample = functools.partial(sample, temperature=float(temperature))
  return jax.jit(sample, static_argnums=2)


def make(family, config, options):
  groups = check(options)
  if config.data.name != "smiles":
    raise GenjaxError(f"evals type 'moses' scores SMILES: data.name='smiles', not"
                      f" {config.data.name!r}")
  moses.check_tools()
  with_references = any(g in REFERENCE_GROUPS for g in groups)
  scaffold_split = options["scaffold_split"] if with_references else ""
  if scaffold_split:
    check_scaffold_split(config.data, scaffold_split)
  chemnet_params, chemnet_sha = None, ""
  if "fcd" in groups:
    try:
      chemnet_params, chemnet_sha = chemnet.load(options["chemnet"])
    except GenjaxError as e:
      raise GenjaxError(f"metric fcd needs ChemNet (or leave fcd out of metrics): {e}") from None
  sample = sampler(family.predict["sample"], options["temperature"])
  key = jax.random.PRNGKey(options["seed"])
  num, batch = options["num_samples"], min(options["batch_size"], options["num_samples"])
  cache = {}

  def load_references():
    """{'train': training SMILES or None, 'refs': {'Test': stats, 'TestSF': stats}}."""
    num = options["num_reference"]
    stats = functools.partial(moses.reference_stats,
                              chemnet_path=options["chemnet"] if "fcd" in groups else None,
                              cache_dir=options["cache_dir"] or None, n_jobs=options["n_jobs"])
    refs = {}
    if with_references:
      refs["Test"] = stats(smiles_lib.subset(smiles_lib.split_smiles(config.data, "eval"), num),
                           properties="properties" in groups)
      if scaffold_split:
        refs["TestSF"] = stats(
            smiles_lib.subset(smiles_lib.split_smiles(config.data, scaffold_split), num),
            properties=False)   # MOSES compares properties with Test only.
    train = set(smiles_lib.split_smiles(config.data, "train")) if "novelty" in groups else None
    return {"train": train, "refs": refs}

  def run(state, eval_data=None):
    """Reference sets come whole from the data source, not from the eval batch."""
    del eval_data
    if not cache:
      cache.update(load_references())
    tokens_NxT = features.draw_samples(sample, state, key, num, batch)
    generated = family.predict["smiles"](tokens_NxT)
    result = moses.chosen_metrics(generated, groups, cache["train"], cache["refs"],
                                  chemnet_params, options["n_jobs"])
    return {name: float(value) for name, value in result.items()}

  drawn = f"{options['num_reference']} drawn (seed 0)" if options["num_reference"] else "all"
  references = [f"Test: {drawn} of the eval split"] + (
      [f"TestSF: {drawn} of split {scaffold_split!r}"] if scaffold_split else [])
  run.about = {"metrics": ",".join(groups), "num_samples": num, "seed": options["seed"],
               "temperature": options["temperature"], "data": config.data.path,
               "references": "; ".join(references) if with_references else "none",
               "chemnet": f"sha256={chemnet_sha[:16]}" if chemnet_sha else "none"}
  return run
