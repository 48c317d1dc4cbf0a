"""Class-conditional DCGAN on MNIST-10k: dcgan_mnist10k.py with a label embedding in G and a
projection discriminator (Miyato and Koyama 2018). The DCGAN recipe, not hinge + spectral norm:
it measured better here, conditioned on k-means clusters (FCD 133 against 288 with 50 clusters).

python -m experiments.main --config=configs/cgan_mnist10k.py --workdir=DIR
python -m experiments.sample --workdir=DIR --num=16 --label=7 --out=sevens.png
"""
from configs import dcgan_mnist10k


def get_config():
  config = dcgan_mnist10k.get_config()
  config.model.conditioning = "projection"  # or 'concat'
  # Batch norm in D, as its figures were measured (dcgan_mnist10k.py dropped it).
  config.model.discriminator.batch_norm = True
  return config
