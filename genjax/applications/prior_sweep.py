"""Samples of trained autoencoders under several latent priors (`genjax.latent_prior`),
scored in a feature network's space, with a copying check.

For each workdir and prior spec: `num` samples (key `seed`; the same draws for every prior
and workdir), their FID/KID/classifier score against the eval split (as the `features`
evaluator computes them, KID's subsets from its own purpose key), and `nn`, the median
Euclidean pixel distance ([0, 1] pixels) from a sample to its nearest training image. The
same median for the eval images is the yardstick: samples much nearer the training set than
held-out real images are recalled, not generated.
"""
import jax
import numpy as np

from genjax.applications import common as apps
from genjax import latent_prior
from genjax.data import pipeline
from genjax.evaluators import features


def nearest_distances(x_NxD, train_MxD, chunk: int = 500) -> np.ndarray:
  """Euclidean distance from each row of x to its nearest row of train: float64[N]."""
  x, train = np.asarray(x_NxD, np.float64), np.asarray(train_MxD, np.float64)
  squared = (train**2).sum(1)
  out = [np.sqrt(np.maximum(((part**2).sum(1)[:, None] - 2 * part @ train.T
                             + squared[None]).min(1), 0.0))
         for part in np.split(x, range(chunk, len(x), chunk))]
  return np.concatenate(out)


def flat(images):
  return np.asarray(images, np.float32).reshape(len(images), -1)


def sweep(workdirs, priors, extractor, num: int, seed: int = 0, metrics=("fid", "kid", "score"),
          cache_dir: str = features.OPTIONS["cache_dir"]) -> dict:
  """{'eval_nn': median NN distance of the eval images, 'rows': [{workdir, prior, metrics...,
  nn}]}; priors are checked for every workdir before any sampling."""
  runs = [apps.load(w) for w in workdirs]
  for run in runs:
    for spec in priors:
      latent_prior.check(run.family, spec)
  train = flat(runs[0].dataset.train_images)
  eval_nn = float(np.median(nearest_distances(flat(runs[0].dataset.eval_images), train)))
  key, rows = jax.random.PRNGKey(seed), []
  for run in runs:
    real = features.reference_features(extractor, run.config.data, "eval", 0, cache_dir)
    for spec in priors:
      sample = latent_prior.sampler(run.family, run.state, run.config.data, spec,
                                    dataset=run.dataset)
      images01 = pipeline.to_unit(features.draw_samples(sample, run.state, key, num, 100),
                                  run.config.data.value_range)
      result = features.compare(real, features.features_of(extractor, images01), metrics,
                                features.kid_key(key))
      rows.append({"workdir": run.workdir, "prior": spec, **result,
                   "nn": float(np.median(nearest_distances(flat(images01), train)))})
  return {"eval_nn": eval_nn, "num": num, "seed": seed, "extractor": extractor.id, "rows": rows}


def table(report: dict) -> str:
  header = ["workdir", "prior", "FID", "KID", "score", "NN (eval images: "
            f"{report['eval_nn']:.2f})"]
  rows = [[r["workdir"], r["prior"], r.get("fid", "-"),
           f"{r['kid']:.1f} +- {r['kid_std']:.1f}" if "kid" in r else "-",
           r.get("score", "-"), r["nn"]] for r in report["rows"]]
  return apps.markdown_table(header, rows)
