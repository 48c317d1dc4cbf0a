"""superres_mnist_cpu.py on Fashion-MNIST. Results: docs/superres.md."""
from configs import superres_mnist_cpu


def get_config():
  return superres_mnist_cpu.get_config("fashion_mnist")
