"""The VAE-GAN family's default (genjax/families/vaegan.py; Larsen et al. 2016): the shared
sections (shared.py), the VAE's MLP encoder and decoder (256 units, latent 16, Bernoulli:
genjax/defaults/vae.py), a DCGAN discriminator without batch norm whose first conv layer's
features measure reconstructions, the non-saturating GAN loss, per-network optimizer sections
for the encoder, decoder and discriminator (all fields inherited), and no evaluator."""
import ml_collections

from genjax.defaults import shared
from genjax.defaults import vae
from genjax import schema


def get_config():
  config = shared.get_config()
  vae_networks = vae.get_config().model
  config.model = ml_collections.ConfigDict(dict(
      name="vaegan",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      latent_dim=16,
      conditioning="none",      # 'concat': labels into encoder and decoder.
      # The VAE's networks, as its default has them (their fields are commented in
      # genjax/defaults/vae.py); the decoder is also G.
      encoder=vae_networks.encoder.to_dict(),
      decoder=vae_networks.decoder.to_dict(),
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
