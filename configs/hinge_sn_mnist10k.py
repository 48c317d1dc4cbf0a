"""Hinge loss with a spectrally normalized discriminator (Miyato et al. 2018), TTUR rates."""
from configs import dcgan_mnist10k


def hinge_sn(config):
  """Turns a DCGAN config into hinge + spectral norm (also used by hinge_sn_digits)."""
  config.loss.gan.name = "hinge"
  config.model.discriminator.spectral_norm = True
  config.model.discriminator.batch_norm = False  # Miyato et al.'s SN critics have none.
  config.optim.learning_rate = 1e-4       # G
  config.optim.disc.learning_rate = 4e-4  # D (two time-scale update rule, Heusel et al. 2017)
  config.optim.b1, config.optim.b2 = 0.0, 0.9
  return config


def get_config():
  return hinge_sn(dcgan_mnist10k.get_config())
