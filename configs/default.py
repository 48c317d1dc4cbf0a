"""The main's default: an MLP VAE (64-256-16, ReLU, Bernoulli likelihood) on the embedded
`digits` dataset (8x8, sklearn), dynamically binarized: exactly the VAE family default
(genjax/defaults/vae.py, where every field is documented). Results: README / docs."""
from genjax.defaults import vae


def get_config():
  config = vae.get_config()
  config.data.name = "digits"
  config.data.dynamic_binarization = True
  config.num_steps = 3000
  config.batch_size = 128
  config.eval_every = config.checkpoint_every = 1500
  config.model.latent_dim = 16
  config.model.encoder.net = config.model.decoder.net = "mlp"
  config.model.encoder.hidden = config.model.decoder.hidden = (256,)
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "constant"
  return config
