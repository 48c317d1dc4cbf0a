"""Runs that a config names by their config file, trained on first use: `init_from` entries
and a classifier extractor's `path` may be `configs/X.py` instead of a trained workdir. Such a
run trains once (its evaluators off: only its networks are read) into the runs cache,
`~/.cache/genjax/runs/<name>-<digest>` ($GENJAX_CACHE/runs when set), the digest over its
config's fields and its data files' contents, so an edited config or a replaced data file
trains anew; a finished one is reused.
"""
import hashlib
import os

from absl import logging

from genjax import checkpoint
from genjax import cli

ROOT = "~/.cache/genjax"


def is_config_file(entry: str) -> bool:
  return entry.endswith(".py")


def cache_dir(entry: str, config) -> str:
  """The runs-cache workdir of config file `entry`, loaded as `config`."""
  digest = hashlib.sha256(config.to_json_best_effort(sort_keys=True).encode())
  for field in ("path", "labels_path", "eval_path", "eval_labels_path"):
    path = os.path.expanduser(str(config.data.get(field, "") or ""))
    if os.path.isfile(path):
      with open(path, "rb") as f:
        digest.update(hashlib.sha256(f.read()).digest())
  name = os.path.splitext(os.path.basename(entry))[0]
  return os.path.join(root(), "runs", f"{name}-{digest.hexdigest()[:12]}")


def root() -> str:
  """genjax's cache folder: $GENJAX_CACHE, else ~/.cache/genjax."""
  return os.environ.get("GENJAX_CACHE") or os.path.expanduser(ROOT)


def workdir_of(entry: str, flag: str) -> str:
  """The trained workdir `entry` names: a workdir as it is, or config file `entry` trained
  first (or reused once finished) in the runs cache; `flag` names the setting in errors."""
  if not is_config_file(entry):
    return os.path.expanduser(entry)
  config = cli.load_config_file(entry, flag)
  with config.unlocked():
    config.evals = {}
  workdir = cache_dir(entry, config)
  if config.num_steps not in checkpoint.saved_steps(os.path.join(workdir, "checkpoints")):
    logging.info("%s=%s: training it first in %s (once: later runs reuse it)", flag, entry,
                 workdir)
    # pylint: disable=g-import-not-at-top,import-outside-toplevel  (train imports the
    # evaluators, whose classifier extractor calls this)
    from genjax import train
    train.train_and_evaluate(config, workdir)
  return workdir
