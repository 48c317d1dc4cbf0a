"""Pure train/eval steps, one module per model family, and the family registry."""
from genjax import models
from genjax import parallel
from genjax import precision
from genjax.errors import GenjaxError
from genjax.steps import gan
from genjax.steps import vae


def build(config, data_shape, num_classes: int = 0):
  """The family object for `config.model.name`: init_state, train_step, evaluate, sample."""
  name = config.model.name
  if name == "vae":
    return vae.VAEFamily(models.build(config.model, data_shape), config)
  if name == "gan":
    generator, discriminator = models.build(config.model, data_shape, num_classes,
                                            precision.compute_dtype(config),
                                            parallel.axis_name(config))
    conditional = num_classes if config.model.conditioning != "none" else 0
    return gan.GANFamily(generator, discriminator, config, data_shape, conditional)
  raise GenjaxError(f"unknown model.name={name!r}: valid are {tuple(models.REGISTRY)}")
