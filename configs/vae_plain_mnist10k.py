"""The VAE-GAN's encoder and decoder trained as a plain VAE on MNIST-10k: the VAE-GAN's
baseline, and the pretraining of `vaegan_mnist10k_pretrained.py`. vae_mnist10k.py's networks
(conv encoder 32, 64 channels, 512 dense; MLP decoder 512; ELU; latent 32) without the
autoregressive head: Bernoulli likelihood on dynamically binarized digits, 3,000 steps of 128.
Logs the IWAE NLL and FCD of samples from N(0, I) and from a 10-component mixture fitted to the
encoded training set (configs.fcd_evaluator). Results: README / docs."""
import configs
from genjax.defaults import vae


def get_config():
  config = vae.get_config()
  configs.use_mnist10k(config.data)
  config.data.dynamic_binarization = True
  config.batch_size = 128
  config.num_steps = 3000
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1500
  config.model.latent_dim = 32
  enc, dec = config.model.encoder, config.model.decoder
  enc.net, enc.channels, enc.hidden, enc.activation = "conv", (32, 64), (512,), "elu"
  dec.net, dec.hidden, dec.channels, dec.activation = "mlp", (512,), (64, 32), "elu"
  dec.likelihood = "bernoulli"
  # No autoregressive head (ar_channels=0; the other three, vae_mnist10k.py's, unused).
  dec.ar_channels, dec.ar_kernel, dec.ar_layers, dec.ar_features = 0, 7, 1, 8
  config.loss.vae.name = "elbo"
  config.optim.learning_rate = 1e-3
  config.optim.schedule = "cosine"
  config.optim.warmup_steps = 200
  config.evals.nll.batch_size = 50
  config.evals.nll.iwae_chunk = 100
  config.evals.nll.iwae_examples = 500
  config.evals.classifier = configs.fcd_evaluator()
  # Also samples decoded from a 10-component mixture fitted to the encoded training set.
  config.evals.classifier_gmm10 = configs.fcd_evaluator(prior="gmm10")
  return config
