"""superres_mnist.py in CPU minutes (`cpu_minutes` there: 32 channels, 4 blocks, 3,000 steps,
FID of 2,000 restorations). Results: docs/superres.md.

python -m experiments.main --config=configs/superres_mnist_cpu.py --workdir=DIR
"""
from configs import superres_mnist


def get_config(dataset: str = superres_mnist.DATASET):
  return superres_mnist.cpu_minutes(superres_mnist.get_config(dataset))
