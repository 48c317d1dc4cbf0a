"""The adversarial autoencoder of MOSES' `aae` row (Kadurin et al. 2017; Polykovskiy et al.
2020) at the size of seq_vae_moses_cpu.py (GRU encoder 128, one-layer GRU decoder 256, latent
64, batch 128, Adam 1e-3, gradients clipped at 50, 6,000 steps): no KL term, and an MLP
discriminator on the 64-d codes (640, 256, ELU, as MOSES') against N(0, I) draws; the encoder
adds loss.seq_vae.adversarial x its non-saturating loss (MOSES: 1, beside the reconstruction in
nats per token). Results: README / docs ("Molecules: the adversarial fusion")."""
import configs
from genjax.defaults import seq_vae
from genjax import schema


def get_config():
  config = seq_vae.get_config()
  config.data.update(name="smiles", path=configs.MOSES, train_split="train", eval_split="test",
                     num_eval=2000, max_length=0, max_train=0, dynamic_binarization=False)
  config.batch_size = 128
  config.num_steps = 6000
  config.steps_per_call = 50
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.model.latent_dim = 64
  config.model.encoder.update(type="gru", hidden=128, bidirectional=False)
  config.model.decoder.update(hidden=256, layers=1)
  config.model.latent_discriminator = dict(hidden=(640, 256))  # The code discriminator (MLP).
  # No KL term (kl_anneal_steps: seq_vae_moses_cpu.py's, unused at weight 0); the adversarial
  # term from step adversarial_start (MOSES pretrains the autoencoder for 2 epochs first; here
  # the first 1,000 steps), at full weight at once (adversarial_ramp=0: no ramp).
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.0, kl_anneal_steps=2000, adversarial=1.0,
                             adversarial_start=1000, adversarial_ramp=0)
  config.optim.update(learning_rate=1e-3, schedule="constant", grad_clip_norm=50.0)
  # Per-network optimizer overrides (none), so that flags reach them, e.g. a slower D:
  # --config.optim.latent_disc.learning_rate=1e-4 (the encoder's term ramps in with
  # --config.loss.seq_vae.adversarial_ramp=STEPS).
  config.optim.seq_vae = schema.net_optim()
  config.optim.latent_disc = schema.net_optim()
  # The MOSES metrics at the last step only; experiments.evaluate --workdir=DIR scores any
  # checkpoint.
  config.evals.moses.update(every_steps=config.num_steps, num_samples=1000,
                            num_reference=10_000)
  return config
