"""The evaluation suite's classifier on the embedded 8x8 digits (1,437 train, 360 eval): the
small CNN of configs/classifier_mnist10k.py, shifts of up to 1 pixel, Adam(2e-3) warmed up over
50 steps and decayed to 0 by a cosine, 100 epochs at batch 64. Results: README / docs."""
from genjax.defaults import classifier

EPOCHS = 100


def get_config():
  config = classifier.get_config()
  config.data.name = "digits"
  config.data.path = config.data.labels_path = ""
  config.data.num_eval = 2000  # Unused: digits has its own train/test split.
  config.data.value_range = "0,1"
  config.data.dynamic_binarization = False
  config.batch_size = 64
  config.num_steps = EPOCHS * (1437 // config.batch_size)
  # One step per call: XLA:CPU runs conv weight gradients several times slower inside a scan
  # (jax-ml/jax#12868); on an accelerator a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 100
  config.eval_every = config.checkpoint_every = 550
  net = config.model.net
  net.channels, net.convs_per_stage, net.hidden, net.dropout = (32, 64), 2, 128, 0.3
  config.loss.classifier.label_smoothing = 0.0
  config.loss.classifier.augment_shift = 1
  config.optim.learning_rate = 2e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 50
  return config
