"""The NLL benchmark, for a GPU: a VAE with a local autoregressive decoder head on dynamically
binarized MNIST (standard split: the 60,000 training images train; the 10,000 test images,
binarized once with the run's seed, evaluate). Encoder: stride-2 convs of 64 and 128 channels,
1,024 dense; decoder: 1,024 dense, 7x7x128, transposed convs of 128 and 64 channels to 16
features per pixel, then a 7x7 causal head of 64 channels and 2 layers; ELU; latent 32;
100,000 steps of 128 (213 epochs), Adam(1e-3, cosine). At the end: the IWAE bound with
k=5,000 importance samples on all 10,000 test images (Burda et al.'s protocol; nll_stderr is
its standard error) and FID of 10,000 samples (Lucic et al.'s protocol). CPU-minutes variant:
vae_mnist_cpu.py. Results: docs/benchmarks.md.

python -m experiments.main --config=configs/vae_mnist.py --workdir=DIR
"""
import configs
from genjax.defaults import vae


def get_config():
  config = vae.get_config()
  configs.use_standard_split(config.data, "mnist")
  config.data.dynamic_binarization = True
  config.batch_size = 128
  config.num_steps = 100000
  config.steps_per_call = 10
  config.log_every = 1000
  config.eval_every = config.num_steps
  config.checkpoint_every = 10000
  config.model.latent_dim = 32
  enc, dec = config.model.encoder, config.model.decoder
  enc.net, enc.channels, enc.hidden, enc.activation = "conv", (64, 128), (1024,), "elu"
  dec.net, dec.hidden, dec.channels, dec.activation = "conv", (1024,), (128, 64), "elu"
  dec.likelihood = "bernoulli"
  dec.ar_channels, dec.ar_kernel, dec.ar_layers, dec.ar_features = 64, 7, 2, 16
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 500
  nll = config.evals.nll
  nll.batch_size, nll.iwae_samples, nll.iwae_chunk, nll.iwae_examples = 20, 5000, 500, 0
  config.evals.inception = configs.inception_fid_evaluator()
  return config
