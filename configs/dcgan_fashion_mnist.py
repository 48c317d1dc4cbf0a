"""dcgan_mnist.py on Fashion-MNIST's standard split (60,000 train, 10,000 test images of 10
kinds of clothing, 28x28 grey): the same recipe and FID protocol. Results: docs/benchmarks.md.

python -m experiments.main --config=configs/dcgan_fashion_mnist.py --workdir=DIR
Users with tfds: --config.data.name=fashion_mnist.
"""
from configs import dcgan_mnist


def get_config():
  return dcgan_mnist.get_config("fashion_mnist")
