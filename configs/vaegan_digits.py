"""A VAE-GAN (Larsen et al. 2016) on the embedded 8x8 digits: MLP encoder and decoder (the
VAE's), a DCGAN discriminator whose first conv layer's features measure reconstructions;
non-saturating GAN loss, Adam(3e-4, b1=0.5) for all three networks."""
import ml_collections

from configs import default
from genjax import schema


def get_config():
  config = default.get_config()
  config.num_steps = 3000
  config.batch_size = 64
  config.steps_per_call = 1  # D's convs: see dcgan_digits.py (1.5x faster here on CPU).
  config.data.dynamic_binarization = False  # Grey levels: D compares images, not bits.
  model = config.model
  model.name = "vaegan"
  model.conditioning = "none"
  model.discriminator = ml_collections.ConfigDict(dict(
      net="dcgan", hidden=(256,), width=32, spectral_norm=False, batch_norm=False,
      sigmoid_output=False))
  config.loss = ml_collections.ConfigDict(dict(
      vaegan=dict(
          beta=1.0,             # KL weight of the encoder's loss.
          gamma=1.0,            # Weight of the feature reconstruction in the decoder's loss
                                # (the reference code's 1e-2 vs 1 - 1e-2 for the GAN term).
          feature_layer="Conv_0",  # D's layer whose output is the learned similarity.
          balance=False,        # Skip D's / the decoder's update when it wins / loses badly.
          equilibrium=0.68,     # ...around this cross-entropy (about log 2)...
          margin=0.35,          # ...by more than this.
      ),
      gan=dict(name="non_saturating", penalties=dict(gp=0.0, r1=0.0)),
  ))
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  for net in ("enc", "dec", "disc"):
    config.optim[net] = schema.net_optim()
  config.evals = ml_collections.ConfigDict()
  return config
