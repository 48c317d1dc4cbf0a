"""Evaluates a workdir's latest checkpoint and writes the metrics as JSON (DIR/eval/<step>.json,
with the options it ran with; DIR/eval/<step>_<hash>.json where that file holds an evaluation
with other options).

python -m experiments.evaluate --workdir=DIR [--set=evals.nll.iwae_examples=N]
python -m experiments.evaluate --workdir=DIR --metrics=fid,kid,pr,dc --num_samples=10000 \
    [--extractor=inception|classifier --extractor_path=FILE_OR_WORKDIR --reference=eval|train]
    [--prior=gmm10]
python -m experiments.evaluate --workdir=DIR --evals_from=configs/X.py [--evals_only=NAME,...]

Without --metrics it runs the evaluators of the run's `config.evals`, as training does (VAEs:
negative ELBO and importance-sampled NLL; 2-D GANs: mode coverage; any `features`
evaluator), or with --evals_from those of another config file (e.g. the shipped config's
today, for a workdir trained before an evaluator existed). With --metrics it runs one
`features` evaluator (genjax/evaluators/features.py) from the flags instead: samples from
the EMA weights where the family has them, with --seed, against the real --reference split,
in the --extractor's feature space.
"""
import hashlib
import json
import os

from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax import workdirs
from genjax.errors import GenjaxError
from genjax.evaluators import features

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by experiments.main.")
_OUT = flags.DEFINE_string("out", "", "JSON output file (default: DIR/eval/<step>.json).")
_OVERRIDES = flags.DEFINE_multi_string(
    "set", [], "Override an evaluator option of the saved config, e.g."
    " --set=evals.nll.iwae_examples=500.")
_METRICS = flags.DEFINE_string("metrics", "", f"Comma-separated of {features.METRICS}: run"
                               " these instead of the config's evaluators.")
_EXTRACTOR = flags.DEFINE_string("extractor", "inception", "Feature network: 'inception' (the"
                                 " FID Inception) or 'classifier' (a genjax classifier).")
_EXTRACTOR_PATH = flags.DEFINE_string("extractor_path", "", "Its parameter file (inception;"
                                      " default ~/.cache/genjax/fid_inception.msgpack) or"
                                      " workdir (classifier).")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 2000, "Samples drawn (--metrics).")
_REFERENCE = flags.DEFINE_string("reference", "eval", "Real split compared with: eval or train.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the samples' key (--metrics).")
_PRIOR = flags.DEFINE_string("prior", "standard", "Samples' latent prior (--metrics, autoencoders):"
                             " 'standard' (N(0, I)) or 'gmm<K>' (a mixture fitted to the"
                             " encoded training set, genjax.latent_prior).")
_SOURCE = flags.DEFINE_string("source", "samples", "What is scored (--metrics): 'samples' or"
                              " 'reconstructions' of the eval images.")
_EVALS_FROM = flags.DEFINE_string("evals_from", "", "A config file (e.g. configs/X.py) whose"
                                  " `config.evals` replace the run's: evaluators added since the"
                                  " workdir was trained.")
_EVALS_ONLY = flags.DEFINE_list("evals_only", [], "Run only these of the evaluators (names in"
                                " config.evals, or in --evals_from's).")
_ADD_EVAL = flags.DEFINE_multi_string(
    "add_eval", [], "Add an evaluator: NAME=TYPE, its options at their defaults, set with"
    " --set=evals.NAME.FIELD=VALUE.")
flags.mark_flags_as_required(["workdir"])


def evals_from_flags():
  options = dict(features.OPTIONS, extractor=_EXTRACTOR.value, path=_EXTRACTOR_PATH.value,
                 metrics=_METRICS.value, num_samples=_NUM_SAMPLES.value,
                 reference=_REFERENCE.value, seed=_SEED.value, source=_SOURCE.value,
                 prior=_PRIOR.value)
  name = _EXTRACTOR.value + ("" if _PRIOR.value == "standard" else f"_{_PRIOR.value}") + (
      "_reconstructions" if _SOURCE.value == "reconstructions" else "")
  return {name: dict(type="features", every_steps=0, **options)}


def options_of(config) -> dict:
  """What the evaluation runs with (its JSON records it): the evaluators of `config`
  (`workdirs.eval_config`), each with its options; and the flags that chose them."""
  options = {"evals": config.evals.to_dict(), "evals_from": _EVALS_FROM.value,
             "set": list(_OVERRIDES.value),
             **({"add_eval": list(_ADD_EVAL.value)} if _ADD_EVAL.value else {})}
  return json.loads(json.dumps(options))  # As read back (tuples as lists).


def nothing_to_evaluate(evals: dict) -> GenjaxError:
  """The error of an evaluation whose `evals` (sections) are none, or all off."""
  off = ", ".join(f"{name}.every_steps={section['every_steps']}" for name, section in evals.items())
  where = f"--evals_from={_EVALS_FROM.value}'s" if _EVALS_FROM.value else "the run's"
  return GenjaxError(
      f"nothing to evaluate: {where} config.evals "
      f"{f'has every evaluator off ({off})' if evals else 'is empty'}: add evaluators with"
      " --add_eval=NAME=TYPE, --evals_from=configs/X.py (a config file's config.evals), turn one on with"
      " --set=evals.NAME.every_steps=0, or give --metrics=fid,kid,... (images)")


def output_file(step: int, options: dict) -> str:
  """DIR/eval/<step>.json, unless it holds an evaluation with other options (or none
  recorded): then DIR/eval/<step>_<hash of the options>.json."""
  out = os.path.join(_WORKDIR.value, "eval", f"{step}.json")
  try:
    with open(out) as f:
      recorded = json.load(f).get("options")
  except (OSError, ValueError, AttributeError):
    recorded = None
  if not os.path.exists(out) or recorded == options:
    return out
  digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:8]
  return os.path.join(_WORKDIR.value, "eval", f"{step}_{digest}.json")


def table(metrics: dict) -> str:
  rows = [(k, f"{v:.6g}") for k, v in metrics.items() if isinstance(v, (int, float))]
  width = max([len(k) for k, _ in rows] + [6])
  return "\n".join([f"{'metric':<{width}}  value"] + [f"{k:<{width}}  {v}" for k, v in rows])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  evals = evals_from_flags() if _METRICS.value else None
  if _EVALS_FROM.value:
    if _METRICS.value:
      raise GenjaxError("--evals_from and --metrics both choose the evaluators: give one")
    other = cli.load_config_file(_EVALS_FROM.value, "--evals_from")
    evals = other.evals.to_dict() if "evals" in other else {}
  config = workdirs.eval_config(_WORKDIR.value, _OVERRIDES.value, evals, _EVALS_ONLY.value,
                                _ADD_EVAL.value)
  options = options_of(config)
  if all(section.get("every_steps", 0) < 0 for section in options["evals"].values()):
    raise nothing_to_evaluate(options["evals"])  # Before the checkpoint and data load.
  step, metrics = workdirs.evaluate(_WORKDIR.value, config=config)
  out = _OUT.value or output_file(step, options)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with open(out, "w") as f:
    json.dump({"step": step, "options": options, **metrics}, f, indent=2)
  kept = os.path.join(_WORKDIR.value, "eval", f"{step}.json")
  note = "" if _OUT.value or out == kept else f" ({kept} holds an evaluation with other options)"
  print(f"step {step}\n{table(metrics)}\nwrote {out}{note}")


if __name__ == "__main__":
  cli.run(main)
