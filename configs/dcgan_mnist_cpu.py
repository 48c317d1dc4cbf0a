"""dcgan_mnist.py in CPU minutes: G and D of base width 32, 6,000 steps (6.4 epochs), one step
per compiled call, an EMA of 0.99, and FID of 5,000 samples against the 10,000 test images
(Inception runs at a few images/s on a CPU; docs/benchmarks.md gives the 5,000 vs 10,000
difference). Results: docs/benchmarks.md.

python -m experiments.main --config=configs/dcgan_mnist_cpu.py --workdir=DIR
"""
from configs import dcgan_mnist


def get_config(dataset: str = dcgan_mnist.DATASET):
  config = dcgan_mnist.get_config(dataset)
  config.num_steps = 6000
  # XLA:CPU runs conv weight gradients ~7x slower inside a scan (jax-ml/jax#12868).
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.num_steps
  config.checkpoint_every = 2000
  config.ema_decay = 0.99
  config.model.generator.width = config.model.discriminator.width = 32
  config.evals.inception.num_samples = 5000
  return config
