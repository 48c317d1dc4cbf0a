"""vaegan_digits.py's recipe started from the default VAE's encoder and decoder (same networks,
config.init_from) for 1,500 steps. init_from names configs/default.py: the first run trains
it (22 s) in the runs cache (~/.cache/genjax/runs), later runs reuse it; a trained workdir may
be named instead (--config.init_from=DIR). Results: docs/evaluation.md."""
from genjax.defaults import vaegan


def get_config():
  config = vaegan.get_config()
  config.init_from = "configs/default.py"  # From the repository root, where mains run.
  config.data.name = "digits"
  config.data.dynamic_binarization = False  # Grey levels: D compares images, not bits.
  config.num_steps = 1500
  config.batch_size = 64
  # One step per call: XLA:CPU runs D's conv weight gradients slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.eval_every = config.checkpoint_every = 1500
  model = config.model
  model.latent_dim = 16  # The default VAE's networks, so that init_from copies them.
  model.encoder.net = model.decoder.net = "mlp"
  model.encoder.hidden = model.decoder.hidden = (256,)
  model.decoder.likelihood = "bernoulli"
  model.discriminator.net = "dcgan"
  model.discriminator.width = 32
  model.discriminator.batch_norm = False
  config.loss.vaegan.feature_layer = "Conv_0"
  config.loss.vaegan.gamma = 1.0
  config.loss.vaegan.balance = False
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 3e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  return config
