"""The evaluation suite's classifier on MNIST-10k: a small CNN for Frechet classifier distance,
classifier score and class histograms of 28x28 samples (configs.fcd_evaluator reads its
workdir, configs.CLASSIFIER_MNIST10K).

First 8,000 images of ../shared/data/mnist10k train, last 2,000 (the harder writers) eval;
images in [0, 1], random shifts of up to 2 pixels, dropout 0.3, Adam(2e-3) warmed up over 100
steps and decayed to 0 by a cosine, 30 epochs at batch 128. Results: README / docs.
python -m experiments.train_classifier --workdir=DIR (run from the repository root: the
data path is relative to it).
"""
import configs
from genjax.defaults import classifier

EPOCHS = 30


def get_config():
  config = classifier.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "0,1"
  config.data.dynamic_binarization = False
  config.batch_size = 128
  config.num_steps = EPOCHS * (8000 // config.batch_size)
  # One step per call: XLA:CPU runs conv weight gradients several times slower inside a scan
  # (jax-ml/jax#12868); on an accelerator a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 125
  config.eval_every = config.checkpoint_every = 625
  net = config.model.net
  net.channels, net.convs_per_stage, net.hidden, net.dropout = (32, 64), 2, 128, 0.3
  # No label smoothing: it keeps the softmax calibrated for the classifier score.
  config.loss.classifier.label_smoothing = 0.0
  config.loss.classifier.augment_shift = 2
  config.optim.learning_rate = 2e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 100
  return config
