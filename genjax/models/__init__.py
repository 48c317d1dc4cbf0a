"""Networks from `config.model`: `build_vae` (one Linen module) and `build_gan` (generator,
discriminator), each network from its own section (`model.encoder`, `model.decoder`,
`model.generator`, `model.discriminator`). Layers compute in the dtype of their inputs and
parameters (see `genjax.precision`). Families (`genjax.families`) call these; the one
registry is `genjax.families.FAMILIES`."""
from genjax import schema
from genjax.models import gan
from genjax.models import vae

VAE_NETS = ("mlp", "conv")
GAN_NETS = ("mlp", "dcgan")
LIKELIHOODS = ("bernoulli", "gaussian")
CONDITIONING = ("none", "projection", "concat")


def _positive(section, where: str, *fields) -> list:
  found = []
  for field in fields:
    values = section[field]
    for v in (values if isinstance(values, (tuple, list)) else (values,)):
      if not isinstance(v, int) or v <= 0:
        found.append(f"{where}.{field}={values!r} must be a positive integer (or a tuple of them)")
        break
  return found


def _choice(section, where: str, field: str, valid) -> list:
  value = section[field]
  return [] if value in valid else [f"{where}.{field}={value!r}: valid are {tuple(valid)}"]


def vae_problems(cfg, num_classes=None) -> list:
  """One line per bad value in `cfg` (config.model of a VAE); the label check only when
  `num_classes` is given."""
  found = _positive(cfg, "model", "latent_dim") + conditioning_problems(cfg, num_classes)
  if cfg.conditioning == "projection":
    found.append("model.conditioning='projection' is a discriminator's: a VAE takes 'none' or"
                 " 'concat'")
  for part in ("encoder", "decoder"):
    where = f"model.{part}"
    found += _choice(cfg[part], where, "net", VAE_NETS)
    found += _choice(cfg[part], where, "activation", vae.ACTIVATIONS)
    found += _positive(cfg[part], where, "hidden", "channels")
  dec = cfg.decoder
  found += _choice(dec, "model.decoder", "likelihood", LIKELIHOODS)
  if dec.ar_channels < 0:
    found.append(f"model.decoder.ar_channels={dec.ar_channels} must be >= 0 (0 disables the head)")
  elif dec.ar_channels:
    found += _positive(dec, "model.decoder", "ar_features")
    if dec.likelihood != "bernoulli":
      found.append("model.decoder.ar_channels > 0 needs model.decoder.likelihood='bernoulli'"
                   " (binary images)")
    if dec.ar_kernel < 3 or dec.ar_kernel % 2 == 0:
      found.append(f"model.decoder.ar_kernel={dec.ar_kernel} must be an odd integer >= 3")
  return found


def build_vae(cfg, image_shape, num_classes: int = 0):
  """The VAE module of `cfg` (config.model) for images of `image_shape`; conditional on
  `num_classes` labels when cfg.conditioning is 'concat'."""
  schema.raise_if(vae_problems(cfg, num_classes))
  enc, dec = cfg.encoder, cfg.decoder
  image_shape = tuple(image_shape)
  out_shape = image_shape[:2] + (dec.ar_features if dec.ar_channels else image_shape[2],)
  enc_act, dec_act = vae.ACTIVATIONS[enc.activation], vae.ACTIVATIONS[dec.activation]
  if enc.net == "mlp":
    encoder = vae.MLPEncoder(tuple(enc.hidden), cfg.latent_dim, enc_act)
  else:
    encoder = vae.ConvEncoder(tuple(enc.channels), enc.hidden[0], cfg.latent_dim, enc_act)
  if dec.net == "mlp":
    decoder = vae.MLPDecoder(tuple(dec.hidden), out_shape, dec_act)
  else:
    decoder = vae.ConvDecoder(tuple(dec.channels), dec.hidden[0], out_shape, dec_act)
  head = None
  if dec.ar_channels:
    head = vae.AutoregressiveHead(dec.ar_channels, dec.ar_kernel, dec.ar_layers, image_shape[2],
                                  dec_act)
  learn_scale = dec.likelihood == "gaussian" and dec.learn_scale
  classes = num_classes if cfg.conditioning != "none" else 0
  return vae.VAE(encoder, decoder, image_shape, head, learn_scale, dec.log_scale, classes)


def network_problems(section, where: str, nets, data_shape=None) -> list:
  """One line per bad value of one GAN-style network section (`model.generator`, ...)."""
  found = _choice(section, where, "net", nets)
  found += _positive(section, where, "hidden", "width")
  if (data_shape is not None and section.net == "dcgan"
      and (len(data_shape) != 3 or data_shape[0] != data_shape[1])):
    found.append(f"{where}.net='dcgan' needs square images, the data has shape {data_shape}")
  return found


def conditioning_problems(cfg, num_classes=None) -> list:
  found = _choice(cfg, "model", "conditioning", CONDITIONING)
  if num_classes is not None and cfg.conditioning != "none" and not num_classes:
    found.append(f"model.conditioning={cfg.conditioning!r} needs a labelled dataset")
  return found


def gan_problems(cfg, data_shape=None, num_classes=None) -> list:
  """One line per bad value in `cfg` (config.model of a GAN); the data checks only when
  `data_shape` / `num_classes` are given."""
  found = _positive(cfg, "model", "latent_dim")
  for part in ("generator", "discriminator"):
    found += network_problems(cfg[part], f"model.{part}", GAN_NETS, data_shape)
  found += conditioning_problems(cfg, num_classes)
  if cfg.generator.noise_injection < 0:
    found.append(f"model.generator.noise_injection={cfg.generator.noise_injection} must be >= 0"
                 " (the initial scale of per-layer noise; 0: off)")
  pack = cfg.discriminator.pack
  if not isinstance(pack, int) or pack < 1:
    found.append(f"model.discriminator.pack={pack!r} must be a positive integer (1: no packing)")
  elif pack > 1 and cfg.conditioning != "none":
    found.append(f"model.discriminator.pack={pack} packs examples of different classes: use it"
                 " with model.conditioning='none'")
  disc = cfg.discriminator
  if not isinstance(disc.fourier_features, int) or disc.fourier_features < 0:
    found.append(f"model.discriminator.fourier_features={disc.fourier_features!r} must be an"
                 " integer >= 0 (0: off)")
  elif disc.fourier_features and disc.net != "mlp":
    found.append(f"model.discriminator.fourier_features={disc.fourier_features} needs"
                 f" model.discriminator.net='mlp', not {disc.net!r}")
  if not disc.fourier_scale > 0:
    found.append(f"model.discriminator.fourier_scale={disc.fourier_scale} must be > 0")
  if cfg.latent_codes < 0:
    found.append(f"model.latent_codes={cfg.latent_codes} must be >= 0 (0: Gaussian prior only)")
  return found


def build_discriminator(cfg, data_shape, num_classes, dtype=None, axis_name=None):
  """The discriminator of `cfg.discriminator` (cfg: config.model, whose `conditioning` it
  reads) for data of `data_shape`."""
  disc = cfg.discriminator
  classes = num_classes if cfg.conditioning != "none" else 0
  concat = cfg.conditioning == "concat"
  if disc.net == "mlp":
    return gan.MLPDiscriminator(tuple(disc.hidden), classes, disc.spectral_norm, concat,
                                dtype=dtype, fourier_features=disc.get("fourier_features", 0),
                                fourier_scale=disc.get("fourier_scale", 1.0))
  return gan.DCGANDiscriminator(disc.width, classes, disc.spectral_norm, concat, dtype=dtype,
                                batch_norm=disc.batch_norm, axis_name=axis_name)


def build_gan(cfg, data_shape, num_classes, dtype=None, axis_name=None):
  """(generator, discriminator) for data of `data_shape`: (D,) points or (H, W, C) images;
  `dtype` is the compute dtype of spectrally normalized layers, `axis_name` the pmap axis
  batch norm averages its statistics over."""
  schema.raise_if(gan_problems(cfg, tuple(data_shape), num_classes))
  gen = cfg.generator
  classes = num_classes if cfg.conditioning != "none" else 0
  images = len(data_shape) == 3
  if gen.net == "mlp":
    generator = gan.MLPGenerator(tuple(gen.hidden), tuple(data_shape), classes, images,
                                 gen.noise_injection, axis_name)
  else:
    generator = gan.DCGANGenerator(gen.width, tuple(data_shape), classes, axis_name,
                                   gen.noise_injection)
  return generator, build_discriminator(cfg, data_shape, num_classes, dtype, axis_name)
