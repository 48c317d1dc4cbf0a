"""The shipped SMILES VAE for 30 minutes of a 2-core CPU (issue 20's CPU goal): the sizes of
seq_vae_moses_cpu.py (the issue's PyTorch reference) with a wider decoder GRU (384: 2.25x the
recurrent weights for ~20% more time per molecule on this CPU, where the small GRU's step is
bound by per-step overhead, not FLOPs), a narrower encoder GRU (32: the posterior collapses
onto the prior whatever its width, so the encoder's time goes to more steps: 1.17x the
molecules per second), Adam's rate warmed up to 3e-3 and decayed to 0 on a cosine, and length
buckets (steps of molecules of similar length run at the width they need: 1.35x the molecules
per second). 11,500 steps of 128 (1.47M molecules, ~93% of an epoch). See the README,
"Molecules: a SMILES VAE"."""
from configs import seq_vae_moses_cpu

# Token widths (characters + BOS, EOS) of MOSES molecules: ~13%, 25%, 32%, 23%, 6% of the
# training set fall in each; the last 0.6% run at the full 59.
LENGTH_BUCKETS = (32, 36, 40, 44, 48)


def get_config():
  config = seq_vae_moses_cpu.get_config()
  config.num_steps = 11500
  config.data.length_buckets = LENGTH_BUCKETS
  config.model.encoder.hidden = 32
  config.model.decoder.hidden = 384
  config.optim.update(learning_rate=3e-3, schedule="cosine", warmup_steps=100,
                      final_lr_fraction=0.0)
  config.eval_every = config.checkpoint_every = 2300
  config.evals.moses.every_steps = config.num_steps
  return config
