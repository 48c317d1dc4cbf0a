"""SRGAN x4 on MNIST's standard split (7x7 -> 28x28), for a GPU: an SRResNet generator without
batch norm (64 channels, 8 residual blocks, two pixel-shuffle stages), a conditional DCGAN
discriminator (width 64), content loss = pixel MSE + 0.01 x MSE in the MNIST-10k classifier's
penultimate features (SRGAN's VGG loss with a digit classifier; trained on first use), plus
1e-3 x the non-saturating GAN loss (Ledig et al.'s weighting); 20,000 steps of 64, Adam(1e-4).
At the end: PSNR and SSIM of the 10,000 test images' restorations beside bicubic upsampling's,
and FID (Lucic et al.'s protocol, configs.inception_fid_evaluator) of the restorations. The
content-only baseline (SRResNet): --config.loss.superres.adversarial_weight=0.
CPU-minutes variant: superres_mnist_cpu.py; Fashion-MNIST: superres_fashion_mnist.py.
Results: docs/superres.md.

python -m experiments.main --config=configs/superres_mnist.py --workdir=DIR
"""
import configs
from genjax.defaults import superres

DATASET = "mnist"


def get_config(dataset: str = DATASET):
  config = superres.get_config()
  configs.use_standard_split(config.data, dataset)
  config.data.value_range = "-1,1"
  config.num_steps = 20000
  config.batch_size = 64
  config.steps_per_call = 10  # Fewer dispatches on a GPU (on a CPU, 1: see the _cpu variant).
  config.log_every = 500
  config.eval_every = config.num_steps
  config.checkpoint_every = 5000
  config.model.factor = 4
  config.model.generator.channels = 64
  config.model.generator.blocks = 8
  config.model.discriminator.width = 64
  config.loss.superres.pixel_weight = 1.0
  config.loss.superres.feature_weight = 0.01
  config.loss.superres.feature_path = configs.CLASSIFIER_MNIST10K
  config.loss.superres.adversarial_weight = 1e-3
  config.optim.learning_rate = 1e-4  # Ledig et al.: Adam(1e-4, b1=0.9).
  config.optim.b1 = 0.9
  config.optim.schedule = "constant"
  config.evals.inception_recon = configs.inception_fid_evaluator(source="reconstructions")
  return config


def cpu_minutes(config):
  """The recipe in CPU minutes: 32 channels, 4 blocks, D of width 32, 3,000 steps, one step
  per compiled call, FID of the first 2,000 test images' restorations."""
  config.num_steps = 3000
  # XLA:CPU runs conv weight gradients ~7x slower inside a scan (jax-ml/jax#12868).
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.num_steps
  config.checkpoint_every = 1000
  config.model.generator.channels = 32
  config.model.generator.blocks = 4
  config.model.discriminator.width = 32
  config.optim.learning_rate = 3e-4
  config.evals.inception_recon.num_samples = 2000
  return config
