"""MOSES' VAE (configs/seq_vae_moses.py: GRU encoder 256, 3-layer GRU decoder 512, latent 128,
batch 512, gradients clipped at 50, KL weight 0 -> 0.05 over the run) for minutes of one GPU
instead of 100 epochs: Adam's rate warmed up to 1e-3 and decayed to 0 by a cosine, and length
buckets (steps of molecules of similar length run at the width they need). Set num_steps to
what the time allows: the README's H200 run times the step first (experiments.benchmark
--only=seq_vae_moses_gpu) and sizes num_steps to the budget. See the README, "Molecules".
"""
from configs import seq_vae_moses
from configs import seq_vae_moses_30min


def get_config():
  config = seq_vae_moses.get_config()
  config.num_steps = 30_000
  config.steps_per_call = 100
  config.log_every = 1000
  config.eval_every = config.checkpoint_every = 2000
  config.data.length_buckets = seq_vae_moses_30min.LENGTH_BUCKETS
  config.optim.update(learning_rate=1e-3, schedule="cosine", warmup_steps=500,
                      final_lr_fraction=0.0)
  config.evals.moses.every_steps = config.num_steps
  return config
