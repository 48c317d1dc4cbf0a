"""The self-conditioned DCGAN as far as 30 minutes of the 2-core CPU take it:
dcgan_mnist10k_selfcond.py with G and D twice as wide (the PyTorch reference's ngf = ndf = 64),
FCD logged every 1,000 steps, and more steps than 30 minutes reach: stop it with SIGTERM,
which saves a checkpoint (on the shared CPU it stopped at step 3,374, FCD 97).

timeout -s TERM 1800 python -m experiments.main \
    --config=configs/dcgan_mnist10k_selfcond_30min.py --workdir=DIR
"""
from configs import dcgan_mnist10k_selfcond


def get_config():
  config = dcgan_mnist10k_selfcond.get_config()
  config.model.generator.width = config.model.discriminator.width = 64
  config.num_steps = 8000
  config.eval_every = config.checkpoint_every = 1000
  return config
