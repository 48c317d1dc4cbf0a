"""Hinge loss with a spectrally normalized discriminator (Miyato et al. 2018) on MNIST-10k:
dcgan_mnist10k.py's networks and data, no batch norm in D, the two time-scale update rule
(Heusel et al. 2017: G at 1e-4, D at 4e-4), Adam(b1=0, b2=0.9); FCD logged. Results:
README / docs."""
import configs
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "-1,1"
  config.num_steps = 3000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.ema_decay = 0.99
  config.model.latent_dim = 64
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 32
  config.model.discriminator.spectral_norm = True
  config.model.discriminator.batch_norm = False  # Miyato et al.'s SN critics have none.
  config.loss.gan.name = "hinge"
  config.optim.learning_rate = 1e-4       # G
  config.optim.disc.learning_rate = 4e-4  # D (two time-scale update rule)
  config.optim.b1, config.optim.b2 = 0.0, 0.9
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  return config
