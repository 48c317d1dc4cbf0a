"""WGAN-GP (Gulrajani et al. 2017) on MNIST: lambda 10, 5 critic steps, Adam(1e-4, 0.5, 0.9)."""
from configs import dcgan_mnist10k


def wgan_gp(config):
  """Turns a DCGAN config into WGAN-GP (also used by wgan_gp_digits)."""
  config.loss.gan.name = "wasserstein"
  config.loss.gan.penalties.gp = 10.0
  config.loss.gan.n_critic = 5
  config.model.discriminator.batch_norm = False  # Gulrajani et al.: no batch norm in a penalized critic.
  config.optim.learning_rate = 1e-4
  config.optim.b1, config.optim.b2 = 0.5, 0.9
  return config


def get_config():
  config = wgan_gp(dcgan_mnist10k.get_config())
  config.num_steps = 2000
  return config
