"""A convolutional VAE on digits: the default with conv encoder and decoder."""
from configs import default


def get_config():
  config = default.get_config()
  config.model.encoder = "conv"
  config.model.decoder = "conv"
  config.model.channels = (32, 64)
  config.model.hidden = (256,)
  return config
