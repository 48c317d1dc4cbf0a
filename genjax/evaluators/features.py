"""Sample quality in a feature space: FID, KID, precision/recall, density/coverage, the
classifier score and the class histogram of samples, from one set of samples and one
feature network (`extractors`: the FID Inception, or a classifier trained in genjax, whose
FID is the Frechet classifier distance, FCD).

Samples come from the family's `sample` (its EMA generator where it keeps one), `num_samples`
of them from a fixed key (option `seed`; batch i draws with fold_in(key, i), KID's random
subsets with the purpose key `genjax.rng.purpose_key(key, 'kid')`, which no batch uses), or
with `prior='gmm<K>'` from its decoder at draws of a mixture fitted to the encoded training
set (`genjax.latent_prior`; the first `prior_examples` training images, 0: all, refitted at
every evaluation); with
`source='reconstructions'` they are the family's reconstructions of the first `num_samples`
eval images instead (given their labels when it is conditional), and 'class_agreement' is
the fraction the classifier assigns the original's label; the reference is the real
`reference` split ('eval' or 'train', its first `num_reference` images; 0: all), whose
features are computed once and cached on disk in `cache_dir`, keyed by the extractor and a
digest of the images themselves (a data file replaced at the same path gets new features).
Metrics are logged as `eval/<evaluator name>/<metric>` (e.g. eval/classifier/fid for an
evaluator named 'classifier'; the shipped configs name one with a fitted prior 'classifier_gmm10').
Definitions: the docstrings of `genjax.metrics.frechet`, `kid`, `prdc`, `classifier_score`.
"""
import hashlib
import json
import os

import jax
import numpy as np

from genjax import data as data_lib
from genjax import latent_prior
from genjax import rng as rng_lib
from genjax import schema
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.evaluators import extractors
from genjax.metrics import classifier_score
from genjax.metrics import frechet
from genjax.metrics import kid
from genjax.metrics import prdc

NEEDS = ("sample",)
OPTIONS = dict(extractor="inception", path="", metrics="fid,kid", source="samples",
               num_samples=2000, prior=latent_prior.STANDARD, prior_examples=0,
               reference="eval", num_reference=0, batch_size=100, kid_subsets=100,
               kid_subset_size=1000, seed=0, cache_dir="~/.cache/genjax/features")
METRICS = ("fid", "kid", "pr", "dc", "score", "classes")
REFERENCES = ("eval", "train")
SOURCES = ("samples", "reconstructions")


def needs(options) -> tuple:
  """The predict functions it calls: `reconstruct` for source='reconstructions', else `sample`
  (a prior with reconstructions is refused by `check`, naming the conflict)."""
  if (options.get("source") == "reconstructions"
      and options.get("prior", latent_prior.STANDARD) == latent_prior.STANDARD):
    return ("reconstruct",)
  return NEEDS


def parse_metrics(spec: str) -> tuple:
  return schema.comma_names("metrics", spec, METRICS)


def compare(real, fake, metrics, key, kid_subsets=100, kid_subset_size=1000) -> dict:
  """The `metrics` of fake against real features ({'features', 'probs'?} dicts, numpy)."""
  out = {}
  if "fid" in metrics:
    out["fid"] = frechet.frechet_distance(*frechet.gaussian_stats(real["features"]),
                                          *frechet.gaussian_stats(fake["features"]))
  if "kid" in metrics:
    out["kid"], out["kid_std"] = kid.kid(real["features"], fake["features"], key, kid_subsets,
                                         kid_subset_size)
  if "pr" in metrics or "dc" in metrics:
    result = prdc.prdc(real["features"], fake["features"])
    for pair, names in (("pr", ("precision", "recall")), ("dc", ("density", "coverage"))):
      if pair in metrics:
        out.update({n: result[n] for n in names})
  if "score" in metrics:
    out["score"], out["score_std"] = classifier_score.classifier_score(fake["probs"])
  if "classes" in metrics:
    histogram = classifier_score.class_histogram(fake["probs"])
    out["class_entropy"] = histogram["entropy"]
    out["classes_covered"] = histogram["classes_covered"]
  return {k: float(v) + 0.0 for k, v in out.items()}  # + 0.0: no "-0" entropies.


def features_of(extractor, images01):
  """{'features', 'probs'?} of `images01`, checked against the shape the extractor needs."""
  if extractor.shape is not None and tuple(images01.shape[1:]) != tuple(extractor.shape):
    raise GenjaxError(f"the feature network ({extractor.id}) takes images of shape"
                      f" {tuple(extractor.shape)}, these are {tuple(images01.shape[1:])}: use a"
                      " classifier trained on this data's image size")
  return {k: np.asarray(v, np.float32) for k, v in extractor.fn(images01).items()}


def kid_key(key):
  """The key of KID's random subsets: a purpose key of the samples' key, none of the sample
  batches' fold_in(key, i)."""
  return rng_lib.purpose_key(key, "kid")


def reference_features(extractor, data_config, split: str, num: int, cache_dir: str):
  """Features of the first `num` (0: all) real images of `split`, cached on disk by what
  they depend on: the extractor (network and weights) and the images' content (a SHA-256
  of the array loaded), not the data config, so a file replaced at the same path is not
  served the old file's features. The images are loaded on every call to be hashed."""
  dataset = data_lib.load(data_config)
  images = dataset.eval_images if split == "eval" else dataset.train_images
  if images is None:
    raise GenjaxError(f"data {data_config.name!r} has no images to compare samples with")
  images = np.ascontiguousarray(np.asarray(images[:num or None], np.float32))
  content = hashlib.sha256(images.tobytes()).hexdigest()
  key = hashlib.sha256(json.dumps([extractor.id, list(images.shape), content]).encode()
                       ).hexdigest()[:24]
  path = os.path.join(os.path.expanduser(cache_dir), f"{key}.npz") if cache_dir else ""
  if path and os.path.exists(path):
    with np.load(path) as cached:
      return dict(cached)
  features = features_of(extractor, images)
  if path:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path + ".tmp.npz", **features)
    os.replace(path + ".tmp.npz", path)  # Whole or absent: never a half-written cache.
  return features


def draw_samples(sample, state, key, num: int, batch_size: int):
  """`num` samples in batches of `batch_size` (one compiled size), numpy."""
  parts = [np.asarray(sample(state, jax.random.fold_in(key, i), batch_size))
           for i in range(-(-num // batch_size))]
  return np.concatenate(parts)[:num]


def reconstruct_eval(reconstruct, state, eval_data, num_classes: int, num: int,
                     batch_size: int):
  """(reconstructions of the first `num` eval images, their labels or None), numpy."""
  if eval_data is None:
    raise GenjaxError("source='reconstructions' needs an eval split of images")
  images, labels = eval_data["image"][:num], eval_data.get("label")
  labels = None if labels is None else np.asarray(labels[:num])
  parts = []
  for start in range(0, len(images), batch_size):
    args = (labels[start:start + batch_size],) if num_classes else ()
    parts.append(np.asarray(reconstruct(state, images[start:start + batch_size], *args)))
  return np.concatenate(parts), labels


def check(options, is_image: bool) -> tuple:
  metrics = parse_metrics(options["metrics"])
  if not is_image:
    raise GenjaxError("evals type 'features' scores images; 2-D mixtures use type 'modes'")
  if options["source"] not in SOURCES:
    raise GenjaxError(f"source={options['source']!r}: valid are {SOURCES}")
  if options["prior"] != latent_prior.STANDARD and options["source"] != "samples":
    raise GenjaxError(f"prior={options['prior']!r} draws samples: use it with source='samples'")
  if not isinstance(options["prior_examples"], int) or options["prior_examples"] < 0:
    raise GenjaxError(f"prior_examples={options['prior_examples']!r} must be an integer >= 0")
  if options["reference"] not in REFERENCES:
    raise GenjaxError(f"reference={options['reference']!r}: valid are {REFERENCES}")
  for field in ("num_samples", "batch_size", "kid_subsets", "kid_subset_size"):
    if not isinstance(options[field], int) or options[field] <= 0:
      raise GenjaxError(f"{field}={options[field]!r} must be a positive integer")
  if min(options["num_samples"], options["num_reference"] or 6) <= 5 and (
      "pr" in metrics or "dc" in metrics):
    raise GenjaxError("pr/dc need more than 5 samples and reference images (k=5 neighbours)")
  return metrics


def make(family, config, options):
  metrics = check(options, family.data_info.is_image)
  extractor = extractors.load(options["extractor"], options["path"], options["batch_size"])
  if ("score" in metrics or "classes" in metrics) and not extractor.probs:
    raise GenjaxError(f"metrics 'score' and 'classes' need class probabilities: use"
                      f" extractor='classifier', not {options['extractor']!r}")
  reconstructions = options["source"] == "reconstructions"
  fitted = latent_prior.check(family, options["prior"]) > 0
  sample = None if reconstructions else jax.jit(family.predict["sample"], static_argnums=2)
  reconstruct = jax.jit(family.predict["reconstruct"]) if reconstructions else None
  key = jax.random.PRNGKey(options["seed"])
  cache = {}

  def run(state, eval_data=None):
    """The reference is read raw (grey levels, not binarized) through the data config;
    reconstructions are of `eval_data` as the model sees it."""
    if "real" not in cache:
      cache["real"] = reference_features(extractor, config.data, options["reference"],
                                         options["num_reference"], options["cache_dir"])
    if reconstructions:
      fakes, labels = reconstruct_eval(reconstruct, state, eval_data, family.num_classes,
                                       options["num_samples"], options["batch_size"])
    else:
      if fitted:  # The encoder moves during training: refit on this state.
        if "dataset" not in cache:
          cache["dataset"] = data_lib.load(config.data)
        sample_fn = latent_prior.sampler(family, state, config.data, options["prior"],
                                         num_fit=options["prior_examples"],
                                         dataset=cache["dataset"])
      else:
        sample_fn = sample
      fakes = draw_samples(sample_fn, state, key, options["num_samples"], options["batch_size"])
    fake = features_of(extractor, pipeline.to_unit(fakes, config.data.value_range))
    result = compare(cache["real"], fake, metrics, kid_key(key), options["kid_subsets"],
                     options["kid_subset_size"])
    if reconstructions and extractor.probs and labels is not None:
      result["class_agreement"] = float(np.mean(fake["probs"].argmax(1) == labels))
    return result

  run.about = {"extractor": extractor.id, "num_samples": options["num_samples"],
               "reference": options["reference"], "num_reference": options["num_reference"],
               "seed": options["seed"],
               "sampler": ("reconstruct of the first num_samples eval images" if reconstructions
                           else f"decode at draws of {options['prior']} fitted to the encoded"
                           " training set" if fitted else
                           "sample (EMA weights where the family has them)")}
  return run
