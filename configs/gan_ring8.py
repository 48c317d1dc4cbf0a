"""A GAN on `ring8`, the 8-Gaussian ring (radius 1, std 0.01): the base of the GAN configs.

Non-saturating loss, MLP generator and discriminator (3 x 128 ReLU), per-layer noise in G
(StyleGAN's, learned scales from 0.1), batch 512, Adam(1e-3, b1=0.5), 5,000 steps; samples
and metrics come from an EMA (0.99) of G's weights. Seeds 0-4 (experiments.mode_coverage):
8/8 modes each, 97.8% +- 0.3 high quality (without the noise: 7.8 +- 0.4 modes, 97.4%).
Image configs that import this one turn the noise off.
"""
import ml_collections

from configs import default
from genjax import schema


def get_config():
  config = default.get_config()
  config.num_steps = 5000
  config.batch_size = 512
  config.steps_per_call = 100
  config.log_every = 500
  config.eval_every = 2500
  config.checkpoint_every = 2500
  config.ema_decay = 0.99  # Sampling and eval use this EMA of G's weights (0: raw weights).
  config.data.name = "ring8"
  config.data.radius = 1.0
  config.data.std = 0.01
  config.data.dynamic_binarization = False
  config.model = ml_collections.ConfigDict(dict(
      name="gan",
      latent_dim=2,
      latent_codes=0,           # K > 0 appends a one-hot uniform K-way code to G's latent.
      conditioning="none",      # 'none', 'projection' (D) or 'concat' (D); G embeds labels.
      generator=dict(
          net="mlp",            # 'mlp' or 'dcgan'.
          hidden=(128, 128, 128),  # MLP widths.
          width=64,             # DCGAN base width (ngf).
          noise_injection=0.1,  # > 0: StyleGAN's per-layer noise, a learned scale per unit /
                                # channel starting at this value (0: off). On the ring it
                                # covers 8/8 modes on every seed (README, "GAN benchmarks").
      ),
      discriminator=dict(
          net="mlp",
          hidden=(128, 128, 128),
          width=64,             # DCGAN base width (ndf).
          spectral_norm=False,  # Spectral normalization of every layer.
          batch_norm=True,      # DCGAN: batch norm after every conv but the first (as
                                # Radford et al.); real and fake normalized separately.
          sigmoid_output=False,  # D(x) = sigmoid(D's logit): only minimax losses accept it.
          pack=1,               # PacGAN: D scores this many examples at once (1: off).
      ),
  ))
  config.loss = ml_collections.ConfigDict(dict(
      gan=dict(
          name="non_saturating",  # A key of genjax.losses.GAN_LOSSES.
          n_critic=1,           # D updates per G update.
          # Weights of the terms in genjax.losses.PENALTIES added to D's loss (0: off):
          # gp: WGAN-GP's lambda; r1: R1's gamma (Mescheder et al. 2018).
          penalties=dict(gp=0.0, r1=0.0),
          weight_clip=0.0,      # > 0 clips every D weight to [-c, c] after each update (WGAN).
          instance_noise=0.0,   # Std of noise added to D's inputs, annealed linearly...
          instance_noise_steps=0,  # ...to 0 over this many steps.
          diffaugment="",       # Images: comma-separated 'color,translation,cutout'.
      ),
  ))
  config.optim.learning_rate = 1e-3  # Both networks'; optim.gen / optim.disc override (TTUR).
  config.optim.b1 = 0.5
  config.optim.gen = schema.net_optim()
  config.optim.disc = schema.net_optim()
  config.evals = ml_collections.ConfigDict(dict(
      modes=dict(type="modes", every_steps=0, num_samples=2500)))
  return config
