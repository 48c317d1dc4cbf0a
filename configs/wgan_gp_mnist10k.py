"""WGAN-GP (Gulrajani et al. 2017) on MNIST-10k: dcgan_mnist10k.py's networks and data with the
Wasserstein loss, gradient penalty lambda 10, 5 critic steps per G step, no batch norm in the
critic, Adam(1e-4, 0.5, 0.9), 2,000 steps; FCD logged. Results: README / docs."""
import configs
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "-1,1"
  config.num_steps = 2000
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
  config.model.discriminator.batch_norm = False  # Gulrajani et al.: none in a penalized critic.
  config.loss.gan.name = "wasserstein"
  config.loss.gan.penalties.gp = 10.0
  config.loss.gan.n_critic = 5
  config.optim.learning_rate = 1e-4
  config.optim.b1, config.optim.b2 = 0.5, 0.9
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  return config
