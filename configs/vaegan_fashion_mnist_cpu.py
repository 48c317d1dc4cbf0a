"""vaegan_fashion_mnist.py in CPU minutes, from vae_conv_fashion_mnist_cpu.py's networks (trained
on first use): half the widths, 3,000 adversarial steps, FID of 5,000 samples. Results:
docs/benchmarks.md."""
from configs import vaegan_fashion_mnist


def get_config(dataset: str = "fashion_mnist"):
  config = vaegan_fashion_mnist.get_config(dataset, f"configs/vae_conv_{dataset}_cpu.py")
  return vaegan_fashion_mnist.cpu_minutes(config)
