"""A small CNN image classifier (the evaluation suite's feature extractor for 28x28 digits).

Stages of `convs_per_stage` 3x3 convolutions (ReLU), each stage ending in a 2x2 max pool
(SAME padding, so any image size works), then a dense penultimate layer (ReLU) and linear
logits. The penultimate activations are the features a Frechet classifier distance compares.

Shapes: images x_BxHxWxC (in [0, 1]); returns (logits_BxK, features_BxF) with F = `hidden`.
Dropout takes an explicit mask `keep_BxF` (0 or 1 / keep probability, drawn by the caller
from its own key), so that the module holds no randomness.
"""
from typing import Sequence

import flax.linen as nn


class CNN(nn.Module):
  channels: Sequence[int]  # Conv width of each stage.
  convs_per_stage: int
  hidden: int              # Width F of the penultimate (feature) layer.
  num_classes: int

  @nn.compact
  def __call__(self, x_BxHxWxC, keep_BxF=None):
    h = x_BxHxWxC
    for width in self.channels:
      for _ in range(self.convs_per_stage):
        h = nn.relu(nn.Conv(width, (3, 3), padding="SAME")(h))
      h = nn.max_pool(h, (2, 2), strides=(2, 2), padding="SAME")
    features_BxF = nn.relu(nn.Dense(self.hidden, name="penultimate")(h.reshape(h.shape[0], -1)))
    h = features_BxF if keep_BxF is None else features_BxF * keep_BxF
    return nn.Dense(self.num_classes, name="logits")(h), features_BxF


def problems(cfg) -> list:
  """One line per bad value of `cfg` (config.model.net of a classifier)."""
  positive = lambda v: isinstance(v, int) and v > 0
  found = []
  if not (isinstance(cfg.channels, (tuple, list)) and cfg.channels
          and all(map(positive, cfg.channels))):
    found.append(f"model.net.channels={cfg.channels!r} must be a tuple of positive integers"
                 " (one per stage)")
  for field in ("convs_per_stage", "hidden"):
    if not positive(cfg[field]):
      found.append(f"model.net.{field}={cfg[field]!r} must be a positive integer")
  if not (isinstance(cfg.dropout, (int, float)) and 0.0 <= cfg.dropout < 1.0):
    found.append(f"model.net.dropout={cfg.dropout!r} must lie in [0, 1) (0: off)")
  return found
