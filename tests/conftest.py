"""Shared fixtures: a tiny, fast config and the path of the shared MNIST-10k files."""
import os
import tempfile

import pytest

# Prepared tfds datasets (digits) go to a temp dir per test process (xdist workers inherit
# the controller's environment), set before tfds is first imported.
os.environ["TFDS_DATA_DIR"] = tempfile.mkdtemp(
    prefix=f"genjax_tfds_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_")

from configs import default

MNIST10K = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist10k")
MNIST_IMAGES = os.path.join(MNIST10K, "t10k-images-idx3-ubyte.gz")
MNIST_LABELS = os.path.join(MNIST10K, "t10k-labels-idx1-ubyte.gz")


def tiny(config=None):
  """The default config, shrunk to run in seconds on CPU."""
  config = config or default.get_config()
  config.num_steps = 20
  config.steps_per_call = 5
  config.log_every = 10
  config.eval_every = 10
  config.checkpoint_every = 10
  config.batch_size = 32
  config.model.hidden = (32,)
  config.model.channels = (8, 16)
  config.model.latent_dim = 4
  config.eval.iwae_samples = 10
  config.eval.iwae_chunk = 5
  config.eval.iwae_examples = 20
  config.eval.num_samples_png = 16
  return config


@pytest.fixture
def tiny_config():
  return tiny()
