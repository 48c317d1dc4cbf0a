"""Reference values of the sample metrics: real data against real data, and against broken
"generators", so a model's numbers can be read (docs/evaluation.md).

python -m experiments.metric_baselines --config=configs/vae_mnist10k.py \
    --extractor=classifier --extractor_path=/tmp/genjax/classifier_mnist10k --num=2000

Reference: the config's eval split (as the `features` evaluator uses it). Rows, each `--num`
images: 'real (train split)', disjoint from the reference; 'one class only' (train images
of class 0: total mode collapse); 'uniform noise'; then one row per `--samples` file (.npy,
NxHxWxC in [0, 1], e.g. experiments.torch_dcgan's), its first `--num` images (`--nobaselines`:
those rows only).
"""
import os

import jax
import numpy as np
from absl import flags
from ml_collections import config_flags

from genjax import cli
from genjax import data as data_lib
from genjax import logs as log_lib
from genjax.errors import GenjaxError
from genjax.evaluators import extractors
from genjax.evaluators import features

_CONFIG = config_flags.DEFINE_config_file("config", "configs/vae_mnist10k.py", "Its data.")
_EXTRACTOR = flags.DEFINE_string("extractor", "classifier", "'inception' or 'classifier'.")
_EXTRACTOR_PATH = flags.DEFINE_string("extractor_path", "", "Parameter file or workdir.")
_METRICS = flags.DEFINE_string("metrics", "fid,kid,pr,dc,score,classes", "Metrics to compute.")
_NUM = flags.DEFINE_integer("num", 2000, "Images per row.")
_CACHE = flags.DEFINE_string("cache_dir", features.OPTIONS["cache_dir"], "Reference cache.")
_SAMPLES = flags.DEFINE_list("samples", [], "Image files (.npy, NxHxWxC in [0, 1]) to score.")
_BASELINES = flags.DEFINE_bool("baselines", True, "Include the real and broken rows.")


def rows(dataset, num: int, seed: int = 0) -> dict:
  """{row name: images01_NxHxWxC}."""
  train = np.asarray(dataset.train_images, np.float32)
  if len(train) < num:
    raise GenjaxError(f"--num={num} exceeds the {len(train)} training images")
  out = {"real (train split)": train[:num]}
  if dataset.train_labels is not None:
    one_class = train[np.asarray(dataset.train_labels) == 0]
    out["one class only"] = one_class[np.arange(num) % len(one_class)]
  out["uniform noise"] = np.random.default_rng(seed).random((num,) + train.shape[1:],
                                                             dtype=np.float32)
  return out


def sample_rows(paths, num: int, shape) -> dict:
  """{file name: its first `num` images}, each checked against the data's image shape."""
  out = {}
  for path in paths:
    try:
      images = np.load(path)
    except (OSError, ValueError) as e:
      raise GenjaxError(f"--samples: cannot read {path!r} ({type(e).__name__}): give .npy files"
                        " of NxHxWxC images in [0, 1]") from None
    if images.shape[1:] != tuple(shape) or len(images) < num:
      raise GenjaxError(f"--samples: {path!r} holds images of shape {images.shape}; need at"
                        f" least --num={num} images of shape {tuple(shape)} in [0, 1]")
    out[os.path.basename(path)] = np.asarray(images[:num], np.float32)
  return out


def main(argv):
  del argv
  log_lib.quiet_libraries()
  config = _CONFIG.value
  metrics = features.parse_metrics(_METRICS.value)
  dataset = data_lib.load(config.data)
  named = rows(dataset, _NUM.value) if _BASELINES.value else {}
  named.update(sample_rows(_SAMPLES.value, _NUM.value, dataset.train_images.shape[1:]))
  if not named:
    raise GenjaxError("--nobaselines leaves nothing to score: give --samples files")
  extractor = extractors.load(_EXTRACTOR.value, _EXTRACTOR_PATH.value)
  if not extractor.probs:
    metrics = tuple(m for m in metrics if m not in ("score", "classes"))
  real = features.reference_features(extractor, config.data, "eval", 0, _CACHE.value)
  table = {}
  for name, images in named.items():
    table[name] = features.compare(real, features.features_of(extractor, images), metrics,
                                   jax.random.PRNGKey(1))
  columns = list(next(iter(table.values())))
  print(f"reference: {config.data.name} eval split ({len(real['features'])} images);"
        f" {_NUM.value} per row; features: {extractor.id}")
  print("| images | " + " | ".join(columns) + " |")
  print("|" + " --- |" * (len(columns) + 1))
  for name, values in table.items():
    print(f"| {name} | " + " | ".join(f"{values[c]:.4g}" for c in columns) + " |")


if __name__ == "__main__":
  cli.run(main)
