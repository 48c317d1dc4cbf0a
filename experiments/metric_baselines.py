"""Reference values of the sample metrics: real data against real data, and against broken
"generators", so a model's numbers can be read (README, "Evaluation").

python -m experiments.metric_baselines --config=configs/vae_mnist10k.py \
    --extractor=classifier --extractor_path=/tmp/genjax/classifier_mnist10k --num=2000

Reference: the config's eval split (as the `features` evaluator uses it). Rows, each `--num`
images: 'real (train split)', disjoint from the reference; 'one class only' (train images
of class 0: total mode collapse); 'uniform noise'.
"""
import jax
import numpy as np
from absl import flags
from ml_collections import config_flags

from genjax import cli
from genjax import data as data_lib
from genjax import logging as log_lib
from genjax.errors import GenjaxError
from genjax.evaluators import extractors
from genjax.evaluators import features

_CONFIG = config_flags.DEFINE_config_file("config", "configs/vae_mnist10k.py", "Its data.")
_EXTRACTOR = flags.DEFINE_string("extractor", "classifier", "'inception' or 'classifier'.")
_EXTRACTOR_PATH = flags.DEFINE_string("extractor_path", "", "Parameter file or workdir.")
_METRICS = flags.DEFINE_string("metrics", "fid,kid,pr,dc,score,classes", "Metrics to compute.")
_NUM = flags.DEFINE_integer("num", 2000, "Images per row.")
_CACHE = flags.DEFINE_string("cache_dir", features.OPTIONS["cache_dir"], "Reference cache.")


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


def main(argv):
  del argv
  log_lib.quiet_libraries()
  config = _CONFIG.value
  metrics = features.parse_metrics(_METRICS.value)
  extractor = extractors.load(_EXTRACTOR.value, _EXTRACTOR_PATH.value)
  if not extractor.probs:
    metrics = tuple(m for m in metrics if m not in ("score", "classes"))
  real = features.reference_features(extractor, config.data, "eval", 0, _CACHE.value)
  table = {}
  for name, images in rows(data_lib.load(config.data), _NUM.value).items():
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
