"""Super-resolution x4 on the embedded 8x8 digits (2x2 -> 8x8): the smallest SRGAN, for the
tests and a first look (a minute on a CPU). Results: docs/superres.md."""
from genjax.defaults import superres


def get_config():
  config = superres.get_config()
  config.num_steps = 1000
  config.batch_size = 64
  config.log_every = 100
  config.eval_every = config.checkpoint_every = 500
  config.model.generator.channels = 32
  config.model.generator.blocks = 4
  config.model.discriminator.width = 32
  config.optim.learning_rate = 2e-4
  config.optim.b1 = 0.5
  config.optim.schedule = "constant"
  return config
