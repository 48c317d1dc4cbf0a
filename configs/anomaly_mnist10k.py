"""The anomaly-detection VAE on MNIST-10k (`experiments.anomaly`): an MLP VAE (784-512-32,
ELU, Bernoulli on dynamically binarized digits), cheap enough to train once per held-out
digit and seed: 10,000 steps of 128, ~180 epochs of the ~7,200 images of nine digits (the
study sets data.exclude_labels). Results: README / docs.

python -m experiments.anomaly --config=configs/anomaly_mnist10k.py --workdir=DIR
"""
import configs
from genjax.defaults import vae


def get_config():
  config = vae.get_config()
  configs.use_mnist10k(config.data)
  config.data.dynamic_binarization = True
  config.num_steps = 10000
  config.batch_size = 128
  config.eval_every = config.checkpoint_every = 10000
  config.model.latent_dim = 32
  for net in (config.model.encoder, config.model.decoder):
    net.net, net.hidden, net.activation = "mlp", (512,), "elu"
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 200
  config.evals.nll.iwae_examples = 500  # The study scores all 2,000 eval images itself.
  return config
