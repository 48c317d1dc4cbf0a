"""WGAN-GP on the embedded 8x8 digits (the DCGAN digits config with wgan_gp_mnist10k's loss)."""
from configs import dcgan_digits
from configs import wgan_gp_mnist10k


def get_config():
  return wgan_gp_mnist10k.wgan_gp(dcgan_digits.get_config())
