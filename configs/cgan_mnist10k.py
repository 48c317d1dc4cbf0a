"""Class-conditional DCGAN on MNIST: label embedding in G, projection discriminator."""
from configs import hinge_sn_mnist10k


def get_config():
  config = hinge_sn_mnist10k.get_config()
  config.model.conditioning = "projection"  # or 'concat'
  return config
