"""Networks from `config.model`: `build_vae` (one Linen module) and `build_gan` (generator,
discriminator). Layers compute in the dtype of their inputs and parameters (see
`genjax.precision`). Families (`genjax.families`) call these; the one registry is
`genjax.families.FAMILIES`."""
from genjax.errors import GenjaxError
from genjax.models import gan
from genjax.models import vae

NETWORKS = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian")


def _positive(model_config, *fields):
  for field in fields:
    values = model_config[field]
    for v in (values if isinstance(values, (tuple, list)) else (values,)):
      if not isinstance(v, int) or v <= 0:
        raise GenjaxError(f"model.{field}={values!r} must be a positive integer (or a tuple of them)")


def build_vae(cfg, image_shape):
  """The VAE module of `cfg` (config.model) for images of `image_shape`."""
  for part in ("encoder", "decoder"):
    if cfg[part] not in NETWORKS:
      raise GenjaxError(f"model.{part}={cfg[part]!r}: valid are {NETWORKS}")
  if cfg.likelihood not in LIKELIHOODS:
    raise GenjaxError(f"model.likelihood={cfg.likelihood!r}: valid are {LIKELIHOODS}")
  if cfg.activation not in vae.ACTIVATIONS:
    raise GenjaxError(f"model.activation={cfg.activation!r}: valid are {tuple(vae.ACTIVATIONS)}")
  _positive(cfg, "latent_dim", "hidden", "channels", "ar_features")
  if cfg.ar_channels < 0:
    raise GenjaxError(f"model.ar_channels={cfg.ar_channels} must be >= 0 (0 disables the head)")
  if cfg.ar_channels and cfg.likelihood != "bernoulli":
    raise GenjaxError("model.ar_channels > 0 needs model.likelihood='bernoulli' (binary images)")
  if cfg.ar_channels and (cfg.ar_kernel < 3 or cfg.ar_kernel % 2 == 0):
    raise GenjaxError(f"model.ar_kernel={cfg.ar_kernel} must be an odd integer >= 3")
  act = vae.ACTIVATIONS[cfg.activation]
  image_shape = tuple(image_shape)
  out_shape = image_shape[:2] + (cfg.ar_features if cfg.ar_channels else image_shape[2],)
  hidden = tuple(cfg.hidden)
  if cfg.encoder == "mlp":
    encoder = vae.MLPEncoder(hidden, cfg.latent_dim, act)
  else:
    encoder = vae.ConvEncoder(tuple(cfg.channels), hidden[0], cfg.latent_dim, act)
  if cfg.decoder == "mlp":
    decoder = vae.MLPDecoder(hidden[::-1], out_shape, act)
  else:
    decoder = vae.ConvDecoder(tuple(cfg.channels), hidden[0], out_shape, act)
  head = None
  if cfg.ar_channels:
    head = vae.AutoregressiveHead(cfg.ar_channels, cfg.ar_kernel, cfg.ar_layers, image_shape[2], act)
  learn_scale = cfg.likelihood == "gaussian" and cfg.learn_scale
  return vae.VAE(encoder, decoder, image_shape, head, learn_scale, cfg.log_scale)


CONDITIONING = ("none", "projection", "concat")


def build_gan(cfg, data_shape, num_classes, dtype=None, axis_name=None):
  """(generator, discriminator) for data of `data_shape`: (D,) points or (H, W, C) images;
  `dtype` is the compute dtype of spectrally normalized layers, `axis_name` the pmap axis
  batch norm averages its statistics over."""
  for part in ("generator", "discriminator"):
    if cfg[part] not in ("mlp", "dcgan"):
      raise GenjaxError(f"model.{part}={cfg[part]!r}: valid are ('mlp', 'dcgan')")
    if cfg[part] == "dcgan" and (len(data_shape) != 3 or data_shape[0] != data_shape[1]):
      raise GenjaxError(f"model.{part}='dcgan' needs square images, the data has shape {data_shape}")
  if cfg.conditioning not in CONDITIONING:
    raise GenjaxError(f"model.conditioning={cfg.conditioning!r}: valid are {CONDITIONING}")
  if cfg.conditioning != "none" and not num_classes:
    raise GenjaxError(f"model.conditioning={cfg.conditioning!r} needs a labelled dataset")
  _positive(cfg, "latent_dim", "hidden", "width")
  if cfg.latent_codes < 0:
    raise GenjaxError(f"model.latent_codes={cfg.latent_codes} must be >= 0 (0: Gaussian prior only)")
  classes = num_classes if cfg.conditioning != "none" else 0
  concat = cfg.conditioning == "concat"
  images = len(data_shape) == 3
  if cfg.generator == "mlp":
    generator = gan.MLPGenerator(tuple(cfg.hidden), tuple(data_shape), classes, tanh_output=images)
  else:
    generator = gan.DCGANGenerator(cfg.width, tuple(data_shape), classes, axis_name)
  if cfg.discriminator == "mlp":
    discriminator = gan.MLPDiscriminator(tuple(cfg.hidden), classes, cfg.spectral_norm, concat,
                                         dtype=dtype)
  else:
    discriminator = gan.DCGANDiscriminator(cfg.width, classes, cfg.spectral_norm, concat,
                                           dtype=dtype, batch_norm=cfg.disc_batch_norm,
                                           axis_name=axis_name)
  return generator, discriminator
