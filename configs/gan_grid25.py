"""A GAN on `grid25`: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05, mode coverage logged.

The ring recipe (gan_ring8.py: non-saturating, Adam(1e-3, b1=0.5) decayed to 0 by a cosine
over 10,000 steps, batch 1024, instance noise 0.5 annealed to 0 over 5,000 steps, EMA 0.99)
with G and D one layer deeper (MLP 4 x 128) and per-layer noise in G (StyleGAN's, learned
scales from 0.1). experiments.mode_coverage runs several seeds in one vmapped program.
Where each part comes from and what else was tried: README / docs ("GAN benchmarks").
"""
import ml_collections

from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  config.data.name = "grid25"
  config.data.spacing = 2.0
  config.data.std = 0.05
  config.num_steps = 10000
  config.batch_size = 1024
  config.steps_per_call = 100
  config.log_every = 500
  config.eval_every = config.checkpoint_every = 2500
  config.ema_decay = 0.99
  config.model.latent_dim = 2
  config.model.generator.net = config.model.discriminator.net = "mlp"
  # One layer deeper than the ring's: the extra layers trim the modes' tails; G's per-layer
  # noise keeps the modes.
  config.model.generator.hidden = (128, 128, 128, 128)
  config.model.discriminator.hidden = (128, 128, 128, 128)
  config.model.generator.noise_injection = 0.1
  config.loss.gan.name = "non_saturating"
  config.loss.gan.instance_noise = 0.5
  config.loss.gan.instance_noise_steps = 5000
  config.optim.learning_rate = 1e-3  # Both networks'.
  config.optim.b1 = 0.5
  config.optim.schedule = "cosine"
  config.evals = ml_collections.ConfigDict(dict(
      modes=dict(type="modes", every_steps=0, num_samples=2500)))
  return config
