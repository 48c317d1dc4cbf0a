"""The adversarial autoencoder of MOSES' `aae` row (Kadurin et al. 2017; Polykovskiy et al.
2020) at the size of seq_vae_moses_cpu.py: the same GRU encoder and decoder, no KL term, and an
MLP discriminator on the 64-d codes (640, 256, ELU, as MOSES') against N(0, I) draws; the
encoder adds loss.seq_vae.adversarial x its non-saturating loss (MOSES: 1, beside the
reconstruction in nats per token). See the README, "Molecules: the adversarial fusion"."""
from configs import seq_vae_moses_cpu
from genjax import schema


def get_config():
  config = seq_vae_moses_cpu.get_config()
  # MOSES pretrains the autoencoder for 2 epochs first; here the first 1,000 steps.
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.0, adversarial=1.0, adversarial_start=1000)
  config.model.latent_discriminator = dict(hidden=(640, 256))
  # Per-network optimizer overrides (none), so that flags reach them, e.g. a slower D:
  # --config.optim.latent_disc.learning_rate=1e-4 (the encoder's term ramps in with
  # --config.loss.seq_vae.adversarial_ramp=STEPS).
  config.optim.seq_vae = schema.net_optim()
  config.optim.latent_disc = schema.net_optim()
  config.loss.seq_vae.adversarial_ramp = 0
  return config
