"""superres_mnist.py on Fashion-MNIST's standard split (7x7 -> 28x28), for a GPU; the feature
loss still reads the MNIST-10k digit classifier (SRGAN's VGG was not trained on its data
either). Results: docs/superres.md."""
from configs import superres_mnist


def get_config():
  return superres_mnist.get_config("fashion_mnist")
