"""vaegan_digits started from the default VAE's encoder and decoder (same networks): train
`python -m experiments.main --config=configs/default.py --workdir=/tmp/genjax/default` first."""
from configs import vaegan_digits


def get_config():
  config = vaegan_digits.get_config()
  config.init_from = "/tmp/genjax/default"
  config.num_steps = 1500
  return config
