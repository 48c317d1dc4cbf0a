"""vaegan_fashion_mnist.py on MNIST's standard split, from vae_conv_mnist.py's networks.
Results: docs/benchmarks.md."""
from configs import vaegan_fashion_mnist


def get_config():
  return vaegan_fashion_mnist.get_config("mnist", "configs/vae_conv_mnist.py")
