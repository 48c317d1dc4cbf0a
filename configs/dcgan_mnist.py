"""The self-conditioned DCGAN on MNIST's standard split (60,000 train, 10,000 test), for a GPU:
dcgan_mnist10k_selfcond.py's recipe (G's label embedding and D's projection conditioned on 100
balanced k-means clusters of the training images, never their labels; batch norm in G and D;
non-saturating loss; Adam(2e-4, b1=0.5); an EMA of G) with G and D of base width 64, 40,000
steps at batch 64 (43 epochs), and FID under Lucic et al.'s protocol at the end
(configs.inception_fid_evaluator: 10,000 samples against the 10,000 test images).
CPU-minutes variant: dcgan_mnist_cpu.py; Fashion-MNIST: dcgan_fashion_mnist.py.
Results: docs/benchmarks.md.

python -m experiments.main --config=configs/dcgan_mnist.py --workdir=DIR
Users with tfds: --config.data.name=mnist (needs the `tf` extra once, to prepare it).
"""
import configs
from genjax.defaults import gan

DATASET = "mnist"


def get_config(dataset: str = DATASET):
  config = gan.get_config()
  configs.use_standard_split(config.data, dataset)
  config.data.value_range = "-1,1"
  config.data.pseudo_labels = "kmeans100"
  config.num_steps = 40000
  config.batch_size = 64
  config.steps_per_call = 10  # Fewer dispatches on a GPU (on a CPU, 1: see the _cpu variant).
  config.log_every = 500
  config.eval_every = config.num_steps  # 10,000 Inception passes: once, at the end.
  config.checkpoint_every = 5000
  config.ema_decay = 0.999
  config.model.latent_dim = 64
  config.model.conditioning = "projection"
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 64
  config.model.discriminator.batch_norm = True
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.inception = configs.inception_fid_evaluator()
  return config
