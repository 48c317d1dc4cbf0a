"""vae_mnist.py in CPU minutes: vae_mnist10k.py's networks (conv encoder 32, 64 channels, 512
dense; MLP decoder 512; a 7x7 causal head of 32 channels, 1 layer; latent 32) on the 60,000
dynamically binarized training images, 10,000 steps of 128 (21 epochs). At the end: the IWAE
bound with k=1,000 on the first 1,000 test images (its standard error beside it; the gap to
k=5,000 is measured in docs/benchmarks.md) and FID of 2,000 samples, drawn pixel by pixel.
Results: docs/benchmarks.md.

python -m experiments.main --config=configs/vae_mnist_cpu.py --workdir=DIR
"""
from configs import vae_mnist


def get_config():
  config = vae_mnist.get_config()
  config.num_steps = 10000
  # XLA:CPU runs conv weight gradients ~7x slower inside a scan (jax-ml/jax#12868).
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.num_steps
  config.checkpoint_every = 2500
  config.optim.warmup_steps = 200
  enc, dec = config.model.encoder, config.model.decoder
  enc.channels, enc.hidden = (32, 64), (512,)
  dec.net, dec.hidden = "mlp", (512,)  # XLA's conv gradients are slow on CPU; the head is dense.
  dec.ar_channels, dec.ar_kernel, dec.ar_layers, dec.ar_features = 32, 7, 1, 8
  nll = config.evals.nll
  nll.batch_size, nll.iwae_samples, nll.iwae_chunk, nll.iwae_examples = 50, 1000, 100, 1000
  config.evals.inception.num_samples = 2000
  return config
