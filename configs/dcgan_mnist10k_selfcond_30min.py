"""The self-conditioned DCGAN as far as 30 minutes of the 2-core CPU take it:
dcgan_mnist10k_selfcond.py's recipe with G and D twice as wide (the PyTorch reference's
ngf = ndf = 64), FCD logged every 1,000 steps, and more steps than 30 minutes reach: stop it
with SIGTERM, which saves a checkpoint. Results: README / docs.

timeout -s TERM 1800 python -m experiments.main \
    --config=configs/dcgan_mnist10k_selfcond_30min.py --workdir=DIR
"""
import configs
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "-1,1"
  config.data.pseudo_labels = "kmeans100"
  config.num_steps = 8000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.ema_decay = 0.99
  config.model.latent_dim = 64
  config.model.conditioning = "projection"
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 64
  # Batch norm in D, as its figures were measured (dcgan_mnist10k.py has none).
  config.model.discriminator.batch_norm = True
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  return config
