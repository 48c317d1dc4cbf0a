"""A run, opened: what every main, evaluator and application reads from a workdir.

  run = genjax.run.open_run(workdir, needs=("sample",))   # config, DataInfo, family: cheap
  state = run.restore(seed_index=0)                         # the newest verified checkpoint
  dataset, eval_data = run.eval_set()                       # the run's data, eval split

`open_run` reads config.json (upgraded from older layouts), data_info.json and, for token
sequences, vocab.json, and builds the family exactly as training did, so checks that need
only the family (its predict functions, a replica index, a latent prior) fail in one line
before the slower restore. `classifier` opens a classifier run as a feature extractor.
"""
import dataclasses
import json
import os
from typing import NamedTuple, Optional, Sequence, Tuple

import jax
import ml_collections
import numpy as np

from genjax import checkpoint
from genjax import data as data_lib
from genjax import families
from genjax import seeds as seeds_lib
from genjax import schema
from genjax.data import pipeline
from genjax.data import smiles
from genjax.errors import GenjaxError

# Top-level fields that workdirs written before them lack, with the value those runs had.
NEWER_FIELDS = {"num_seeds": 1, "dtype": "float32", "parallel": "jit", "init_from": ""}


def read_config(workdir: str):
  """(config, image_shape, num_classes) of a workdir's run, from its JSON files."""
  try:
    with open(os.path.join(workdir, "config.json")) as f:
      config = ml_collections.ConfigDict(schema.upgrade(json.load(f)))
    with open(os.path.join(workdir, "data_info.json")) as f:
      info = json.load(f)
    image_shape, num_classes = tuple(info["image_shape"]), info.get("num_classes", 0)
  except (OSError, ValueError, KeyError) as e:
    raise GenjaxError(f"workdir {workdir!r} has no readable config.json/data_info.json"
                      f" ({type(e).__name__}): is it a workdir written by experiments.main?"
                      ) from None
  for field, default in NEWER_FIELDS.items():
    if field not in config:
      config[field] = default
  return config, image_shape, num_classes


def read_data_info(workdir: str) -> families.DataInfo:
  """The DataInfo a workdir's family was built with: shape and classes from data_info.json,
  and for sequences the vocabulary from vocab.json."""
  _, shape, num_classes = read_config(workdir)
  return _data_info(workdir, shape, num_classes)


def _data_info(workdir: str, shape, num_classes: int) -> families.DataInfo:
  """DataInfo of `shape` and `num_classes`, with the vocabulary of the workdir's vocab.json."""
  path = os.path.join(workdir, smiles.VOCAB_FILE)
  if not os.path.exists(path):
    return families.DataInfo(shape, num_classes)
  try:
    with open(path) as f:
      vocab = smiles.Vocab.from_json(f.read(), path)
  except OSError as e:
    raise GenjaxError(f"{path} is unreadable: {e.strerror}") from None
  return families.DataInfo(shape, num_classes, vocab.tokens)


def restore_latest(family, config, workdir: str):
  """The latest verified train state of `workdir` (all replicas when num_seeds > 1)."""
  ckpts = checkpoint.Checkpoints(os.path.join(workdir, "checkpoints"), config.max_to_keep)
  try:
    if ckpts.latest_step() is None:
      raise GenjaxError(f"workdir {workdir!r} has no checkpoint yet: train it with"
                        " experiments.main")
    good = ckpts.restore_good(seeds_lib.init(family, config))
    if good is None:
      raise GenjaxError(f"no checkpoint in {ckpts.directory} verifies (all damaged): retrain")
    return good[0]
  finally:
    ckpts.close()


@dataclasses.dataclass(frozen=True)
class Run:
  """A workdir's run: its config (or the one it was opened with), the DataInfo and family it
  trained with. `restore` and `eval_set` do the slower reads."""
  workdir: str
  config: ml_collections.ConfigDict
  family: families.Family

  @property
  def data_info(self) -> families.DataInfo:
    return self.family.data_info

  def restore(self, seed_index: Optional[int] = 0, flag: str = "--seed_index"):
    """The newest verified checkpoint's state: replica `seed_index` of a num_seeds > 1 run
    (None: all replicas, stacked); a bad index is refused naming `flag`."""
    if seed_index is None:
      return restore_latest(self.family, self.config, self.workdir)
    seeds_lib.check_index(seed_index, self.config, flag)
    return seeds_lib.select(restore_latest(self.family, self.config, self.workdir), seed_index,
                           self.config)

  def eval_set(self):
    """(dataset, eval_data): the run's data and its eval split as the family sees it
    ({'image' in the training value range, 'label'?} or token rows)."""
    dataset = data_lib.load(self.config.data)
    return dataset, pipeline.eval_set(dataset, self.config.seed, self.config.data)


def open_run(workdir: str, needs: Sequence[str] = (), config=None) -> Run:
  """The run of `workdir`, its family built as in training (with `config` instead of the
  saved one when given, e.g. other evaluators); `needs` names predict functions the caller
  uses (a model lacking one is refused in one line naming the family)."""
  saved, shape, num_classes = read_config(workdir)  # One read: shape and classes come too.
  config = saved if config is None else config
  family = families.build(config, _data_info(workdir, shape, num_classes))
  families.require(family, needs, f"workdir {workdir!r}")
  return Run(workdir, config, family)


def family_of(config) -> families.Family:
  """The family `config` builds, on its data's shapes and classes (the data is read; nothing
  trains): what a main asks before training a model, through its predict functions."""
  dataset = data_lib.load(config.data)
  return families.build(config, families.DataInfo(dataset.image_shape, dataset.num_classes,
                                                  dataset.vocab))


class ClassifierInfo(NamedTuple):
  """What `classifier` loaded: the images it expects (H, W, C; values in [0, 1]), its class
  count K and feature width F, the checkpoint step, and a SHA-256 of its weights (their
  dtypes, shapes and bytes, as `checkpoint.digest`) to name the feature extractor by."""
  image_shape: Tuple[int, int, int]
  num_classes: int
  feature_dim: int
  step: int
  weights_sha256: str
  workdir: str


def classifier(workdir: str, batch_size: int = 500, seed_index: int = 0):
  """(fn, info): the latest verified checkpoint of a classifier workdir (written by
  experiments.train_classifier) as a feature extractor. fn(images float32[N, H, W, C] in
  [0, 1]) -> {'features': float32[N, F] (penultimate activations), 'probs': float32[N, K]}
  (numpy), computed jitted in batches of min(N, `batch_size`) (the last one padded);
  `seed_index` picks the replica of a run with num_seeds > 1."""
  config, image_shape, num_classes = read_config(workdir)
  name = config.model.get("name")
  if name != "classifier":
    raise GenjaxError(f"workdir {workdir!r} holds a {name!r} model, not a classifier: train one"
                      " with experiments.train_classifier")
  if not isinstance(batch_size, int) or batch_size <= 0:
    raise GenjaxError(f"batch_size={batch_size!r} must be a positive integer")
  run = open_run(workdir, config=config)
  state = run.restore(seed_index, "seed_index")
  predict = run.family.predict

  @jax.jit
  def outputs(state, x_BxHxWxC):  # XLA computes the network once for both.
    return {"features": predict["features"](state, x_BxHxWxC),
            "probs": predict["probs"](state, x_BxHxWxC)}

  def fn(images_NxHxWxC):
    x = np.asarray(images_NxHxWxC, np.float32)
    if x.ndim != 4 or x.shape[1:] != image_shape:
      raise GenjaxError(f"the classifier of {workdir!r} takes images of shape [N, "
                        f"{', '.join(map(str, image_shape))}], got {x.shape}")
    if x.size and (x.min() < -1e-3 or x.max() > 1.0 + 1e-3):
      raise GenjaxError(f"the classifier takes images in [0, 1], got values in [{x.min():.3g},"
                        f" {x.max():.3g}] (map [-1, 1] images with (x + 1) / 2)")
    out = {"features": [np.zeros((0, info.feature_dim), np.float32)],
           "probs": [np.zeros((0, num_classes), np.float32)]}
    size = max(min(batch_size, len(x)), 1)
    for start in range(0, len(x), size):
      chunk = x[start:start + size]
      padded = np.pad(chunk, ((0, size - len(chunk)),) + ((0, 0),) * 3)
      for key, value in jax.device_get(outputs(state, padded)).items():
        out[key].append(np.asarray(value[:len(chunk)]))
    return {key: np.concatenate(parts) for key, parts in out.items()}

  info = ClassifierInfo(image_shape, num_classes, int(config.model.net.hidden),
                        seeds_lib.step(state, config), checkpoint.digest(
                            state.nets["classifier"].variables), workdir)
  return fn, info
