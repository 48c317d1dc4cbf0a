"""DCGAN (Radford et al. 2015; non-saturating loss) on the embedded 8x8 digits, images in
[-1, 1]: G and D of base width 32, latent 32, batch 64, Adam(2e-4, b1=0.5), 3,000 steps, an EMA
(0.99) of G for samples. Results: README / docs."""
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  config.data.name = "digits"
  config.data.value_range = "-1,1"
  config.num_steps = 3000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.ema_decay = 0.99
  config.model.latent_dim = 32
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 32
  config.model.discriminator.batch_norm = True  # As Radford et al.
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  return config
