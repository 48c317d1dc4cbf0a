"""Mode-coverage study: trains a 2-D GAN config with several seeds and reports the
mean and std over seeds of modes covered, % high-quality samples, KL to uniform and the
modes' spread (their width over the data's: genjax.metrics.modes).

python -m experiments.mode_coverage --config=configs/gan_ring8.py --workdir=DIR --seeds=5

Writes DIR/mode_coverage.json and prints a Markdown table row per seed plus the mean, for
the EMA generator (what `experiments.sample` draws from) and the raw one (what PacGAN and
VEEGAN report), labelled.
The seeds train together as `num_seeds` replicas of one vmapped program in DIR (rerunning
resumes it); replica i is the run of seed config.seed + i.
"""
import json
import os

from absl import app
from absl import flags
from ml_collections import config_flags

from genjax import cli
from genjax import data as data_lib
from genjax import evaluators
from genjax import families
from genjax import logs as log_lib
from genjax import seeds as seeds_lib
from genjax import train
from genjax.errors import GenjaxError

_CONFIG = config_flags.DEFINE_config_file("config", "configs/gan_ring8.py", "A 2-D GAN config.")
_WORKDIR = flags.DEFINE_string("workdir", None, "The run's workdir.")
_SEEDS = flags.DEFINE_integer("seeds", 5, "Number of seeds (config.seed .. config.seed+seeds-1).")
flags.mark_flags_as_required(["workdir"])
METRICS = ("modes", "high_quality", "kl", "spread", "raw/modes", "raw/high_quality", "raw/kl",
           "raw/spread")


def run(config, workdir: str, seeds: int) -> dict:
  config.unlock()
  config.num_seeds = seeds
  config.lock()
  state = train.train_and_evaluate(config, workdir)
  config.unlock()
  config.evals = {"modes": {"type": "modes", "num_samples": 2500}}
  dataset = data_lib.load(config.data)  # Classes, with data.pseudo_labels.
  family = families.build(config, train.data_info(dataset))
  modes = evaluators.build(config, family)
  results = seeds_lib.evaluate(lambda s, x: evaluators.run(modes, s, x), state, None, config)
  rows = [{"seed": config.seed + i, **evaluators.of_evaluator(result, "modes")}
          for i, result in enumerate(results)]
  spread = seeds_lib.summarize([{k: r[k] for k in METRICS} for r in rows])
  summary = {k: {"mean": spread[k], "std": spread.get(f"{k}_std", 0.0)} for k in METRICS}
  return {"dataset": config.data.name, "seeds": rows, "summary": summary}


def markdown(report: dict) -> str:
  lines = ["| seed | generator | modes | high quality | KL | spread |",
           "| --- | --- | --- | --- | --- | --- |"]
  cell = lambda r, p: (f"{r[p + 'modes']} | {100 * r[p + 'high_quality']:.1f}% | {r[p + 'kl']:.4f}"
                       f" | {r[p + 'spread']:.2f}")
  for r in report["seeds"]:
    for label, prefix in (("EMA", ""), ("raw", "raw/")):
      lines.append(f"| {r['seed']} | {label} | {cell(r, prefix)} |")
  s = report["summary"]
  for label, p in (("EMA", ""), ("raw", "raw/")):
    lines.append(f"| mean +- std | {label} | {s[p + 'modes']['mean']:.1f} +-"
                 f" {s[p + 'modes']['std']:.1f} | {100 * s[p + 'high_quality']['mean']:.1f}% +-"
                 f" {100 * s[p + 'high_quality']['std']:.1f} | {s[p + 'kl']['mean']:.4f} +-"
                 f" {s[p + 'kl']['std']:.4f} | {s[p + 'spread']['mean']:.2f} +-"
                 f" {s[p + 'spread']['std']:.2f} |")
  return "\n".join(lines)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  try:
    if _CONFIG.value.data.name not in ("ring8", "grid25"):
      raise GenjaxError(f"data.name={_CONFIG.value.data.name!r}: the study needs ring8 or grid25")
    report = run(_CONFIG.value, _WORKDIR.value, _SEEDS.value)
  except GenjaxError as e:
    cli.fail(e)
  with open(os.path.join(_WORKDIR.value, "mode_coverage.json"), "w") as f:
    json.dump(report, f, indent=2)
  print(markdown(report))


if __name__ == "__main__":
  cli.run(main)
