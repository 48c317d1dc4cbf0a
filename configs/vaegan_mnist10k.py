"""The VAE-GAN on MNIST-10k from scratch: vae_plain_mnist10k.py's networks (conv encoder 32, 64
channels, 512 dense; MLP decoder 512; ELU; latent 32; sigmoid images in [0, 1]), a DCGAN
discriminator (width 32, no batch norm) whose second conv layer (7x7x64) is the learned
similarity; non-saturating loss, Adam(3e-4, b1=0.5) for all three networks, batch 64, 3,000
steps; FCD logged for N(0, I) and a 10-component mixture prior (configs.fcd_evaluator).
Results: README / docs."""
import configs
from genjax.defaults import vaegan


def get_config():
  config = vaegan.get_config()
  configs.use_mnist10k(config.data)
  config.data.dynamic_binarization = False  # Grey levels: D compares images, not bits.
  config.num_steps = 3000
  config.batch_size = 64
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
  config.model.discriminator.net = "dcgan"
  config.model.discriminator.width = 32
  config.model.discriminator.batch_norm = False
  config.loss.vaegan.feature_layer = "Conv_1"
  config.loss.vaegan.gamma = 1.0
  config.loss.vaegan.balance = False
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  # Also samples decoded from a 10-component mixture fitted to the encoded training set.
  config.evals.classifier_gmm10 = configs.fcd_evaluator(prior="gmm10")
  return config
