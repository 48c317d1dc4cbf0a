"""The pretrain-then-adversarial recipe: vaegan_mnist10k started from a trained
vae_plain_mnist10k run's encoder and decoder (config.init_from), trained adversarially for
fewer steps. Train the VAE first:
  python -m experiments.main --config=configs/vae_plain_mnist10k.py --workdir=/tmp/genjax/vae_plain
"""
from configs import vaegan_mnist10k


def get_config():
  config = vaegan_mnist10k.get_config()
  config.init_from = "/tmp/genjax/vae_plain"
  config.num_steps = 1500
  config.eval_every = config.checkpoint_every = 750
  return config
