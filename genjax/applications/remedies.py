"""The mode-collapse remedies, measured: one GAN config trained as shipped and with each
remedy, `num_seeds` seeds each (one vmapped program per remedy), every replica scored.

Remedies (`VARIANTS`, each a set of config overrides on top of the config as given):
  baseline      the config as given;
  gp            WGAN-GP's gradient penalty (Gulrajani et al. 2017) on D's loss, weight 10, on
                a D without batch norm as theirs: a DCGAN D with batch norm loses it (a
                penalty through batch statistics is refused, `genjax.families.gan.check`),
                and the report names the change (`variant_notes`);
  noise         StyleGAN's per-layer noise in G (Karras et al. 2019), learned per-unit /
                channel scales starting at 0.1 (`model.generator.noise_injection`);
  n_critic2/5   2 or 5 D updates per G update;
  pack2/4       PacGAN (Lin et al. 2018): D scores packs of 2 or 4 examples.
2-D mixtures are scored by the `modes` evaluator (PacGAN's protocol: modes covered, % high
quality, KL of the mode histogram to uniform; EMA and raw generator); images by a
`features` evaluator on a genjax classifier (FCD, classes covered, class-histogram entropy).
"""
import copy
import json
import os
import time

import jax

from genjax.applications import common as apps
from genjax import evaluators
from genjax import seeds as seeds_lib
from genjax import run as run_lib
from genjax import schema
from genjax import train
from genjax.errors import GenjaxError
from genjax.families import gan

VARIANTS = {
    "baseline": {},
    "gp": {"loss.gan.penalties.gp": 10.0},
    "noise": {"model.generator.noise_injection": 0.1},
    "n_critic2": {"loss.gan.n_critic": 2},
    "n_critic5": {"loss.gan.n_critic": 5},
    "pack2": {"model.discriminator.pack": 2},
    "pack4": {"model.discriminator.pack": 4},
}
# Settings a remedy needs beside its own on some configs: (field, value, when, why).
NEEDS = {"gp": [("model.discriminator.batch_norm", False, gan.batch_norm_critic,
                 "WGAN-GP's critic has no batch norm; a gradient penalty through batch"
                 " statistics is refused")]}
MODE_METRICS = ("modes", "high_quality", "kl", "raw/modes", "raw/high_quality")
IMAGE_METRICS = ("fid", "classes_covered", "class_entropy")  # Of the image evaluator.


def parse_variants(spec: str) -> tuple:
  return schema.comma_names("variants", spec, VARIANTS)


def needed(config, name: str) -> list:
  """The (field, value, why) of `NEEDS[name]` that apply to `config`'s discriminator."""
  return [(path, value, why) for path, value, when, why in NEEDS.get(name, ())
          if when(config.model.discriminator)]


def variant_notes(config, name: str) -> list:
  """One line per setting remedy `name` changes in `config` beside its own (`NEEDS`)."""
  return [f"{name}: {path}={value} ({why})" for path, value, why in needed(config, name)]


def variant_config(config, name: str, seeds: int):
  """`config` with the overrides of remedy `name` (and those it needs on this config,
  `NEEDS`), trained as `seeds` vmapped replicas."""
  overrides = {**VARIANTS[name], **{path: value for path, value, _ in needed(config, name)}}
  config = copy.deepcopy(config)
  config.unlock()
  for path, value in overrides.items():
    *sections, field = path.split(".")
    node = config
    for section in sections:
      node = node[section]
    node[field] = value
  config.num_seeds = seeds
  return config


def scoring_evals(config, extractor_path: str, num_samples: int) -> dict:
  """The evaluator that scores each replica: modes for 2-D data, classifier features else."""
  if config.data.name in ("ring8", "grid25"):
    return {"modes": {"type": "modes", "num_samples": 2500}}
  if not extractor_path:
    raise GenjaxError("an image config needs --extractor_path: a classifier workdir for its"
                      " data (python -m experiments.train_classifier)")
  return {"classifier": {"type": "features", "extractor": "classifier", "path": extractor_path,
                         "metrics": "fid,classes", "num_samples": num_samples}}


def timed_training(config, workdir: str):
  """(final state, wall seconds of training, summed over the calls that trained), the
  seconds kept in `workdir/train_seconds.json` so a finished run reused later reports them."""
  record = os.path.join(workdir, "train_seconds.json")
  ckpt_dir = os.path.join(workdir, "checkpoints")
  saved = [int(d) for d in os.listdir(ckpt_dir) if d.isdigit()] if os.path.isdir(ckpt_dir) else []
  finished_before = config.num_steps in saved
  seconds = 0.0
  if os.path.exists(record):
    with open(record) as f:
      seconds = json.load(f)["seconds"]
  start = time.time()
  state = train.train_and_evaluate(config, workdir)
  if not finished_before:  # It trained (from scratch, or resumed).
    seconds += time.time() - start
    with open(record, "w") as f:
      json.dump({"seconds": seconds}, f)
  return state, seconds


def run(config, workdir: str, seeds: int, variants, extractor_path: str = "",
        num_samples: int = 2000, log=print) -> dict:
  """Trains every remedy of `variants` in `workdir/<name>` (rerunning resumes) and scores
  each replica: {'rows': [{variant, seed, seconds, <metric>: value}], 'summary': {variant:
  {metric: {'mean', 'std'}}}, 'notes': [line]}. `seconds`: the wall time the remedy's training
  took; `notes`: the settings a remedy changed beside its own (`variant_notes`)."""
  evals = scoring_evals(config, extractor_path, num_samples)
  metrics = MODE_METRICS if "modes" in evals else IMAGE_METRICS
  rows, summary = [], {}
  for name in variants:
    cfg = variant_config(config, name, seeds)
    state, seconds = timed_training(cfg, f"{workdir}/{name}")
    cfg.evals = evals
    family = run_lib.open_run(f"{workdir}/{name}", config=cfg).family
    scorers = evaluators.build(cfg, family)
    results = seeds_lib.evaluate(lambda s, x: evaluators.run(scorers, s, x), state, None, cfg)
    jax.clear_caches()
    per_seed = [evaluators.of_evaluator(r, next(iter(evals))) for r in results]
    for i, r in enumerate(per_seed):
      rows.append({"variant": name, "seed": cfg.seed + i, "seconds": seconds,
                   **{k: r[k] for k in metrics}})
    spread = seeds_lib.summarize([{k: r[k] for k in metrics} for r in per_seed])
    summary[name] = {k: {"mean": spread[k], "std": spread.get(f"{k}_std", 0.0)}
                     for k in metrics}
    summary[name]["seconds"] = seconds
    log(f"{name}: " + ", ".join(f"{k} {summary[name][k]['mean']:.3f} +- "
                                  f"{summary[name][k]['std']:.3f}" for k in metrics))
  notes = [line for name in variants for line in variant_notes(config, name)]
  return {"dataset": config.data.name, "seeds": seeds, "rows": rows, "summary": summary,
          "notes": notes}


def markdown(report: dict) -> str:
  """One row per remedy: mean +- std over seeds (and the worst seed's mode count), then the
  report's notes, one line each."""
  rows = []
  for name, s in report["summary"].items():
    seeds = [r for r in report["rows"] if r["variant"] == name]
    cell = lambda k, scale=1.0, fmt=".1f": (f"{scale * s[k]['mean']:{fmt}} +-"
                                             f" {scale * s[k]['std']:{fmt}}")
    if "modes" in s:
      rows.append([name, cell("modes"), f"{min(r['modes'] for r in seeds)}",
                   cell("high_quality", 100), cell("kl", fmt=".3f"), cell("raw/modes"),
                   cell("raw/high_quality", 100), f"{s['seconds']:.0f}"])
    else:
      rows.append([name, cell("fid"), cell("classes_covered"),
                   cell("class_entropy", fmt=".3f"), f"{s['seconds']:.0f}"])
  if "modes" in next(iter(report["summary"].values())):
    header = ["remedy", "modes (EMA)", "fewest modes", "high quality %", "KL",
              "modes (raw)", "high quality % (raw)", "train s"]
  else:
    header = ["remedy", "FCD", "classes covered", "class entropy (nats)", "train s"]
  notes = report.get("notes", [])  # Reports written before notes have none.
  return apps.markdown_table(header, rows) + "".join(f"\n\n{line}" for line in notes)
