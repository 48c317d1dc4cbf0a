"""Mode-coverage study: trains a 2-D GAN config with several seeds and reports the
mean and spread of modes covered, % high-quality samples and KL to uniform.

python -m experiments.mode_coverage --config=configs/gan_ring8.py --workdir=DIR --seeds=5

Writes DIR/mode_coverage.json and prints a Markdown table row per seed plus the mean.
The seeds train together as `num_seeds` replicas of one vmapped program in DIR (rerunning
resumes it); replica i is the run of seed config.seed + i.
"""
import json
import os
import sys

from absl import app
from absl import flags
from ml_collections import config_flags

from genjax import logging as log_lib
from genjax import replicas
from genjax import train
from genjax.errors import GenjaxError

_CONFIG = config_flags.DEFINE_config_file("config", "configs/gan_ring8.py", "A 2-D GAN config.")
_WORKDIR = flags.DEFINE_string("workdir", None, "The run's workdir.")
_SEEDS = flags.DEFINE_integer("seeds", 5, "Number of seeds (config.seed .. config.seed+seeds-1).")
flags.mark_flags_as_required(["workdir"])
METRICS = ("modes", "high_quality", "kl")


def run(config, workdir: str, seeds: int) -> dict:
  config.unlock()
  config.num_seeds = seeds
  config.lock()
  state = train.train_and_evaluate(config, workdir)
  results = replicas.evaluate(train.build(config, (2,)), state, None, config)
  rows = [{"seed": config.seed + i, **{k.split("/")[-1]: v for k, v in result.items()}}
          for i, result in enumerate(results)]
  spread = replicas.summarize([{k: r[k] for k in METRICS} for r in rows])
  summary = {k: {"mean": spread[k], "std": spread.get(f"{k}_std", 0.0)} for k in METRICS}
  return {"dataset": config.data.name, "seeds": rows, "summary": summary}


def markdown(report: dict) -> str:
  lines = ["| seed | modes | high quality | KL |", "| --- | --- | --- | --- |"]
  for r in report["seeds"]:
    lines.append(f"| {r['seed']} | {r['modes']} | {100 * r['high_quality']:.1f}% | {r['kl']:.4f} |")
  s = report["summary"]
  lines.append(f"| mean +- std | {s['modes']['mean']:.1f} +- {s['modes']['std']:.1f} |"
               f" {100 * s['high_quality']['mean']:.1f}% +- {100 * s['high_quality']['std']:.1f} |"
               f" {s['kl']['mean']:.4f} +- {s['kl']['std']:.4f} |")
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
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
  with open(os.path.join(_WORKDIR.value, "mode_coverage.json"), "w") as f:
    json.dump(report, f, indent=2)
  print(markdown(report))


if __name__ == "__main__":
  app.run(main)
