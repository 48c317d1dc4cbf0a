"""What the application mains (`experiments.anomaly`, `augment`, `inpaint`, `latent`) share:
a trained model read from a workdir (trained first through the normal loop when asked, so
checkpoints, resume and `num_seeds` work as for `experiments.main`), and the report each
writes into its output folder: `<name>.json`, `<name>.md` (a Markdown table) and PNG figures.
"""
import json
import os
from typing import Any, NamedTuple, Sequence

import jax
import ml_collections

from genjax import data as data_lib
from genjax import families
from genjax import run as run_lib
from genjax import train


class Trained(NamedTuple):
  """A model restored from `workdir`: its run config, family, state (replica `seed_index`),
  dataset (images in [0, 1]) and the eval split as the family sees it ({'image' in the
  training value range, 'label'?})."""
  workdir: str
  config: ml_collections.ConfigDict
  family: families.Family
  state: Any
  dataset: data_lib.Dataset
  eval_data: dict


def load(workdir: str, needs: Sequence[str] = (), seed_index: int = 0) -> Trained:
  """The trained model of `workdir`; `needs` names predict functions the caller uses (a
  model lacking one is refused in one line naming the family)."""
  run = run_lib.open_run(workdir, needs)
  state = run.restore(seed_index)
  dataset, eval_data = run.eval_set()
  return Trained(workdir, run.config, run.family, state, dataset, eval_data)


def train_or_reuse(config, workdir: str, needs: Sequence[str] = ()) -> Trained:
  """Trains `config` in `workdir` through `train.train_and_evaluate` (resuming a partial
  run; a finished one is reused as it is), then `load`s it."""
  train.train_and_evaluate(config, workdir)
  jax.clear_caches()  # Studies train many models in one process: free their executables.
  return load(workdir, needs)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
  """A Markdown table; floats get 3 decimals."""
  cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)
  lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
  lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
  return "\n".join(lines)


def write_report(outdir: str, name: str, report: dict, table: str) -> None:
  """Writes `outdir/<name>.json` (the report) and `outdir/<name>.md` (the table)."""
  os.makedirs(outdir, exist_ok=True)
  with open(os.path.join(outdir, f"{name}.json"), "w") as f:
    json.dump(report, f, indent=2)
  with open(os.path.join(outdir, f"{name}.md"), "w") as f:
    f.write(table + "\n")


def figure(*args, **kwargs):
  """A matplotlib figure on the file-only Agg backend (no display needed)."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  return pyplot.subplots(*args, **kwargs)


def save_figure(fig, path: str) -> None:
  """Saves `fig` as a PNG at `path` and frees it."""
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  fig.savefig(path, dpi=100, bbox_inches="tight")
  pyplot.close(fig)
