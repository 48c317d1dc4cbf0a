"""The VAE family's default (genjax/families/vae.py): the shared sections (shared.py) with
dynamic binarization on, an MLP VAE (256 units, latent 16, Bernoulli likelihood), the ELBO,
and the IWAE NLL evaluator. configs/default.py trains exactly this.

config.optim.vae overrides config.optim's fields for the one network (None: inherit)."""
import ml_collections

from genjax import schema
from genjax.defaults import shared


def get_config():
  config = shared.get_config()
  config.data.dynamic_binarization = True  # Binary pixels for the Bernoulli likelihood.
  config.model = ml_collections.ConfigDict(dict(
      name="vae",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      latent_dim=16,
      conditioning="none",      # 'concat': a conditional VAE (labels into encoder and decoder).
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
  ))
  # One section per objective: a family reads its own (a VAE-GAN reads several).
  config.loss = ml_collections.ConfigDict(dict(
      vae=dict(
          name="elbo",          # A key of genjax.losses.VAE_OBJECTIVES: 'elbo', 'iwae'.
          beta=1.0,             # KL weight of 'elbo'.
          num_samples=1,        # Posterior samples per example.
          kl_warmup_steps=0,    # 'elbo': the KL weight rises linearly from 0 to beta over this
                                # many train steps (0: beta from the start).
          free_bits=0.0,        # 'elbo': nats per latent dimension its batch-mean KL counts at
                                # least (0: off); dimensions under it feel no pull to the prior.
      ),
  ))
  config.optim.vae = schema.net_optim()
  config.evals = ml_collections.ConfigDict(dict(
      nll=dict(type="nll",      # IWAE NLL and -ELBO on the first iwae_examples eval images.
               every_steps=0,
               batch_size=100,
               iwae_samples=1000,   # k of the importance-sampled NLL.
               iwae_chunk=100,      # Samples per decoder call (memory).
               iwae_examples=360),  # Eval images the NLL is estimated on.
  ))
  return config
