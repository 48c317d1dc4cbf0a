"""The adversarial autoencoder of MOSES' `aae` row (Kadurin et al. 2017; Polykovskiy et al.
2020) at the size of seq_vae_moses_cpu.py: the same GRU encoder and decoder, no KL term, and an
MLP discriminator on the 64-d codes (640, 256, ELU, as MOSES') against N(0, I) draws; the
encoder adds loss.seq_vae.adversarial x its non-saturating loss (MOSES: 1, beside the
reconstruction in nats per token). See the README, "Molecules: the adversarial fusion"."""
from configs import seq_vae_moses_cpu


def get_config():
  config = seq_vae_moses_cpu.get_config()
  # MOSES pretrains the autoencoder for 2 epochs first; here the first 1,000 steps.
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.0, adversarial=1.0, adversarial_start=1000)
  config.model.latent_discriminator = dict(hidden=(640, 256))
  return config
