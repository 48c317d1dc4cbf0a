"""dcgan_mnist_cpu.py on Fashion-MNIST: the CPU-minutes recipe and FID of 5,000 samples
against the 10,000 test images. Results: docs/benchmarks.md.

python -m experiments.main --config=configs/dcgan_fashion_mnist_cpu.py --workdir=DIR
"""
from configs import dcgan_mnist_cpu


def get_config():
  return dcgan_mnist_cpu.get_config("fashion_mnist")
