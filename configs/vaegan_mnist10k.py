"""The VAE-GAN on MNIST-10k from scratch: vae_plain_mnist10k's conv encoder and MLP decoder
(sigmoid images in [0, 1]), a DCGAN discriminator (width 32) whose second conv layer (7x7x64)
is the learned similarity; non-saturating loss, Adam(3e-4, b1=0.5) for all three networks."""
from configs import classifier_mnist10k
from configs import vae_plain_mnist10k
from configs import vaegan_digits


def get_config():
  config = vaegan_digits.get_config()
  plain = vae_plain_mnist10k.get_config()
  config.data = plain.data
  config.data.dynamic_binarization = False
  config.model.latent_dim = plain.model.latent_dim
  config.model.encoder, config.model.decoder = plain.model.encoder, plain.model.decoder
  config.model.discriminator.width = 32
  config.loss.vaegan.feature_layer = "Conv_1"
  config.num_steps = 3000
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1500
  config.evals.classifier = classifier_mnist10k.fcd_evaluator()
  # Also samples decoded from a 10-component mixture fitted to the encoded training set.
  config.evals.classifier_gmm10 = classifier_mnist10k.fcd_evaluator(prior="gmm10")
  return config
