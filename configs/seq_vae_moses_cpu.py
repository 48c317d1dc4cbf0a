"""The MOSES VAE shrunk for a 2-core CPU and 30 minutes (the PyTorch reference's small
configuration in issue 20): GRU encoder 128, one-layer GRU decoder 256, latent 64, batch 128,
Adam 1e-3, gradients clipped at 50; the KL weight annealed 0 -> 0.05 over the first 2,000 steps
(MOSES anneals over the whole run), then held; the MOSES metrics at the end. 6,000 steps.
Data: seq_vae_moses.py's. Results: README / docs ("Molecules: a SMILES VAE")."""
import configs
from genjax.defaults import seq_vae


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
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.05, kl_anneal_steps=2000)
  config.optim.update(learning_rate=1e-3, schedule="constant", grad_clip_norm=50.0)
  # The MOSES metrics at the last step only (an evaluation takes a while on a CPU: README);
  # experiments.evaluate --workdir=DIR scores any checkpoint.
  config.evals.moses.update(every_steps=config.num_steps, num_samples=1000,
                            num_reference=10_000)
  return config
