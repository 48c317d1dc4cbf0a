"""Super-resolution quality: PSNR and SSIM of a model's restorations of the eval images from
their area-downsampled copies, against the originals, beside the same figures of bicubic
upsampling (the baseline every method must beat). Metrics:

  psnr, ssim                    the model's (`upscale` of `downsample`), mean over images
  bicubic_psnr, bicubic_ssim    bicubic upsampling's, on the same images

PSNR in dB with the images in [0, 1] (peak 1): 10 log10(1 / MSE) per image, then averaged;
SSIM as Wang et al. 2004 (`genjax.metrics.ssim`). Over the first `num_images` eval images
(0: all), in batches of `batch_size`.
"""
import jax
import jax.numpy as jnp
import numpy as np

from genjax.errors import GenjaxError
from genjax.metrics import ssim as ssim_lib

NEEDS = ("upscale", "downsample", "bicubic")
OPTIONS = dict(num_images=0, batch_size=250)


def psnr(x01_BxHxWxC, y01_BxHxWxC):
  """Peak signal-to-noise ratio per image, dB, for images in [0, 1]: float[B]."""
  mse = jnp.mean((x01_BxHxWxC - y01_BxHxWxC) ** 2, axis=(1, 2, 3))
  return 10.0 * jnp.log10(1.0 / jnp.maximum(mse, 1e-12))


def image_scores(image01_BxHxWxC, truth01_BxHxWxC) -> dict:
  """{'psnr': float[B] (dB), 'ssim': float[B]} of each image against its truth, in [0, 1]."""
  return {"psnr": psnr(image01_BxHxWxC, truth01_BxHxWxC),
          "ssim": ssim_lib.ssim(image01_BxHxWxC, truth01_BxHxWxC)}


def make(family, config, options):
  for field, least in (("num_images", 0), ("batch_size", 1)):
    if not isinstance(options[field], int) or options[field] < least:
      raise GenjaxError(f"evals option {field}={options[field]!r} must be an integer >= {least}")
  predict, value_range = family.predict, config.data.value_range
  unit = lambda x: jnp.clip((x + 1.0) / 2.0 if value_range == "-1,1" else x, 0.0, 1.0)

  @jax.jit
  def scores(state, high):
    low = predict["downsample"](high)
    truth = unit(high)
    out = {}
    for prefix, image in (("", predict["upscale"](state, low)), ("bicubic_",
                                                                  predict["bicubic"](low))):
      out.update({prefix + k: v for k, v in image_scores(unit(image), truth).items()})
    return out

  def run(state, eval_data):
    images = eval_data["image"]
    count = options["num_images"] or len(images)
    parts = [scores(state, images[i:i + options["batch_size"]])
             for i in range(0, count, options["batch_size"])]
    return {k: float(np.concatenate([np.asarray(p[k]) for p in parts])[:count].mean())
            for k in parts[0]}

  return run
