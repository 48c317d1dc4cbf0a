"""Shipped configs (each module's `get_config()`) and what several of them share."""

MNIST10K = "../shared/data/mnist10k"  # Relative to the repository root, where mains run.


def use_mnist10k(data) -> None:
  """Points `data` (a config.data) at the MNIST test set's IDX files, images and labels:
  the first 8,000 images train, the last 2,000 evaluate."""
  data.name = "idx"
  data.path = f"{MNIST10K}/t10k-images-idx3-ubyte.gz"
  data.labels_path = f"{MNIST10K}/t10k-labels-idx1-ubyte.gz"
  data.num_eval = 2000

MOSES = "../shared/data/moses"  # The MOSES splits (or the molsets wheel), from the repository root.
