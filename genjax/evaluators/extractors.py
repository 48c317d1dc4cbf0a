"""Feature networks the `features` evaluator scores samples with, by name:

  inception: the standard FID Inception-v3 (2048-d pool features; `genjax.feature_nets.inception`),
             from the parameter file `experiments.convert_inception` writes;
  inception_half_pixel: the same network behind pytorch-fid's resize (half-pixel centres)
             instead of TF1's: for comparing with figures computed by pytorch-fid;
  classifier: a classifier trained in genjax, from its workdir or its config file (trained
             on first use in the runs cache, `genjax.runs_cache`): penultimate features and
             class probabilities.

`load(name, path, batch_size) -> Extractor`. Inputs are images NxHxWxC float in [0, 1].
"""
import os
from typing import Callable, NamedTuple, Optional, Tuple

from genjax import run as run_lib
from genjax import runs_cache
from genjax.errors import GenjaxError


class Extractor(NamedTuple):
  """`fn(images01_NxHxWxC) -> {'features': float32[N, D], 'probs': float32[N, K] (classifiers
  only)}` as numpy; `shape`: the (H, W, C) it needs, or None for any; `id`: what the
  features depend on (network and weights digest), recorded beside every result; `probs`:
  whether it gives class probabilities."""
  fn: Callable
  shape: Optional[Tuple[int, ...]]
  id: str
  probs: bool = False


def _inception(path: str, batch_size: int, resize: str = "tf1") -> Extractor:
  from genjax.feature_nets import inception  # pylint: disable=g-import-not-at-top
  features = inception.features_fn(path or inception.DEFAULT_PATH, batch_size, resize=resize)
  name = "inception" if resize == "tf1" else f"inception_{resize}"
  return Extractor(lambda x: {"features": features(x)}, None,
                   f"{name}:sha256={features.weights_sha256[:16]}")


def _classifier(path: str, batch_size: int) -> Extractor:
  if not path:
    raise GenjaxError("the classifier extractor needs path=<a classifier's config file"
                      " (configs/classifier_mnist10k.py: trained on first use) or workdir>")
  workdir = runs_cache.workdir_of(path, "extractor path")
  fn, info = run_lib.classifier(workdir, batch_size)
  return Extractor(fn, tuple(info.image_shape),
                   f"classifier:{os.path.abspath(workdir)}@{info.step}"
                   f":sha256={info.weights_sha256[:16]}", probs=True)


EXTRACTORS = {"inception": _inception, "classifier": _classifier,
              "inception_half_pixel": lambda path, batch_size: _inception(path, batch_size,
                                                                          "half_pixel")}


def load(name: str, path: str = "", batch_size: int = 100) -> Extractor:
  if name not in EXTRACTORS:
    raise GenjaxError(f"extractor={name!r}: valid are {tuple(EXTRACTORS)}")
  return EXTRACTORS[name](path, batch_size)
