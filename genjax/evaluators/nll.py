"""The negative ELBO and the importance-weighted NLL (IWAE bound with k samples, Burda et
al. 2016) of eval images, in nats per example. Metrics:

  nll           the IWAE bound on -log p(x), over the first `iwae_examples` eval images
                (0: all of them)
  nll_stderr    the standard error of `nll` as a mean over those images (their sample
                standard deviation / sqrt(count)): the spread a subset's figure carries
  neg_elbo      -ELBO (one posterior sample per image) over the same images as `nll`, so
                the two compare (their gap is the bound's tightening)
  neg_elbo_all  -ELBO over the whole eval set (equal to `neg_elbo` when `iwae_examples`
                covers it)

A class-conditional model (family.num_classes > 0) is scored given the eval labels: its
figures bound -log p(x|y), not -log p(x), and every name says so with the suffix
`_given_y` (`nll_given_y`, `neg_elbo_given_y`, `neg_elbo_all_given_y`), so that they are
never tabled beside an unconditional model's -log p(x).

Bits per dimension (`<name>_bits_per_dim`, e.g. `nll_bits_per_dim`) are reported only where
the likelihood is a probability of the data: a Bernoulli decoder on dynamically binarized
(binary) images. For a Gaussian density on continuous data, or a Bernoulli "likelihood" of
grey levels, nats per example is not a discrete likelihood and bits/dim would not compare
with published ones, so none is given.
"""
import math

import jax
import jax.numpy as jnp

from genjax import rng as rng_lib
from genjax.errors import GenjaxError

NEEDS = ("neg_elbo", "iwae_nll")
OPTIONS = dict(batch_size=100, iwae_samples=1000, iwae_chunk=100, iwae_examples=360)
CONDITIONAL_SUFFIX = "_given_y"


def reports_bits_per_dim(config) -> bool:
  likelihood = config.model.get("decoder", {}).get("likelihood")
  return likelihood == "bernoulli" and config.data.dynamic_binarization


def make(family, config, options):
  for field, value in options.items():
    if not isinstance(value, int) or value < (0 if field == "iwae_examples" else 1):
      least = "an integer >= 0 (0: every eval image)" if field == "iwae_examples" else (
          "a positive integer")
      raise GenjaxError(f"evals option {field}={value!r} must be {least}")
  samples, chunk = options["iwae_samples"], options["iwae_chunk"]
  if samples % chunk:
    raise GenjaxError(f"iwae_samples={samples} must be a multiple of iwae_chunk={chunk}")
  neg_elbo = jax.jit(family.predict["neg_elbo"])
  iwae_nll = jax.jit(family.predict["iwae_nll"], static_argnums=(3, 4))
  dims = math.prod(family.data_info.shape)
  bits = reports_bits_per_dim(config)
  suffix = CONDITIONAL_SUFFIX if family.num_classes else ""

  def run(state, eval_data):
    """The keys are fixed (from the root key), so two checkpoints are scored with the same
    noise; the ELBO and the IWAE bound draw from separate purpose keys. A conditional model
    is scored given the eval labels."""
    eval_x_NxHxWxC = eval_data["image"]
    labels = eval_data.get("label") if family.num_classes else None
    key = rng_lib.purpose_key(state.rng, "eval")
    size, examples = options["batch_size"], options["iwae_examples"] or len(eval_x_NxHxWxC)
    elbos, nlls = [], []
    for start in range(0, len(eval_x_NxHxWxC), size):
      x = eval_x_NxHxWxC[start:start + size]
      y = None if labels is None else labels[start:start + size]
      batch_key = jax.random.fold_in(key, start)
      elbos.append(neg_elbo(state, x, rng_lib.purpose_key(batch_key, "elbo"), y))
      if start < examples:
        nlls.append(iwae_nll(state, x[:examples - start], rng_lib.purpose_key(batch_key, "iwae"),
                             samples, chunk, None if y is None else y[:examples - start]))
    elbos, nlls = jnp.concatenate(elbos), jnp.concatenate(nlls)
    values = {"nll": float(nlls.mean()),
              "nll_stderr": float(nlls.std(ddof=1) / math.sqrt(len(nlls))) if len(nlls) > 1
                            else float("nan"),
              "neg_elbo": float(elbos[:len(nlls)].mean()),
              "neg_elbo_all": float(elbos.mean())}
    result = {}
    for name, value in values.items():
      result[name + suffix] = value
      if bits:
        result[f"{name}{suffix}_bits_per_dim"] = value / (dims * math.log(2.0))
    return result

  return run
