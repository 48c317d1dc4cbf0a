"""The shipped SMILES VAE for 30 minutes of a 2-core CPU (issue 20's CPU goal): the size of
seq_vae_moses_cpu.py (the issue's PyTorch reference) with a wider decoder GRU (384: 2.25x the
recurrent weights for ~20% more time per molecule on this CPU, where the small GRU's step is
bound by per-step overhead, not FLOPs; benchmark in the README), a cosine learning-rate
decay from 1e-3 to 0 over the run, and length buckets (steps of molecules of similar length
run at the width they need: 1.35x the molecules per second). 10,000 steps of 128 molecules
(1.28M, ~80% of an epoch). See the README, "Molecules: a SMILES VAE"."""
from configs import seq_vae_moses_cpu

# Token widths (characters + BOS, EOS) of MOSES molecules: ~13%, 25%, 32%, 23%, 6% of the
# training set fall in each; the last 0.6% run at the full 59.
LENGTH_BUCKETS = (32, 36, 40, 44, 48)


def get_config():
  config = seq_vae_moses_cpu.get_config()
  config.num_steps = 10000
  config.data.length_buckets = LENGTH_BUCKETS
  config.model.decoder.hidden = 384
  config.optim.update(schedule="cosine", warmup_steps=100, final_lr_fraction=0.0)
  config.eval_every = config.checkpoint_every = 2000
  config.evals.moses.every_steps = config.num_steps
  return config
