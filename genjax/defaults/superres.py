"""The super-resolution family's default (genjax/families/superres.py; Ledig et al. 2017,
SRGAN): the shared sections (shared.py), a x4 SRResNet generator without batch norm (64
channels, 8 residual blocks), a DCGAN discriminator that sees the high-resolution image
beside the nearest-upsampled low-resolution input, a pixel content loss plus 1e-3 times the
non-saturating GAN loss, per-network optimizer sections, and the super-resolution evaluator
(PSNR, SSIM, against bicubic upsampling)."""
import ml_collections

from genjax.defaults import shared
from genjax import schema


def get_config():
  config = shared.get_config()
  config.data.value_range = "-1,1"
  config.model = ml_collections.ConfigDict(dict(
      name="superres",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      factor=4,                 # Upsampling factor, a power of 2: H x W from H/4 x W/4.
      generator=dict(
          channels=64,          # Features of every conv.
          blocks=8,             # Residual blocks (SRGAN: 16).
      ),
      discriminator=dict(
          net="dcgan",          # 'mlp' or 'dcgan' (genjax/defaults/gan.py's fields).
          hidden=(256,),        # MLP widths.
          width=32,             # DCGAN base width (ndf).
          spectral_norm=False,  # Spectral normalization of every layer.
          batch_norm=False,     # DCGAN: batch norm after every conv but the first.
      ),
  ))
  config.loss = ml_collections.ConfigDict(dict(
      superres=dict(
          pixel_weight=1.0,     # Weight of the mean squared pixel error (SRGAN's MSE loss).
          feature_weight=0.0,   # Weight of the mean squared error in a classifier's features
                                # (SRGAN's VGG loss, with a genjax classifier for VGG)...
          feature_path="",      # ...that classifier: its config file (trained on first use)
                                # or a trained workdir.
          adversarial_weight=1e-3,  # Weight of the GAN loss (0: no discriminator, SRResNet).
      ),
      gan=dict(
          name="non_saturating",  # A key of genjax.losses.GAN_LOSSES.
          label_smoothing=0.0,  # minimax/non_saturating D: real target 1 - this (0: off).
          margin=1.0,           # hinge D's margin.
          penalties=dict(gp=0.0, r1=0.0, cr=0.0),  # Weights of genjax.losses.PENALTIES on D.
      ),
  ))
  for net in ("gen", "disc"):
    config.optim[net] = schema.net_optim()  # Per-network overrides (None: inherit).
  config.evals = ml_collections.ConfigDict(dict(
      superres=dict(type="superres", every_steps=0)))  # PSNR, SSIM vs bicubic.
  return config
