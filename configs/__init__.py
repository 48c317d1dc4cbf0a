"""Shipped configs (each module's `get_config()`): every one starts from one family default
(genjax/defaults/<family>.py, every field documented there) and sets its recipe explicitly.
Here: the data paths and the evaluator several of them share."""
import os

import ml_collections

# Where the shipped configs read their data files: $GENJAX_DATA_DIR, else ../shared/data beside
# the repository (absolute, so mains run from any directory); tfds datasets need neither.
DATA_DIR = os.environ.get("GENJAX_DATA_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data")
MNIST10K = os.path.normpath(os.path.join(DATA_DIR, "mnist10k"))
# The standard splits as IDX files (LeCun's MNIST, Zalando's Fashion-MNIST: same names, same
# layout): DATA_DIR/<name>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
STANDARD_IDX = ("mnist", "fashion_mnist")


def use_mnist10k(data) -> None:
  """Points `data` (a config.data) at the MNIST test set's IDX files, images and labels:
  the first 8,000 images train, the last 2,000 evaluate."""
  data.name = "idx"
  data.path = f"{MNIST10K}/t10k-images-idx3-ubyte.gz"
  data.labels_path = f"{MNIST10K}/t10k-labels-idx1-ubyte.gz"
  data.num_eval = 2000


def use_standard_split(data, name: str) -> None:
  """Points `data` (a config.data) at `name`'s standard split ('mnist' or 'fashion_mnist'):
  the 60,000 training images train, the 10,000 test images evaluate (data.eval_path), with
  labels. The IDX files are read from DATA_DIR/<name>/; tfds users override
  data.name=<name> instead (its 'train' and 'test' splits are the same images)."""
  if name not in STANDARD_IDX:
    raise ValueError(f"use_standard_split: name={name!r}, valid are {STANDARD_IDX}")
  folder = os.path.normpath(os.path.join(DATA_DIR, name))
  data.name = "idx"
  data.path = f"{folder}/train-images-idx3-ubyte.gz"
  data.labels_path = f"{folder}/train-labels-idx1-ubyte.gz"
  data.eval_path = f"{folder}/t10k-images-idx3-ubyte.gz"
  data.eval_labels_path = f"{folder}/t10k-labels-idx1-ubyte.gz"
  data.num_eval = 0


MOSES = os.path.normpath(os.path.join(DATA_DIR, "moses"))  # The MOSES splits (or the molsets wheel).
# data.length_buckets for MOSES molecules: token widths (characters + BOS, EOS) holding ~13%,
# 25%, 32%, 23%, 6% of the training set; the last 0.6% run at the full 59.
MOSES_LENGTH_BUCKETS = (32, 36, 40, 44, 48)

# The classifier of the MNIST-10k model configs' FCD evaluator (fcd_evaluator): its config,
# trained on first use in the runs cache (genjax.runs_cache; or a trained workdir's path).
CLASSIFIER_MNIST10K = "configs/classifier_mnist10k.py"


def fcd_evaluator(**options) -> ml_collections.ConfigDict:
  """The `features` evaluator the MNIST-10k model configs log: FCD (eval/classifier/fid),
  KID, classifier score and class histogram of 2,000 samples in the MNIST-10k classifier's
  features, against the 2,000 eval images; `options` override or add evaluator options
  (e.g. num_samples, prior). The classifier trains on first use (a few minutes on a CPU)."""
  return ml_collections.ConfigDict({
      **dict(type="features", every_steps=0, extractor="classifier", path=CLASSIFIER_MNIST10K,
             metrics="fid,kid,score,classes", num_samples=2000), **options})


def augment_generators() -> dict:
  """The shipped config each generator of `experiments.augment` trains by default, by the
  classifier's data: {generator: {'digits' | 'mnist10k': get_config}}."""
  # pylint: disable=g-import-not-at-top,import-outside-toplevel  (those modules import this one)
  from configs import cgan_mnist10k, cvae_mnist10k, dcgan_digits, default, vaegan_digits
  from configs import vaegan_mnist10k
  return {
      "cvae": {"digits": default.get_config, "mnist10k": cvae_mnist10k.get_config},
      "cgan": {"digits": dcgan_digits.get_config, "mnist10k": cgan_mnist10k.get_config},
      "cvaegan": {"digits": vaegan_digits.get_config, "mnist10k": vaegan_mnist10k.get_config},
  }


def inception_fid_evaluator(**options) -> ml_collections.ConfigDict:
  """The `features` evaluator of the standard-split configs, under Lucic et al. 2018's
  protocol: FID, KID and precision/recall in the FID Inception network's pool features, of
  10,000 samples against all 10,000 test images (grey levels copied to 3 channels, resized
  to 299x299 as TF1 did: genjax/feature_nets/inception.py), the test features cached once
  per dataset. Logged at the end of training (every_steps=0); `options` override any field
  (e.g. num_samples=5000 where 10,000 Inception passes are too slow)."""
  return ml_collections.ConfigDict({
      **dict(type="features", every_steps=0, extractor="inception", path="",
             metrics="fid,kid,pr", num_samples=10000, reference="eval", num_reference=0),
      **options})
