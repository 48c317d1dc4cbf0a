"""Shared fixtures: a tiny, fast config and the path of the shared MNIST-10k files."""
import os
import subprocess
import sys
import tempfile

import pytest

# Prepared tfds datasets (digits) go to a temp dir per test process (xdist workers inherit
# the controller's environment), set before tfds is first imported.
os.environ["TFDS_DATA_DIR"] = tempfile.mkdtemp(
    prefix=f"genjax_tfds_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_")
# JAX's persistent compilation cache, shared by the xdist workers and the subprocesses tests
# start (they inherit the environment): the same tiny configs compile in many tests.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), "genjax_test_jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")

from configs import classifier_digits
import jax
import jax.numpy as jnp
import numpy as np

from configs import dcgan_digits
from configs import default
from configs import gan_ring8
from configs import seq_vae_moses
from configs import superres_digits
from configs import vaegan_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_main(module: str, *args):
  """`python -m module args` from the repository root on CPU: the CompletedProcess."""
  return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=300, env={**os.environ, "JAX_PLATFORMS": "cpu"})


def assert_one_line_error(result, *fragments):
  """A main refused its input: exit 2, exactly one `error:` line holding every fragment,
  no traceback."""
  assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
  lines = [l for l in result.stderr.strip().splitlines() if l.startswith("error:")]
  assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
  for fragment in fragments:
    assert fragment in lines[0], lines[0]


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
  config.model.encoder.hidden = config.model.decoder.hidden = (32,)
  config.model.encoder.channels, config.model.decoder.channels = (8, 16), (16, 8)
  config.model.latent_dim = 4
  config.evals.nll.iwae_samples = 10
  config.evals.nll.iwae_chunk = 5
  config.evals.nll.iwae_examples = 20
  config.eval.num_samples_png = 16
  return config


# tiny() as command-line overrides of configs/default.py, for mains run in subprocesses.
TINY_FLAGS = ["--config=configs/default.py", "--config.num_steps=20", "--config.steps_per_call=5",
              "--config.log_every=10", "--config.eval_every=10", "--config.checkpoint_every=10",
              "--config.batch_size=32", "--config.model.encoder.hidden=(32,)",
              "--config.model.decoder.hidden=(32,)", "--config.model.encoder.channels=(8,16)",
              "--config.model.decoder.channels=(16,8)", "--config.model.latent_dim=4",
              "--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
              "--config.evals.nll.iwae_examples=20", "--config.eval.num_samples_png=16"]


def ring8_recipe_before(config):
  """The ring recipe before annealed instance noise and the cosine decay (docs/images.md,
  "GAN benchmarks"): per-layer noise in G (0.1), a constant rate, no instance noise."""
  config.optim.schedule = "constant"
  config.loss.gan.instance_noise, config.loss.gan.instance_noise_steps = 0.0, 0
  config.model.generator.noise_injection = 0.1
  return config


def tiny_gan(**loss):
  """The ring8 GAN config, shrunk; `loss` fields overridden."""
  config = gan_ring8.get_config()
  config.num_steps = 20
  config.steps_per_call = 5
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.batch_size = 32
  config.model.generator.hidden = config.model.discriminator.hidden = (32, 32)
  config.evals.modes.num_samples = 200
  # The golden values, the hand-rebuilt losses and the resume-with-more-steps tests assume a
  # constant rate and noise-free D inputs; per-layer noise in G so the tests exercise it.
  ring8_recipe_before(config)
  for k, v in loss.items():
    config.loss.gan[k] = v
  return config


def tiny_dcgan_sn():
  """DCGAN on digits, shrunk, with spectral norm (D) and batch norm (G)."""
  config = dcgan_digits.get_config()
  config.model.generator.width = config.model.discriminator.width = 8
  config.batch_size, config.model.discriminator.spectral_norm = 16, True
  config.num_steps, config.steps_per_call = 20, 5
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.eval.num_samples_png = 4
  return config


def contract_gan():
  config = tiny_gan(n_critic=2)
  config.model.discriminator.spectral_norm = True
  # As the image GANs (the flat-layout workdirs these tests rebuild predate the per-layer
  # noise); tests/test_gan.py and test_parallel.py's DCGAN case cover the noise.
  config.model.generator.noise_injection = 0.0
  # Not the batch size: tests tell batch from weight matmuls.
  config.model.generator.hidden = config.model.discriminator.hidden = (24, 24)
  return config


def tiny_vaegan():
  """The digits VAE-GAN, shrunk."""
  config = vaegan_digits.get_config()
  config.num_steps, config.steps_per_call, config.batch_size = 20, 5, 32
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.model.encoder.hidden = config.model.decoder.hidden = (32,)
  config.model.latent_dim = 4
  config.model.discriminator.width = 8
  config.eval.num_samples_png = 16
  return config


def tiny_classifier():
  """The digits classifier, shrunk (one conv per stage, narrow) to run in seconds."""
  config = classifier_digits.get_config()
  config.num_steps, config.steps_per_call = 20, 1  # XLA:CPU: conv weight gradients in a scan.
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.batch_size = 32
  config.model.net.update(channels=(8, 16), convs_per_stage=1, hidden=24)  # 24: not the batch.
  config.optim.warmup_steps = 0
  config.loss.classifier.label_smoothing = 0.1  # Exercised: the shipped configs use 0.
  return config


def tiny_superres():
  """The digits super-resolution config (x4: 2x2 -> 8x8), shrunk to run in seconds, with a
  hinge objective and R1 so the contract runs D's penalty path (widths unlike the batch)."""
  config = superres_digits.get_config()
  config.num_steps, config.steps_per_call = 20, 1  # XLA:CPU: conv weight gradients in a scan.
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.batch_size = 16
  config.model.generator.update(channels=6, blocks=1)
  config.model.discriminator.width = 5
  config.loss.superres.adversarial_weight = 0.1
  config.loss.gan.name = "hinge"
  config.loss.gan.penalties.r1 = 0.5
  return config


def class_hits(dataset, draw, value_range: str = "0,1") -> list:
  """For each class c of 0..9, the fraction of `draw(c)` (images in `value_range`) that a
  logistic regression trained on the dataset's training images assigns to c (chance: 0.1)."""
  from sklearn.linear_model import LogisticRegression  # pylint: disable=g-import-not-at-top
  from genjax.data import pipeline  # pylint: disable=g-import-not-at-top
  flat = lambda images: np.asarray(images).reshape(len(images), -1)
  train = pipeline.to_value_range(np.asarray(dataset.train_images), value_range)
  classifier = LogisticRegression(max_iter=2000).fit(flat(train), dataset.train_labels)
  return [float(np.mean(classifier.predict(flat(draw(c))) == c)) for c in range(10)]


def assert_draws_and_reconstructs_classes(family, state, dataset):
  """A class-conditional family: its samples of class c are classified as c far above
  chance, and it reconstructs given the labels and refuses to without them."""
  from genjax.errors import GenjaxError  # pylint: disable=g-import-not-at-top
  sample = jax.jit(family.predict["sample"], static_argnums=2)
  hits = class_hits(dataset, lambda c: sample(state, jax.random.PRNGKey(c), 50,
                                              jnp.full((50,), c)))
  assert np.mean(hits) > 0.5, np.round(hits, 2)
  x = jnp.asarray(dataset.train_images[:8])
  y = jnp.asarray(dataset.train_labels[:8], jnp.int32)
  assert family.predict["reconstruct"](state, x, y).shape == x.shape
  with pytest.raises(GenjaxError, match="class-conditional: pass the examples' labels"):
    family.predict["reconstruct"](state, x)


MOSES_TINY = os.path.join(ROOT, "tests", "data", "moses_tiny")  # 1,000 train, 200 test SMILES.
MOSES = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "moses")


def tiny_seq_vae():
  """The MOSES VAE config, shrunk (widths unlike the batch size: tests tell them apart), on
  the 1,000 molecules of tests/data/moses_tiny."""
  config = seq_vae_moses.get_config()
  config.data.update(path=MOSES_TINY, num_eval=50)
  config.num_steps, config.steps_per_call, config.batch_size = 20, 5, 16
  config.log_every = config.eval_every = config.checkpoint_every = 10
  config.model.update(latent_dim=6, embed_dim=8)
  config.model.encoder.update(hidden=12, bidirectional=True)
  config.model.decoder.update(hidden=20, layers=2)
  config.loss.seq_vae.kl_anneal_steps = 10
  # Off: it needs RDKit (an extra) and ChemNet's weights; tests/test_moses_evaluator.py runs it.
  config.evals.moses.every_steps = -1
  return config


# The configuration every contract test (tests/test_contract.py, test_parallel.py) runs for
# each registered family: a family registered in genjax.families.FAMILIES needs an entry.
CONTRACT_CASES = {"vae": tiny, "gan": contract_gan, "vaegan": tiny_vaegan,
                  "classifier": tiny_classifier, "seq_vae": tiny_seq_vae,
                  "superres": tiny_superres}


def eleven_step_epochs(config):
  """`config` with a batch size that makes an epoch of its training data 11 steps long and
  checkpoints every 5 steps: a run of 20 steps interrupted after step 15 resumes in the
  middle of its second epoch (a 2-D mixture, drawn fresh each step, is left as it is)."""
  from genjax import data as data_lib  # pylint: disable=g-import-not-at-top
  from genjax import families  # pylint: disable=g-import-not-at-top
  from genjax import train  # pylint: disable=g-import-not-at-top
  from genjax.data import pipeline  # pylint: disable=g-import-not-at-top
  config.checkpoint_every, config.max_to_keep = 5, 4
  if config.data.name in ("ring8", "grid25"):
    return config
  dataset = data_lib.load(config.data)
  groups = families.build(config, train.data_info(dataset)).examples_per_step
  groups //= config.batch_size
  examples, shards = pipeline.num_examples(dataset.train_arrays()), config.data.num_shards
  config.batch_size = examples // (11 * groups) // shards * shards
  steps = pipeline.Sampling(examples, config.batch_size, groups, shards).steps_per_epoch
  assert steps == 11, (examples, config.batch_size, steps)
  return config


@pytest.fixture
def tiny_config():
  return tiny()
