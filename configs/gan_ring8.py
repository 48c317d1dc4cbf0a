"""A GAN on `ring8`, the 8-Gaussian ring (radius 1, std 0.01): the base of the GAN configs.

Non-saturating loss, MLP generator and discriminator (3 x 128 ReLU), batch 1024, Adam(1e-3,
b1=0.5) decayed to 0 by a cosine over 10,000 steps, instance noise (std 0.5 on D's real and
fake inputs, annealed linearly to 0 over the first 5,000 steps); samples and metrics come
from an EMA (0.99) of G's weights. Seeds 0-9 (experiments.mode_coverage --seeds=10, 10 min 9 s
on the 2-core CPU): 8/8 modes on every seed at 97.8% +- 0.4 high quality (lowest 97.2%), the
raw generator the same. The recipe before (batch 512, 5,000 steps at a constant rate, no
instance noise, per-layer noise in G): 8 of 10 seeds. README, "GAN benchmarks".
Image configs that import this one set their own schedule, batch and steps.
"""
import ml_collections

from configs import default
from genjax import schema


def get_config():
  config = default.get_config()
  config.num_steps = 10000
  config.batch_size = 1024
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
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      latent_dim=2,
      latent_codes=0,           # K > 0 appends a one-hot uniform K-way code to G's latent.
      conditioning="none",      # 'none', 'projection' (D) or 'concat' (D); G embeds labels.
      generator=dict(
          net="mlp",            # 'mlp' or 'dcgan'.
          hidden=(128, 128, 128),  # MLP widths.
          width=64,             # DCGAN base width (ngf).
          noise_injection=0.0,  # > 0: StyleGAN's per-layer noise, a learned scale per unit /
                                # channel starting at this value (0: off). README, "The
                                # mode-collapse remedies"; gan_grid25.py uses it.
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
          fourier_features=0,   # MLP: > 0 adds sin/cos of this many learned projections of
          fourier_scale=1.0,    # the input (initial frequency std) to D's input (0: off).
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
          instance_noise=0.5,   # Std of noise added to D's inputs, annealed linearly...
          instance_noise_steps=5000,  # ...to 0 over this many steps (0 with the std: off).
          diffaugment="",       # Images: comma-separated 'color,translation,cutout'.
      ),
  ))
  config.optim.learning_rate = 1e-3  # Both networks'; optim.gen / optim.disc override (TTUR).
  config.optim.b1 = 0.5
  config.optim.schedule = "cosine"  # Decay to 0 sharpens the modes at the end.
  config.optim.gen = schema.net_optim()
  config.optim.disc = schema.net_optim()
  config.evals = ml_collections.ConfigDict(dict(
      modes=dict(type="modes", every_steps=0, num_samples=2500)))
  return config
