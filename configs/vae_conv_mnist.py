"""vae_conv_fashion_mnist.py on MNIST's standard split (grey levels, Bernoulli decoder): the
baseline and pretraining of vaegan_mnist.py. Results: docs/benchmarks.md."""
from configs import vae_conv_fashion_mnist


def get_config():
  return vae_conv_fashion_mnist.get_config("mnist")
