"""The VAE-GAN family's default (genjax/families/vaegan.py; Larsen et al. 2016): the shared
sections (shared.py), the VAE's MLP encoder and decoder (256 units, latent 16, Bernoulli:
genjax/defaults/vae.py), a DCGAN discriminator without batch norm whose first conv layer's
features measure reconstructions, the non-saturating GAN loss, per-network optimizer sections
for the encoder, decoder and discriminator (all fields inherited), and no evaluator."""
import ml_collections

from genjax.defaults import shared
from genjax import schema


def get_config():
  config = shared.get_config()
  config.model = ml_collections.ConfigDict(dict(
      name="vaegan",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      latent_dim=16,
      conditioning="none",      # 'concat': labels into encoder and decoder.
      # The VAE's networks (their fields: genjax/defaults/vae.py); the decoder is also G.
      encoder=dict(
          net="mlp",            # 'mlp' or 'conv'.
          hidden=(256,),        # MLP widths; a conv net's dense layer has hidden[0] units.
          channels=(32, 64),    # Conv widths, one stride-2 layer each.
          activation="relu",    # relu, elu, gelu, swish.
      ),
      decoder=dict(
          net="mlp",
          hidden=(256,),        # MLP widths from the latent outward (conv: the dense layer).
          channels=(64, 32),    # Transposed-conv widths from the coarse grid outward.
          activation="relu",
          likelihood="bernoulli",  # 'bernoulli' (data in [0,1]) or 'gaussian'.
          learn_scale=False,    # gaussian: learn a per-channel log std...
          log_scale=-2.0,       # ...starting from (or fixed at) this value.
          ar_channels=0,        # >0 adds a local autoregressive head (binary images).
          ar_kernel=5,          # Its causal window is ar_kernel x ar_kernel...
          ar_layers=2,          # ...then this many residual per-pixel layers,
          ar_features=8,        # fed by this many decoder features per pixel.
      ),
      # The GAN's discriminator fields (genjax/defaults/gan.py).
      discriminator=dict(
          net="dcgan",          # 'mlp' or 'dcgan'.
          hidden=(256,),        # MLP widths.
          width=32,             # DCGAN base width (ndf).
          spectral_norm=False,  # Spectral normalization of every layer.
          batch_norm=False,     # DCGAN: batch norm after every conv but the first.
          sigmoid_output=False,  # D(x) = sigmoid(D's logit): only minimax losses accept it.
      ),
  ))
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
      gan=dict(
          name="non_saturating",  # A key of genjax.losses.GAN_LOSSES.
          label_smoothing=0.0,  # minimax/non_saturating D: real target 1 - this (0: off).
          margin=1.0,           # hinge D's margin.
          penalties=dict(gp=0.0, r1=0.0, cr=0.0),  # Weights of genjax.losses.PENALTIES on D.
      ),
  ))
  # config.optim (shared.py) is every network's; these override any of its fields for the
  # encoder, the decoder or the discriminator (None: inherit).
  for net in ("enc", "dec", "disc"):
    config.optim[net] = schema.net_optim()
  return config
