"""A convolutional VAE on the embedded 8x8 digits: the default (configs/default.py) with conv
encoder (32, 64 channels) and transposed-conv decoder (64, 32), a 256-unit dense layer each."""
from genjax.defaults import vae


def get_config():
  config = vae.get_config()
  config.data.name = "digits"
  config.data.dynamic_binarization = True
  config.num_steps = 3000
  config.batch_size = 128
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.eval_every = config.checkpoint_every = 1500
  config.model.latent_dim = 16
  config.model.encoder.net = config.model.decoder.net = "conv"
  config.model.encoder.channels, config.model.decoder.channels = (32, 64), (64, 32)
  config.model.encoder.hidden = config.model.decoder.hidden = (256,)
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "constant"
  return config
