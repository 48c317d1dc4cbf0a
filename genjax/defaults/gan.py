"""The GAN family's default (genjax/families/gan.py): the shared sections (shared.py), an EMA
of G's weights for sampling, MLP generator and discriminator (3 x 128, latent 2), the
non-saturating loss with no penalty and no instance noise, per-network optimizer sections
(all fields inherited) and no evaluator (mode coverage fits the 2-D mixtures only, FCD the
MNIST-10k images only: the configs add theirs)."""
import ml_collections

from genjax.defaults import shared
from genjax import schema


def get_config():
  config = shared.get_config()
  config.ema_decay = 0.99  # Sampling and eval use this EMA of G's weights (0: raw weights).
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
          # The objective's hyperparameters (keywords of its functions in genjax.losses):
          label_smoothing=0.0,  # minimax/non_saturating D: real target 1 - this (0: off).
          margin=1.0,           # hinge D: relu(margin - D(x)) + relu(margin + D(G(z))).
          n_critic=1,           # D updates per G update.
          # Weights of the terms in genjax.losses.PENALTIES added to D's loss (0: off):
          # gp: WGAN-GP's lambda; r1: R1's gamma (Mescheder et al. 2018); cr: consistency
          # regularization's lambda (Zhang et al. 2020; images).
          penalties=dict(gp=0.0, r1=0.0, cr=0.0),
          # Weights of the terms in genjax.losses.GENERATOR_TERMS added to G's loss (0: off):
          # feature_matching (Salimans et al. 2016) on D's last hidden features.
          generator_terms=dict(feature_matching=0.0),
          weight_clip=0.0,      # > 0 clips every D weight to [-c, c] after each update (WGAN).
          instance_noise=0.0,   # Std of noise added to D's inputs, annealed linearly...
          instance_noise_steps=0,  # ...to 0 over this many steps (0 with the std: off).
          diffaugment="",       # Images: comma-separated 'color,translation,cutout'.
      ),
  ))
  # config.optim (shared.py) is both networks'; these override any of its fields for G or D
  # (None: inherit), e.g. a two time-scale update rule: optim.disc.learning_rate.
  config.optim.gen = schema.net_optim()
  config.optim.disc = schema.net_optim()
  return config
