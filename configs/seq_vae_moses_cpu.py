"""The MOSES VAE shrunk for a 2-core CPU and 30 minutes (the PyTorch reference's small
configuration in issue 20): GRU encoder 128, one-layer GRU decoder 256, latent 64, batch 128,
Adam 1e-3, gradients clipped at 50; the KL weight annealed 0 -> 0.05 over the first 2,000 steps
(MOSES anneals over the whole run), then held; the MOSES metrics at the end. See the README,
"Molecules: a SMILES VAE"."""
from configs import seq_vae_moses


def get_config():
  config = seq_vae_moses.get_config()
  config.batch_size = 128
  config.num_steps = 6000
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.model.latent_dim = 64
  config.model.encoder.hidden = 128
  config.model.decoder.update(hidden=256, layers=1)
  config.loss.seq_vae.kl_anneal_steps = 2000
  config.optim.learning_rate = 1e-3
  # The MOSES metrics at the last step only (~30 s an evaluation on this CPU, minutes the first
  # time: README); experiments.evaluate --workdir=DIR scores any checkpoint.
  config.evals.moses.every_steps = config.num_steps
  return config
