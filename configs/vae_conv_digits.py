"""A convolutional VAE on digits: the default with conv encoder and decoder."""
from configs import default


def get_config():
  config = default.get_config()
  config.model.encoder.net = config.model.decoder.net = "conv"
  config.model.encoder.channels, config.model.decoder.channels = (32, 64), (64, 32)
  config.model.encoder.hidden = config.model.decoder.hidden = (256,)
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  return config
