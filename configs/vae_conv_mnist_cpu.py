"""vae_conv_fashion_mnist_cpu.py on MNIST's standard split: the pretraining of
vaegan_mnist_cpu.py. Results: docs/benchmarks.md."""
from configs import vae_conv_fashion_mnist_cpu


def get_config():
  return vae_conv_fashion_mnist_cpu.get_config("mnist")
