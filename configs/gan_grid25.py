"""A GAN on `grid25`: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05."""
from configs import gan_ring8


def get_config():
  config = gan_ring8.get_config()
  config.data.name = "grid25"
  config.data.spacing = 2.0
  config.data.std = 0.05
  return config
