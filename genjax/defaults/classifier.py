"""The classifier family's default (genjax/families/classifier.py), the evaluation suite's
feature extractor (FCD, classifier score, class histograms): the shared sections (shared.py),
a small CNN (two stages of two 3x3 convs, 32 and 64 channels, a 128-unit penultimate layer
with dropout), cross-entropy with random shifts, an optimizer section for the one network (all
fields inherited) and the accuracy evaluator."""
import ml_collections

from genjax.defaults import shared
from genjax import schema


def get_config():
  config = shared.get_config()
  config.model = ml_collections.ConfigDict(dict(
      name="classifier",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      net=dict(
          channels=(32, 64),    # Conv width per stage; each stage ends in a 2x2 max pool.
          convs_per_stage=2,    # 3x3 convs (ReLU) per stage.
          hidden=128,           # Penultimate width: the features of FCD.
          dropout=0.3,          # On the penultimate layer in training (0: off).
      ),
  ))
  config.loss = ml_collections.ConfigDict(dict(
      classifier=dict(
          label_smoothing=0.0,  # Targets (1 - s) one-hot + s / K; 0 keeps the softmax
                                # calibrated for the classifier score.
          augment_shift=2,      # Random shifts of up to this many pixels (0: off).
      ),
  ))
  config.optim.classifier = schema.net_optim()  # Per-network overrides (None: inherit).
  config.evals = ml_collections.ConfigDict(dict(
      accuracy=dict(type="accuracy", every_steps=0, batch_size=500)))
  return config
