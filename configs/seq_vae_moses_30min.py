"""The shipped SMILES VAE for 30 minutes of a 2-core CPU (issue 20's CPU goal): the sizes of
seq_vae_moses_cpu.py (the issue's PyTorch reference: latent 64, batch 128, KL weight 0 -> 0.05
over the first 2,000 steps, gradients clipped at 50) with a wider decoder GRU (384: 2.25x the
recurrent weights; the small GRU's step on this CPU is bound by per-step overhead, not FLOPs),
a narrower encoder GRU (32: the encoder's time goes to more steps), Adam's rate warmed up to
3e-3 and decayed to 0 on a cosine, and length buckets (steps of molecules of similar length run
at the width they need). 11,500 steps of 128 (1.47M molecules, ~93% of an epoch); the MOSES
metrics at the end. Results: README / docs ("Molecules: a SMILES VAE")."""
import configs
from genjax.defaults import seq_vae

LENGTH_BUCKETS = configs.MOSES_LENGTH_BUCKETS  # (32, 36, 40, 44, 48): see configs/__init__.py.


def get_config():
  config = seq_vae.get_config()
  config.data.update(name="smiles", path=configs.MOSES, train_split="train", eval_split="test",
                     num_eval=2000, max_length=0, max_train=0, dynamic_binarization=False)
  config.data.length_buckets = LENGTH_BUCKETS
  config.batch_size = 128
  config.num_steps = 11500
  config.steps_per_call = 50
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 2300
  config.model.latent_dim = 64
  config.model.encoder.update(type="gru", hidden=32, bidirectional=False)
  config.model.decoder.update(hidden=384, layers=1)
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.05, kl_anneal_steps=2000)
  config.optim.update(learning_rate=3e-3, schedule="cosine", warmup_steps=100,
                      final_lr_fraction=0.0, grad_clip_norm=50.0)
  config.evals.moses.update(every_steps=config.num_steps, num_samples=1000,
                            num_reference=10_000)
  return config
