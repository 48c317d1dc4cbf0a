"""vae_conv_fashion_mnist.py in CPU minutes (`cpu_minutes` there: half the widths, 3,000 steps,
FID of 5,000 samples); the pretraining of vaegan_fashion_mnist_cpu.py. Results:
docs/benchmarks.md."""
from configs import vae_conv_fashion_mnist


def get_config(dataset: str = vae_conv_fashion_mnist.DATASET):
  return vae_conv_fashion_mnist.cpu_minutes(vae_conv_fashion_mnist.get_config(dataset))
