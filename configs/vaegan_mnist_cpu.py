"""vaegan_fashion_mnist_cpu.py on MNIST's standard split, from vae_conv_mnist_cpu.py's networks.
Results: docs/benchmarks.md."""
from configs import vaegan_fashion_mnist_cpu


def get_config():
  return vaegan_fashion_mnist_cpu.get_config("mnist")
