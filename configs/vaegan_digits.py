"""A VAE-GAN (Larsen et al. 2016) on the embedded 8x8 digits: MLP encoder and decoder (the
default VAE's: 256 units, latent 16, Bernoulli), a DCGAN discriminator (width 32, no batch
norm) whose first conv layer's features measure reconstructions; non-saturating GAN loss,
Adam(3e-4, b1=0.5) for all three networks, batch 64, 3,000 steps. Results: README / docs."""
from genjax.defaults import vaegan


def get_config():
  config = vaegan.get_config()
  config.data.name = "digits"
  config.data.dynamic_binarization = False  # Grey levels: D compares images, not bits.
  config.num_steps = 3000
  config.batch_size = 64
  # One step per call: XLA:CPU runs D's conv weight gradients slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.eval_every = config.checkpoint_every = 1500
  model = config.model
  model.latent_dim = 16
  model.encoder.net = model.decoder.net = "mlp"
  model.encoder.hidden = model.decoder.hidden = (256,)
  model.decoder.likelihood = "bernoulli"
  model.discriminator.net = "dcgan"
  model.discriminator.width = 32
  model.discriminator.batch_norm = False
  config.loss.vaegan.feature_layer = "Conv_0"
  config.loss.vaegan.gamma = 1.0
  config.loss.vaegan.balance = False
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  return config
