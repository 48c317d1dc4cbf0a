"""DCGAN (non-saturating loss) on the embedded 8x8 digits, images in [-1, 1]."""
import ml_collections

from configs import gan_ring8


def get_config():
  config = gan_ring8.get_config()
  config.data.name = "digits"
  config.data.value_range = "-1,1"
  config.data.dynamic_binarization = False
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 32
  config.model.latent_dim = 32
  config.batch_size = 64
  config.num_steps = 3000
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.loss.gan.instance_noise = 0.0  # The ring's annealed instance noise: off for images.
  config.loss.gan.instance_noise_steps = 0
  config.ema_decay = 0.99
  config.evals = ml_collections.ConfigDict()  # Mode coverage is for 2-D mixtures only.
  return config
