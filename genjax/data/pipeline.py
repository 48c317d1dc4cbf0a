"""The on-device batch pipeline: the batch of step `s` is a pure function of (seed, s).

Step `s` of epoch `e = s // steps_per_epoch` takes slice `s % steps_per_epoch` of the
permutation drawn from `fold_in(data_key, e)`; the remainder of each epoch is dropped.
A compiled multi-step call draws the permutation once per epoch and carries it.
A resumed run therefore sees exactly the batches an uninterrupted one would.
"""
import jax
import jax.numpy as jnp

from genjax import rng as rng_lib
from genjax.data import toy2d
from genjax.errors import GenjaxError

VALUE_RANGES = ("0,1", "-1,1")


def check(data_config, num_train, batch_size: int) -> None:
  """Validates preprocessing fields and the batch size (`num_train` None: unlimited)."""
  if data_config.value_range not in VALUE_RANGES:
    raise GenjaxError(f"data.value_range={data_config.value_range!r}: valid are {VALUE_RANGES}")
  if batch_size <= 0:
    raise GenjaxError(f"batch_size={batch_size} must be positive")
  if num_train is not None and batch_size > num_train:
    raise GenjaxError(
        f"batch_size={batch_size} is larger than the {num_train} training images of"
        f" data.name={data_config.name!r}: use batch_size <= {num_train}")


def to_value_range(x01, value_range: str):
  """Maps images in [0, 1] to the configured range ('0,1' or '-1,1')."""
  return x01 * 2.0 - 1.0 if value_range == "-1,1" else x01


def epoch_order(root_key, step, num_examples: int, batch_size: int):
  """The permutation (int32[num_examples]) of the epoch that `step` belongs to."""
  epoch = step // (num_examples // batch_size)
  return jax.random.permutation(
      jax.random.fold_in(rng_lib.purpose_key(root_key, "data"), epoch), num_examples)


def carried_order(order, root_key, step, num_examples: int, batch_size: int):
  """The epoch order of `step`, given `order`, that of step - 1 (or of any earlier step of
  the same epoch; None: drawn): redrawn only at an epoch's first step. A scan carries it, so
  the permutation (for MNIST-sized data several times an MLP's train step) is drawn once per
  epoch instead of once per step."""
  if order is None:
    return epoch_order(root_key, step, num_examples, batch_size)
  slot = step % (num_examples // batch_size)
  return jax.lax.cond(slot == 0, lambda: epoch_order(root_key, step, num_examples, batch_size),
                      lambda: order)


def batch_indices(root_key, step, num_examples: int, batch_size: int, order=None):
  """Indices (int32[batch_size]) of the examples in the batch of `step`; `order` is the
  epoch order of `step` if the caller has it (else it is drawn)."""
  if order is None:
    order = epoch_order(root_key, step, num_examples, batch_size)
  slot = step % (num_examples // batch_size)
  return jax.lax.dynamic_slice(order, (slot * batch_size,), (batch_size,))


def bernoulli_16bit(key, p):
  """Bernoulli(p) draws as float32 0/1 from 16 random bits per pixel (p rounded to a
  multiple of 2^-16, far finer than 8-bit pixels): half the random bits of
  `jax.random.bernoulli`, which is a sizeable part of a small model's step."""
  threshold = jnp.round(jnp.clip(p, 0.0, 1.0) * 65536.0).astype(jnp.uint32)
  return (jax.random.bits(key, p.shape, jnp.uint16) < threshold).astype(jnp.float32)


def preprocess(x01_BxHxWxC, key, data_config):
  """Dynamic binarization (a fresh Bernoulli draw from `key`) and value range."""
  x = x01_BxHxWxC
  if data_config.dynamic_binarization:
    x = bernoulli_16bit(key, x)
  return to_value_range(x, data_config.value_range)


def train_batch(arrays, root_key, step, step_key, data_config, batch_size: int, order=None):
  """(batch, order): the batch of `step` from the on-device training arrays {'image',
  'label'?} and its epoch's order (see `batch_indices`), or fresh points from a 2-D
  mixture ({'means'}) drawn with the step's 'data' key (order passed through). `order` is
  the epoch order of an earlier step of the same or the previous epoch (`carried_order`)."""
  if "means" in arrays:
    key = rng_lib.purpose_key(step_key, "data")
    return {"image": toy2d.sample(key, batch_size, arrays["means"], data_config.std)}, order
  num = arrays["image"].shape[0]
  order = carried_order(order, root_key, step, num, batch_size)
  idx = batch_indices(root_key, step, num, batch_size, order)
  batch = {k: v[idx] for k, v in arrays.items()}
  batch["image"] = preprocess(batch["image"], rng_lib.purpose_key(step_key, "binarize"),
                              data_config)
  return batch, order


def fixed_eval_images(images01, seed: int, data_config):
  """Eval images with one fixed binarization (seeded), so eval metrics are repeatable."""
  key = rng_lib.purpose_key(jax.random.PRNGKey(seed), "eval_binarize")
  return preprocess(jnp.asarray(images01), key, data_config)


def eval_set(dataset, seed: int, data_config):
  """The dataset's eval images through `fixed_eval_images`, or None (2-D mixtures have none)."""
  if dataset.eval_images is None:
    return None
  return fixed_eval_images(dataset.eval_images, seed, data_config)
