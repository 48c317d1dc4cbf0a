"""A conditional VAE (Sohn et al. 2015) on MNIST-10k: vae_plain_mnist10k with the digit's
label into the encoder (one-hot planes) and the decoder (one-hot appended to z);
`experiments.sample --label=C` draws class C."""
from configs import vae_plain_mnist10k


def get_config():
  config = vae_plain_mnist10k.get_config()
  config.model.conditioning = "concat"
  return config
