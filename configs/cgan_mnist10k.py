"""Class-conditional DCGAN on MNIST-10k: dcgan_mnist10k.py's recipe with a label embedding in G
and a projection discriminator (Miyato and Koyama 2018), batch norm in D. The DCGAN recipe,
not hinge + spectral norm: why, and the results: README / docs.

python -m experiments.main --config=configs/cgan_mnist10k.py --workdir=DIR
python -m experiments.sample --workdir=DIR --num=16 --label=7 --out=sevens.png
"""
import configs
from genjax.defaults import gan


def get_config():
  config = gan.get_config()
  configs.use_mnist10k(config.data)
  config.data.value_range = "-1,1"
  config.num_steps = 3000
  config.batch_size = 64
  # One step per call: XLA:CPU runs conv weight gradients ~7x slower inside a scan
  # (jax-ml/jax#12868); on GPU a larger value saves dispatch time.
  config.steps_per_call = 1
  config.log_every = 250
  config.eval_every = config.checkpoint_every = 1000
  config.ema_decay = 0.99
  config.model.latent_dim = 64
  config.model.conditioning = "projection"  # or 'concat'
  config.model.generator.net = config.model.discriminator.net = "dcgan"
  config.model.generator.width = config.model.discriminator.width = 32
  # Batch norm in D, as its figures were measured (dcgan_mnist10k.py has none).
  config.model.discriminator.batch_norm = True
  config.loss.gan.name = "non_saturating"
  config.optim.learning_rate = 2e-4  # Radford et al.: Adam(2e-4, b1=0.5).
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  config.evals.classifier = configs.fcd_evaluator()
  return config
