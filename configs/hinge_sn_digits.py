"""Hinge + spectral norm on the embedded 8x8 digits (hinge_sn_mnist10k's recipe)."""
from configs import dcgan_digits
from configs import hinge_sn_mnist10k


def get_config():
  return hinge_sn_mnist10k.hinge_sn(dcgan_digits.get_config())
