"""MOSES' VAE (seq_vae_moses.py: GRU encoder 256, 3-layer GRU decoder 512, latent 128, batch
512, gradients clipped at 50, KL weight 0 -> 0.05 over the run) for minutes of one GPU instead
of 100 epochs: Adam's rate warmed up to 1e-3 and decayed to 0 by a cosine, and length buckets
(steps of molecules of similar length run at the width they need). Set num_steps to what the
time allows: the README's H200 run times the step first (experiments.benchmark
--only=seq_vae_moses_gpu) and sizes num_steps to the budget. Results: README / docs
("Molecules").
"""
import configs
from genjax.defaults import seq_vae


def get_config():
  config = seq_vae.get_config()
  config.data.update(name="smiles", path=configs.MOSES, train_split="train", eval_split="test",
                     num_eval=2000, max_length=0, max_train=0, dynamic_binarization=False)
  config.data.length_buckets = configs.MOSES_LENGTH_BUCKETS
  config.batch_size = 512
  config.num_steps = 30_000
  config.steps_per_call = 100
  config.log_every = 1000
  config.eval_every = config.checkpoint_every = 2000
  config.model.latent_dim = 128
  config.model.encoder.update(type="gru", hidden=256, bidirectional=False)
  config.model.decoder.update(hidden=512, layers=3)
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.05, kl_anneal_steps=0)  # 0: over num_steps.
  config.optim.update(learning_rate=1e-3, schedule="cosine", warmup_steps=500,
                      final_lr_fraction=0.0, grad_clip_norm=50.0)
  config.evals.moses.update(every_steps=config.num_steps, num_samples=1000,
                            num_reference=10_000)
  return config
