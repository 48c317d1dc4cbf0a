"""The pretrain-then-adversarial recipe: vaegan_mnist10k started from a trained
vae_plain_mnist10k run's encoder and decoder (config.init_from), then trained adversarially
with the reference code's weighting: the feature reconstruction at 1/100 of the adversarial
term in the decoder's loss (gamma=0.01) and balancing on. Train the VAE first:
  python -m experiments.main --config=configs/vae_plain_mnist10k.py --workdir=/tmp/genjax/vae_plain
"""
from configs import vaegan_mnist10k


def get_config():
  config = vaegan_mnist10k.get_config()
  config.init_from = "/tmp/genjax/vae_plain"
  config.loss.vaegan.gamma = 0.01
  config.loss.vaegan.balance = True
  config.num_steps = 6000
  config.eval_every = config.checkpoint_every = 3000
  return config
