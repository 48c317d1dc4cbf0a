"""Frechet distance of a run's samples in the features of a classifier genjax did not train:
scikit-learn's MLPClassifier (256, 128 ReLU units, seed 0, 60 epochs) fitted to the run's own
training images, its last hidden layer as the features, against the run's eval images. A
check on the FCD that is independent of genjax's classifier and of its training code.

python -m experiments.independent_fd --workdirs=DIR[,DIR...] [--num=2000] [--seed=0]

Prints one line per workdir: the samples' distance and, as the floor, that of `num` training
images (real against real).
"""
import json

import numpy as np
from absl import app
from absl import flags

from genjax import cli
from genjax import data as data_lib
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax import workdirs
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.metrics import frechet

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Workdirs of trained image models.")
_NUM = flags.DEFINE_integer("num", 2000, "Samples per workdir.")
_SEED = flags.DEFINE_integer("seed", 0, "Sampling seed.")


def feature_fn(train_images01, train_labels):
  """x01_NxHxWxC -> the last hidden layer (float[N, 128]) of an MLP fitted to the images."""
  from sklearn.neural_network import MLPClassifier  # pylint: disable=import-outside-toplevel
  flat = lambda x: np.asarray(x, np.float64).reshape(len(x), -1)
  mlp = MLPClassifier((256, 128), max_iter=60, random_state=0).fit(flat(train_images01),
                                                                   train_labels)

  def features(x01):
    h = flat(x01)
    for w, b in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1]):
      h = np.maximum(h @ w + b, 0.0)
    return h
  return features


def distance(features, a01, b01) -> float:
  return float(frechet.frechet_distance(*frechet.gaussian_stats(features(a01)),
                                        *frechet.gaussian_stats(features(b01))))


def score(workdir: str, num: int, seed: int) -> dict:
  config, shape, _ = run_lib.read_config(workdir)
  if len(shape) != 3 or not config.data.get("name"):
    raise GenjaxError(f"{workdir!r} holds no image model")
  dataset = data_lib.load(config.data)
  if not dataset.num_classes:
    raise GenjaxError(f"{workdir!r}: its data has no labels to fit the classifier to")
  features = feature_fn(dataset.train_images, dataset.train_labels)
  samples = pipeline.to_unit(workdirs.sample(workdir, num, seed), config.data.value_range)
  return {"workdir": workdir, "samples": num,
          "fd": distance(features, samples, dataset.eval_images),
          "fd_real": distance(features, dataset.train_images[:num], dataset.eval_images)}


def main(argv):
  del argv
  log_lib.quiet_libraries()
  try:
    if not _WORKDIRS.value:
      raise GenjaxError("--workdirs is required: one or more comma-separated workdirs")
    if _NUM.value < 2:
      raise GenjaxError(f"--num={_NUM.value} must be at least 2")
    for workdir in _WORKDIRS.value:
      print(json.dumps(score(workdir, _NUM.value, _SEED.value)))
  except GenjaxError as e:
    cli.fail(e)


if __name__ == "__main__":
  cli.run(main)
