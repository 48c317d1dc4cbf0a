"""The pretrain-then-adversarial recipe: vaegan_mnist10k.py's recipe started from a trained
vae_plain_mnist10k run's encoder and decoder (config.init_from), then trained adversarially
for 6,000 steps with the reference code's weighting: the feature reconstruction at 1/100 of
the adversarial term in the decoder's loss (gamma=0.01) and balancing on. init_from names
configs/vae_plain_mnist10k.py: the first run trains it (evaluators off, ~2 min) in the runs
cache (~/.cache/genjax/runs), later runs reuse it; --config.init_from=DIR names a trained
workdir instead. Results: docs/vaegan.md.
"""
import configs
from genjax.defaults import vaegan


def get_config():
  config = vaegan.get_config()
  config.init_from = "configs/vae_plain_mnist10k.py"  # From the repository root.
  configs.use_mnist10k(config.data)
  config.data.dynamic_binarization = False  # Grey levels: D compares images, not bits.
  config.num_steps = 6000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 3000
  config.model.latent_dim = 32  # vae_plain_mnist10k.py's networks, so that init_from copies them.
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
  config.loss.vaegan.gamma = 0.01
  config.loss.vaegan.balance = True
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  # Also samples decoded from a 10-component mixture fitted to the encoded training set.
  config.evals.classifier_gmm10 = configs.fcd_evaluator(prior="gmm10")
  return config
