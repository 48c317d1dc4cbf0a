"""A convolutional VAE on digits: the default with conv encoder and decoder."""
from configs import default


def get_config():
  config = default.get_config()
  config.model.encoder.net = config.model.decoder.net = "conv"
  config.model.encoder.channels, config.model.decoder.channels = (32, 64), (64, 32)
  config.model.encoder.hidden = config.model.decoder.hidden = (256,)
  return config
