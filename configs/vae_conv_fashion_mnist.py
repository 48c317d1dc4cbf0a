"""A conv VAE on Fashion-MNIST's standard split, for a GPU: the VAE-GAN's encoder and decoder
(vaegan_fashion_mnist.py) trained as a VAE, its baseline row and its pretraining. Encoder:
stride-2 convs of 64 and 128 channels, 1,024 dense; decoder: 1,024 dense, 7x7x128, stride-2
transposed convs of 128 and 64 channels; ELU; latent 32; a Bernoulli (cross-entropy) decoder on
the grey levels, as Dai & Wipf's "VAE, cross-entropy decoder" row; 30,000 steps of 64, Adam(1e-3,
cosine). FID (Lucic et al.'s protocol, configs.inception_fid_evaluator) of 10,000 samples from
N(0, I), of samples from a 10-component mixture fitted to the encoded training set, and of the
reconstructions of the 10,000 test images. Results: docs/benchmarks.md.

python -m experiments.main --config=configs/vae_conv_fashion_mnist.py --workdir=DIR
"""
import configs
from genjax.defaults import vae

DATASET = "fashion_mnist"


def get_config(dataset: str = DATASET):
  config = vae.get_config()
  configs.use_standard_split(config.data, dataset)
  config.data.dynamic_binarization = False  # Grey levels: the VAE-GAN's D compares them.
  config.batch_size = 64
  config.num_steps = 30000
  config.steps_per_call = 10  # Fewer dispatches on a GPU (on a CPU, 1: see the _cpu variant).
  config.log_every = 500
  config.eval_every = config.num_steps  # 10,000 Inception passes per evaluator: at the end.
  config.checkpoint_every = 5000
  config.model.latent_dim = 32
  enc, dec = config.model.encoder, config.model.decoder
  enc.net, enc.channels, enc.hidden, enc.activation = "conv", (64, 128), (1024,), "elu"
  dec.net, dec.hidden, dec.channels, dec.activation = "conv", (1024,), (128, 64), "elu"
  dec.likelihood = "bernoulli"
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 200
  config.evals.nll.iwae_examples = 1000  # Nats of grey levels: a training signal, no benchmark.
  config.evals.inception = configs.inception_fid_evaluator()
  config.evals.inception_gmm10 = configs.inception_fid_evaluator(prior="gmm10")
  config.evals.inception_recon = configs.inception_fid_evaluator(source="reconstructions")
  return config


def cpu_minutes(config):
  """The recipe cut to CPU minutes: half the widths, 3,000 steps, one step per compiled call,
  FID of 5,000 samples (or reconstructions of the first 5,000 test images)."""
  config.num_steps = 3000
  # XLA:CPU runs conv weight gradients ~7x slower inside a scan (jax-ml/jax#12868).
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.num_steps
  config.checkpoint_every = 1000
  enc, dec = config.model.encoder, config.model.decoder
  enc.channels, enc.hidden, dec.hidden, dec.channels = (32, 64), (512,), (512,), (64, 32)
  for name in ("inception", "inception_gmm10", "inception_recon"):
    if name in config.evals:
      config.evals[name].num_samples = 5000
  return config
