"""DCGAN on 28x28 MNIST from IDX files (the shared MNIST-10k by default: first 8,000 images
train): G and D of base width 32 (CPU-sized), no batch norm in D, latent 64, batch 64,
Adam(2e-4, b1=0.5), 3,000 steps, an EMA (0.99) of G for samples; FCD logged
(configs.fcd_evaluator: its classifier trains on first use). Results: docs/evaluation.md.

Users with tfds: --config.data.name=mnist (needs the `tf` extra once, to prepare it).
"""
import configs
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "-1,1"
  config.num_steps = 3000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.ema_decay = 0.99
  config.model.latent_dim = 64
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 32
  # No batch norm in D: it measured better without (README / docs, "Images").
  config.model.discriminator.batch_norm = False
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  return config
