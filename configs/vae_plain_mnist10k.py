"""The VAE-GAN's encoder and decoder trained as a plain VAE on MNIST-10k: the VAE-GAN's
baseline, and the pretraining of `vaegan_mnist10k_pretrained.py`. Bernoulli likelihood on
dynamically binarized digits, no autoregressive head (see vae_mnist10k.py for the best NLL)."""
from configs import classifier_mnist10k
from configs import vae_mnist10k


def get_config():
  config = vae_mnist10k.get_config()
  config.model.decoder.ar_channels = 0
  config.num_steps = 3000
  config.eval_every = config.checkpoint_every = 1500
  config.evals.nll.iwae_examples = 500
  config.evals.classifier.num_samples = 2000  # No autoregressive head: samples are cheap.
  # Also samples decoded from a 10-component mixture fitted to the encoded training set.
  config.evals.classifier_gmm10 = classifier_mnist10k.fcd_evaluator(prior="gmm10")
  return config
