"""Mode coverage of a 2-D mixture (ring8, grid25): modes hit, the fraction of high-quality
samples (within 3 std of a mode) and KL(mode histogram || uniform), as in VEEGAN/PacGAN, and
`spread` (the modes' width over the data's: genjax.metrics.modes).

Both generators of a family with an EMA are scored, labelled: `modes`, ... for `sample` (the
EMA generator) and `raw/modes`, ... for `sample_raw` (the raw weights, what PacGAN and
VEEGAN report), from the same latent draws.
"""
import jax

from genjax import rng as rng_lib
from genjax.data import toy2d
from genjax.errors import GenjaxError
from genjax.metrics import modes

NEEDS = ("sample",)
OPTIONS = dict(num_samples=2500)


def make(family, config, options):
  data = config.data
  if data.name not in toy2d.DEFAULTS:
    raise GenjaxError(f"evals type 'modes' scores 2-D mixtures {tuple(toy2d.DEFAULTS)}, not"
                      f" data.name={data.name!r}: turn it off with"
                      " --config.evals.<name>.every_steps=-1")
  if not isinstance(options["num_samples"], int) or options["num_samples"] <= 0:
    raise GenjaxError(f"evals option num_samples={options['num_samples']!r} must be positive")
  means = toy2d.means(data.name, data.radius, data.spacing)
  samplers = {"": jax.jit(family.predict["sample"], static_argnums=2)}
  if "sample_raw" in family.predict:
    samplers["raw/"] = jax.jit(family.predict["sample_raw"], static_argnums=2)

  def run(state, eval_data=None):
    del eval_data
    key = rng_lib.purpose_key(state.rng, "eval")
    result = {}
    for prefix, sample in samplers.items():
      points = jax.device_get(sample(state, key, options["num_samples"]))
      result.update({prefix + k: v for k, v in modes.mode_coverage(points, means, data.std).items()})
    return result

  return run
