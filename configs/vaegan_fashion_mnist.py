"""The VAE-GAN on Fashion-MNIST's standard split, for a GPU, by the pretrain-then-adversarial
recipe (Larsen et al. 2016's networks at 28x28: a conv encoder, a transposed-conv decoder that
is also the generator, a DCGAN discriminator whose second conv layer is the learned
similarity): vae_conv_fashion_mnist.py's trained encoder and decoder (config.init_from: trained
on first use in the runs cache), then 20,000 adversarial steps with the reference code's
weighting (gamma 0.01, balancing on), non-saturating loss, Adam(3e-4, b1=0.5). FID (Lucic et
al.'s protocol) of 10,000 samples from the model's prior N(0, I), from a 10-component mixture
fitted to the encoded training set (reported as its own row), and of the test images'
reconstructions. Results: docs/benchmarks.md.

python -m experiments.main --config=configs/vaegan_fashion_mnist.py --workdir=DIR
"""
from configs import vae_conv_fashion_mnist
from genjax.defaults import vaegan


def get_config(dataset: str = vae_conv_fashion_mnist.DATASET,
               pretrained: str = "configs/vae_conv_fashion_mnist.py"):
  config = vaegan.get_config()
  config.init_from = pretrained  # A config file (trained on first use) or a trained workdir.
  vae_config = vae_conv_fashion_mnist.get_config(dataset)
  config.data = vae_config.data
  config.batch_size = 64
  config.num_steps = 20000
  config.steps_per_call = 10
  config.log_every = 500
  config.eval_every = config.num_steps
  config.checkpoint_every = 5000
  # The VAE's networks, so that init_from copies them.
  config.model.latent_dim = vae_config.model.latent_dim
  config.model.encoder = vae_config.model.encoder
  config.model.decoder = vae_config.model.decoder
  config.model.discriminator.net = "dcgan"
  config.model.discriminator.width = 64
  config.model.discriminator.batch_norm = False
  config.loss.vaegan.feature_layer = "Conv_1"
  config.loss.vaegan.gamma = 0.01
  config.loss.vaegan.balance = True
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  for name in ("inception", "inception_gmm10", "inception_recon"):
    config.evals[name] = vae_config.evals[name]
  return config


def cpu_minutes(config):
  """The recipe cut to CPU minutes: the _cpu VAE's networks (init_from names it), D of width
  32, 3,000 steps, one step per compiled call, FID of 5,000 samples."""
  vae_conv_fashion_mnist.cpu_minutes(config)
  config.model.discriminator.width = 32
  return config
