"""The on-device batch pipeline: the batch of step `s` is a pure function of (seed, s).

Step `s` of epoch `e = s // steps_per_epoch` takes slice `s % steps_per_epoch` of the
permutation drawn from `fold_in(data_key, e)`; the remainder of each epoch is dropped.
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


def batch_indices(root_key, step, num_examples: int, batch_size: int):
  """Indices (int32[batch_size]) of the examples in the batch of `step`."""
  steps_per_epoch = num_examples // batch_size
  epoch, slot = step // steps_per_epoch, step % steps_per_epoch
  epoch_key = jax.random.fold_in(rng_lib.purpose_key(root_key, "data"), epoch)
  order = jax.random.permutation(epoch_key, num_examples)
  return jax.lax.dynamic_slice(order, (slot * batch_size,), (batch_size,))


def preprocess(x01_BxHxWxC, key, data_config):
  """Dynamic binarization (a fresh Bernoulli draw from `key`) and value range."""
  x = x01_BxHxWxC
  if data_config.dynamic_binarization:
    x = jax.random.bernoulli(key, x).astype(jnp.float32)
  return to_value_range(x, data_config.value_range)


def train_batch(arrays, root_key, step, step_key, data_config, batch_size: int):
  """The batch of `step` from the on-device training arrays {'image', 'label'?}, or fresh
  points from a 2-D mixture ({'means'}) drawn with the step's 'data' key."""
  if "means" in arrays:
    key = rng_lib.purpose_key(step_key, "data")
    return {"image": toy2d.sample(key, batch_size, arrays["means"], data_config.std)}
  idx = batch_indices(root_key, step, arrays["image"].shape[0], batch_size)
  batch = {k: v[idx] for k, v in arrays.items()}
  batch["image"] = preprocess(batch["image"], rng_lib.purpose_key(step_key, "binarize"),
                              data_config)
  return batch


def fixed_eval_images(images01, seed: int, data_config):
  """Eval images with one fixed binarization (seeded), so eval metrics are repeatable."""
  key = rng_lib.purpose_key(jax.random.PRNGKey(seed), "eval_binarize")
  return preprocess(jnp.asarray(images01), key, data_config)


def eval_set(dataset, seed: int, data_config):
  """The dataset's eval images through `fixed_eval_images`, or None (2-D mixtures have none)."""
  if dataset.eval_images is None:
    return None
  return fixed_eval_images(dataset.eval_images, seed, data_config)
