"""Datasets as in-memory NHWC float32 arrays in [0, 1] (or SMILES as int32 token rows, see
`genjax.data.smiles`), plus the on-device batch pipeline.

`load(config.data)` returns a `Dataset`; `genjax.data.pipeline` turns it into the
batch of step `s`, a pure function of (seed, s).
"""
import contextlib
import dataclasses
import io
from typing import Optional, Tuple

import numpy as np

from genjax.data import files
from genjax.data import pseudo_labels
from genjax.data import smiles
from genjax.data import toy2d
from genjax.errors import GenjaxError

BUILTIN = ("digits", "idx", "npz", "smiles", "ring8", "grid25")
TFDS_EXAMPLES = ("mnist", "fashion_mnist", "cifar10", "celeb_a")


@dataclasses.dataclass(frozen=True)
class Dataset:
  """Train and eval images (NHWC float32 in [0, 1]; train images may be uint8 0..255, see
  `load`'s keep_uint8) and optional int32 labels; or sequences: token rows int32[N, T] with
  their lengths int32[N] and the vocabulary (`genjax.data.smiles`), and no images."""
  train_images: np.ndarray
  eval_images: np.ndarray
  train_labels: Optional[np.ndarray] = None
  eval_labels: Optional[np.ndarray] = None
  num_classes: int = 0
  mixture_means: Optional[np.ndarray] = None  # 2-D mixtures: float32[M, 2]; no images.
  mixture_std: float = 0.0
  mixture_centroids: Optional[np.ndarray] = None  # Pseudo-labels of a mixture: float32[K, 2].
  train_total: int = 0  # Examples in the whole train split, when train_images holds a part.
  train_tokens: Optional[np.ndarray] = None  # Sequences: int32[N, T] (BOS chars EOS PAD...).
  train_lengths: Optional[np.ndarray] = None  # int32[N]: tokens before the padding.
  eval_tokens: Optional[np.ndarray] = None
  eval_lengths: Optional[np.ndarray] = None
  vocab: Tuple[str, ...] = ()  # Sequences: the token strings in id order.

  @property
  def num_train(self) -> int:
    """Examples in the train split (0 for 2-D mixtures, which draw fresh points)."""
    if self.train_tokens is not None:
      return self.train_total or len(self.train_tokens)
    if self.train_images is None:
      return 0
    return self.train_total or len(self.train_images)

  @property
  def image_shape(self):
    """(H, W, C) of images, (2,) for 2-D points or (T,) for token sequences."""
    if self.mixture_means is not None:
      return (2,)
    if self.train_tokens is not None:
      return tuple(self.train_tokens.shape[1:])
    return tuple(self.train_images.shape[1:])

  def train_arrays(self):
    """The train examples as stored: {'image' (float32, or uint8), 'label'?}, or sequences'
    {'tokens': int32[N, T], 'length': int32[N]}."""
    if self.train_tokens is not None:
      return {"tokens": self.train_tokens, "length": self.train_lengths}
    arrays = {"image": self.train_images}
    if self.train_labels is not None:
      arrays["label"] = self.train_labels
    return arrays

  def device_arrays(self):
    """What the on-device pipeline draws batches from (see `pipeline.train_batch`)."""
    if self.mixture_means is not None:
      if self.mixture_centroids is not None:
        return {"means": self.mixture_means, "centroids": self.mixture_centroids}
      return {"means": self.mixture_means}
    arrays = self.train_arrays()
    if "image" not in arrays:
      return arrays
    return {**arrays, "image": files.unit_float(arrays["image"])}


def shard_rows(num_train: int, num_shards: int, shards) -> Tuple[int, int]:
  """Rows [start, stop) of the train split that hold `shards` = (first, count) of its
  `num_shards` equal contiguous shards (see `pipeline.Sampling`)."""
  size = num_train // num_shards
  return shards[0] * size, (shards[0] + shards[1]) * size


def load(data_config, shards=None, keep_uint8: bool = False) -> Dataset:
  """Loads `data_config.name`: 'digits', 'idx', 'npz', 'smiles' or any tfds image dataset.

  `shards` = (first, count) keeps only those of the train split's `data.num_shards`
  shards (`train_total` then records the split's size); tfds splits read only their rows.
  `keep_uint8`: uint8 train images stay uint8 (unless resized): `device_arrays` and the
  host feed convert them with `files.unit_float`, to the values of a float32 load.
  """
  name = data_config.name
  if name == "digits":
    from genjax.data import digits  # pylint: disable=unused-import,g-import-not-at-top  (registers builder)
    dataset = _from_tfds("digits", data_config, "train", "test", shards, keep_uint8)
  elif name in ("idx", "npz"):
    dataset = _from_files(data_config, keep_uint8)
    if shards is not None:
      start, stop = shard_rows(dataset.num_train, data_config.num_shards, shards)
      part = lambda a: None if a is None else a[start:stop]
      dataset = dataclasses.replace(dataset, train_images=part(dataset.train_images),
                                    train_labels=part(dataset.train_labels),
                                    train_total=dataset.num_train)
  elif name == "smiles":
    return _from_smiles(data_config, shards)
  elif name in toy2d.DEFAULTS:
    if data_config.std <= 0:
      raise GenjaxError(f"data.std={data_config.std} must be positive for {name}")
    if data_config.get("exclude_labels", ""):
      raise GenjaxError(f"data.exclude_labels needs labelled images; {name} has none")
    means = toy2d.means(name, data_config.radius, data_config.spacing)
    dataset = Dataset(None, None, mixture_means=means, mixture_std=data_config.std)
    return pseudo_labels.apply_to_mixture(dataset, data_config.get("pseudo_labels", ""), 0)
  else:
    dataset = _from_tfds(name, data_config, data_config.train_split, data_config.eval_split,
                         shards, keep_uint8)
  excluded = data_config.get("exclude_labels", "")
  if excluded:
    dataset = exclude_labels(dataset, excluded, shards)
  dataset = _resize(dataset, data_config.image_size)
  return pseudo_labels.apply(dataset, data_config.get("pseudo_labels", ""), 0, shards)


def _from_smiles(data_config, shards=None) -> Dataset:
  """SMILES molecules (`genjax.data.smiles`): token rows, lengths and the vocabulary; with
  `shards`, only those rows of the train split (after data.max_train)."""
  if data_config.get("exclude_labels", ""):
    raise GenjaxError("data.exclude_labels needs labelled images; SMILES have no labels")
  if data_config.image_size:
    raise GenjaxError(f"data.image_size={data_config.image_size} has no meaning for SMILES: set 0")
  mols = smiles.load(data_config)
  tokens, lengths, total = mols.train_tokens, mols.train_lengths, 0
  if shards is not None:
    total = len(tokens)
    start, stop = shard_rows(total, data_config.num_shards, shards)
    tokens, lengths = tokens[start:stop], lengths[start:stop]
  return Dataset(None, None, train_total=total, train_tokens=tokens, train_lengths=lengths,
                 eval_tokens=mols.eval_tokens, eval_lengths=mols.eval_lengths,
                 vocab=mols.vocab.tokens)


def exclude_labels(dataset: Dataset, labels: str, shards=None) -> Dataset:
  """`dataset` without the train examples whose label is in `labels` ('3' or '3,5'): the
  one-class-out protocol of anomaly detection. The eval split keeps every class."""
  where = f"data.exclude_labels={labels!r}"
  if dataset.train_labels is None:
    raise GenjaxError(f"{where}: this dataset has no labels (give data.labels_path for idx)")
  if shards is not None:
    raise GenjaxError(f"{where} needs the whole train split in each process (num_shards=1)")
  try:
    drop = sorted({int(label) for label in labels.split(",")})
  except ValueError:
    raise GenjaxError(f"{where} must be comma-separated class numbers, e.g. '3' or '3,5'") from None
  if not all(0 <= label < dataset.num_classes for label in drop):
    raise GenjaxError(f"{where}: valid classes are 0..{dataset.num_classes - 1}")
  keep = ~np.isin(dataset.train_labels, drop)
  if not keep.any():
    raise GenjaxError(f"{where} leaves no training examples")
  return dataclasses.replace(dataset, train_images=dataset.train_images[keep],
                             train_labels=dataset.train_labels[keep])


def _read_file(name: str, path: str, labels_path: str, keep_uint8: bool):
  """(images NxHxWxC, labels int[N] or None) of one idx (with its labels file) or npz file."""
  if name == "idx":
    images = files.read_idx(path)
    labels = files.read_idx(labels_path) if labels_path else None
  else:
    images, labels = files.read_npz(path)
  images = files.as_images(images, path, keep_uint8)
  if labels is not None and labels.shape != (len(images),):
    raise GenjaxError(f"labels of {path!r} have shape {labels.shape}, expected ({len(images)},)")
  return images, labels


def _from_train_and_eval_files(data_config, keep_uint8: bool) -> Dataset:
  """All of data.path trains; the first data.num_eval (0: all) of data.eval_path evaluate."""
  images, labels = _read_file(data_config.name, data_config.path, data_config.labels_path,
                              keep_uint8)
  eval_images, eval_labels = _read_file(data_config.name, data_config.eval_path,
                                        data_config.get("eval_labels_path", ""), keep_uint8)
  if (labels is None) != (eval_labels is None):
    raise GenjaxError("data.labels_path and data.eval_labels_path go together: give both or"
                      " neither")
  if images.shape[1:] != eval_images.shape[1:]:
    raise GenjaxError(f"data.eval_path={data_config.eval_path!r} holds images of shape"
                      f" {eval_images.shape[1:]}, data.path {images.shape[1:]}")
  num_eval = data_config.num_eval or len(eval_images)
  if not 0 < num_eval <= len(eval_images):
    raise GenjaxError(f"data.num_eval={data_config.num_eval} must lie in [0, {len(eval_images)}]"
                      f" for data.eval_path={data_config.eval_path!r} (0: all of it)")
  as_int = lambda a: None if a is None else a.astype(np.int32)
  num_classes = 0 if labels is None else int(max(labels.max(), eval_labels.max())) + 1
  return Dataset(images, files.unit_float(eval_images[:num_eval]), as_int(labels),
                 None if eval_labels is None else as_int(eval_labels[:num_eval]), num_classes)


def _from_files(data_config, keep_uint8: bool = False) -> Dataset:
  if data_config.get("eval_path", ""):
    return _from_train_and_eval_files(data_config, keep_uint8)
  path = data_config.path
  images, labels = _read_file(data_config.name, path, data_config.labels_path, keep_uint8)
  num_eval = data_config.num_eval
  if not 0 < num_eval < len(images):
    raise GenjaxError(f"data.num_eval={num_eval} must lie in [1, {len(images) - 1}] for {path!r}")
  order = np.arange(len(images))
  if data_config.shuffle_split:
    order = np.random.RandomState(data_config.split_seed).permutation(len(images))
  train, evals = order[:-num_eval], order[-num_eval:]
  pick = lambda a, i: None if a is None else a[i].astype(np.int32)
  return Dataset(images[train], files.unit_float(images[evals]), pick(labels, train),
                 pick(labels, evals),
                 0 if labels is None else int(labels.max()) + 1)


def _tfds_split(name, split, data_dir):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  source = lambda: tfds.data_source(name, split=split, data_dir=data_dir or None,
                                    builder_kwargs={"file_format": "array_record"},
                                    download_and_prepare_kwargs={"file_format": "array_record"})

  def load():
    if name != "digits":
      return source()
    tfds.disable_progress_bar()  # Nothing is downloaded: no "Downloading ..." line or bars.
    try:
      with contextlib.redirect_stdout(io.StringIO()):
        return source()
    finally:
      tfds.enable_progress_bar()
  try:
    try:
      return load()
    except FileExistsError:  # Another process prepared it at the same time: read theirs.
      return load()
  except tfds.core.registered.DatasetNotFoundError:
    raise GenjaxError(
        f"unknown dataset data.name={name!r}: valid are {', '.join(BUILTIN)} or a"
        f" tensorflow-datasets image dataset ({', '.join(TFDS_EXAMPLES)}, ...)") from None
  except ModuleNotFoundError as e:
    if "tensorflow" in str(e):
      raise GenjaxError(
          f"preparing tfds dataset {name!r} needs TensorFlow: pip install 'genjax[tf]'"
          " (or point data.tfds_data_dir at an already prepared copy)") from None
    raise
  except ValueError as e:
    raise GenjaxError(f"tfds dataset {name!r} has no split {split!r}: {e}") from None


def _from_tfds(name, data_config, train_split, eval_split, shards=None,
               keep_uint8: bool = False) -> Dataset:
  """Reads splits through `tfds.data_source` (array_record, random access): the whole eval
  split, and the rows of `shards` (None: all) of the train split."""
  arrays, train_total = [], 0
  for split in (train_split, eval_split):
    source = _tfds_split(name, split, data_config.tfds_data_dir)
    rows = range(len(source))
    if split == train_split and shards is not None:
      train_total = len(source)
      rows = range(*shard_rows(train_total, data_config.num_shards, shards))
    records = [source[i] for i in rows]
    if not records or "image" not in records[0]:
      raise GenjaxError(f"tfds dataset {name!r} split {split!r} has no 'image' feature")
    images = files.as_images(np.stack([r["image"] for r in records]), f"tfds:{name}/{split}",
                             keep_uint8 and split == train_split)
    labels = (np.asarray([r["label"] for r in records], np.int32)
              if "label" in records[0] else None)
    arrays.append((images, labels))
  (train_x, train_y), (eval_x, eval_y) = arrays
  num_classes = 0 if train_y is None else int(max(train_y.max(), eval_y.max())) + 1
  # A ClassLabel feature knows the count, which a process's shards might not all show.
  features = source.dataset_info.features
  label = features["label"] if train_y is not None and "label" in features else None
  num_classes = getattr(label, "num_classes", None) or num_classes
  return Dataset(train_x, eval_x, train_y, eval_y, num_classes, train_total=train_total)


def _resize(dataset: Dataset, size: int) -> Dataset:
  """Zero-pads (centred) up to `size` x `size`, or resizes bilinearly down to it; 0 keeps."""
  if size < 0:
    raise GenjaxError(f"data.image_size={size} must be >= 0 (0 keeps the native size)")
  height, width = dataset.image_shape[:2]
  if size == 0 or (height, width) == (size, size):
    return dataset

  def fit(images):
    if size >= height and size >= width:
      top, left = (size - height) // 2, (size - width) // 2
      return np.pad(images, ((0, 0), (top, size - height - top), (left, size - width - left), (0, 0)))
    import jax  # pylint: disable=g-import-not-at-top
    images = files.unit_float(images)
    out = jax.image.resize(images, (len(images), size, size, images.shape[-1]), "bilinear")
    return np.clip(np.asarray(out), 0.0, 1.0)

  return dataclasses.replace(dataset, train_images=fit(dataset.train_images),
                             eval_images=fit(dataset.eval_images))

