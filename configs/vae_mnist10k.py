"""Quality benchmark: a VAE with a local autoregressive decoder head on MNIST-10k.

The 10,000-image MNIST test set in IDX format (../shared/data/mnist10k), first 8,000
images train, last 2,000 eval, dynamic binarization; 100 epochs at batch 128: a conv encoder
(32, 64 channels, 512 dense, ELU), an MLP decoder (512, ELU) and a 7x7 causal head. Logs the
IWAE NLL at the end and FCD (configs.fcd_evaluator: its classifier trains on first use). Run
from the repository root (the data path is relative to it). Results: README / docs.
"""
import configs
from genjax.defaults import vae

EPOCHS = 100


def get_config():
  config = vae.get_config()
  configs.use_mnist10k(config.data)
  config.data.dynamic_binarization = True
  config.batch_size = 128
  config.num_steps = EPOCHS * (8000 // config.batch_size)
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.num_steps  # IWAE k=1000 on 2,000 images takes minutes.
  config.checkpoint_every = 1250
  config.model.latent_dim = 32
  enc, dec = config.model.encoder, config.model.decoder
  enc.net, enc.channels, enc.hidden, enc.activation = "conv", (32, 64), (512,), "elu"
  dec.net = "mlp"  # XLA's conv gradients are slow on CPU; the head is dense.
  dec.hidden, dec.channels, dec.activation = (512,), (64, 32), "elu"
  dec.likelihood = "bernoulli"
  dec.ar_channels, dec.ar_kernel, dec.ar_layers, dec.ar_features = 32, 7, 1, 8
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 200
  config.evals.nll.batch_size = 50
  config.evals.nll.iwae_chunk = 100
  config.evals.nll.iwae_examples = 2000
  # Samples are drawn pixel by pixel (784 head calls): 500 of them, not 2,000.
  config.evals.classifier = configs.fcd_evaluator(num_samples=500)
  return config
