"""scikit-learn's bundled 8x8 handwritten digits as a tensorflow-datasets builder.

Prepared as array_record with plain array features, so it needs no TensorFlow and
no network: `tfds.data_source('digits', split='train')` reads it like any other
tfds dataset once this module is imported (importing registers the builder).
"""
import numpy as np
import tensorflow_datasets as tfds

NUM_EVAL = 360  # of 1,797 images; the rest (1,437) are the train split.
SPLIT_SEED = 0


class Digits(tfds.core.GeneratorBasedBuilder):
  """1,797 8x8 grayscale digits (values 0..16 rescaled to uint8 0..255), labels 0..9."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Seeded 1,437/360 train/test split of sklearn load_digits."}

  def __init__(self, *, file_format=None, **kwargs):
    # array_record (random access, no TensorFlow) unless the caller asks otherwise.
    super().__init__(file_format=file_format or "array_record", **kwargs)

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description="scikit-learn's bundled UCI optical handwritten digits, 8x8.",
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Tensor(shape=(8, 8, 1), dtype=np.uint8),
            "label": tfds.features.Tensor(shape=(), dtype=np.int64),
        }),
        supervised_keys=("image", "label"),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the data ships inside scikit-learn.
    order = np.random.RandomState(SPLIT_SEED).permutation(1797)
    return {
        "train": self._generate_examples(order[NUM_EVAL:]),
        "test": self._generate_examples(order[:NUM_EVAL]),
    }

  def _generate_examples(self, indices):
    from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    for i in indices:
      yield int(i), {"image": images[i][..., None], "label": int(digits.target[i])}
