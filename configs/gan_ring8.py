"""A GAN on `ring8`, the 8-Gaussian ring (radius 1, std 0.01), mode coverage logged.

Non-saturating loss, MLP generator and discriminator (3 x 128 ReLU, latent 2), batch 1024,
Adam(1e-3, b1=0.5) decayed to 0 by a cosine over 10,000 steps, instance noise (std 0.5 on D's
real and fake inputs, annealed linearly to 0 over the first 5,000 steps); samples and metrics
come from an EMA (0.99) of G's weights. experiments.mode_coverage --seeds=10 runs seeds 0-9.
Results: README / docs ("GAN benchmarks").
"""
import ml_collections

from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  config.data.name = "ring8"
  config.data.radius = 1.0
  config.data.std = 0.01
  config.num_steps = 10000
  config.batch_size = 1024
  config.steps_per_call = 100
  config.log_every = 500
  config.eval_every = config.checkpoint_every = 2500
  config.ema_decay = 0.99
  config.model.latent_dim = 2
  config.model.generator.net = config.model.discriminator.net = "mlp"
  config.model.generator.hidden = config.model.discriminator.hidden = (128, 128, 128)
  config.loss.gan.name = "non_saturating"
  config.loss.gan.instance_noise = 0.5
  config.loss.gan.instance_noise_steps = 5000
  config.optim.learning_rate = 1e-3  # Both networks'.
  config.optim.b1 = 0.5
  config.optim.schedule = "cosine"  # Decay to 0 sharpens the modes at the end.
  config.evals = ml_collections.ConfigDict(dict(
      modes=dict(type="modes", every_steps=0, num_samples=2500)))
  return config
