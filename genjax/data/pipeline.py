"""The batch pipeline: the batch of step `s` is a pure function of (seed, s, num_shards).

Step `s` of epoch `e = s // steps_per_epoch` takes slot `s % steps_per_epoch` of each
shard's permutation drawn from `fold_in(data_key, e)` (see `Sampling`); the remainder of
each epoch is dropped. A resumed run therefore sees exactly the batches an uninterrupted one
would, on any number of devices and processes, whether batches are gathered on device or
fed from the host (`genjax.data.feed`). Permutations are drawn once per epoch: the device
feed gives a call those of its first step's epoch, carried through its steps
(`carried_order`).

With `Sampling.length_buckets` (token sequences), each epoch's order is regrouped so that a
step's rows have similar lengths (`group_by_length`): a sequence step then runs at the width
of its longest row (`genjax.families.seq_vae`) instead of the padded maximum.
"""
import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from genjax import rng as rng_lib
from genjax.data import pseudo_labels
from genjax.data import toy2d
from genjax.errors import GenjaxError

VALUE_RANGES = ("0,1", "-1,1")


@dataclasses.dataclass(frozen=True)
class Sampling:
  """How the batches of train steps are drawn from `num_examples` training examples.

  The examples form `num_shards` equal contiguous shards of `shard_size` (the remainder is
  never drawn). A step takes `groups` slices of `batch_size` examples (a GAN step's critic
  slices; 1 otherwise), each slice `batch_size / num_shards` examples from every shard, in
  the shard's own epoch permutation. The batch of a step therefore does not depend on how
  many processes read the shards (see `genjax.data.feed`).

  `length_buckets` (token widths, increasing; () off): steps take rows of similar length
  (`group_by_length`).
  """
  num_examples: int
  batch_size: int
  groups: int = 1
  num_shards: int = 1
  length_buckets: tuple = ()

  @property
  def shard_size(self) -> int:
    return self.num_examples // self.num_shards

  @property
  def per_shard(self) -> int:
    """Examples a step takes from each shard."""
    return self.groups * self.batch_size // self.num_shards

  @property
  def steps_per_epoch(self) -> int:
    return self.shard_size // self.per_shard


def length_buckets(data_config) -> tuple:
  """data.length_buckets as a tuple (absent in configs written before it: ())."""
  return tuple(data_config.get("length_buckets", ()))


def check(data_config, sampling: Sampling) -> None:
  """Validates preprocessing fields, the batch size and its split over the shards
  (`sampling.num_examples` 0: a 2-D mixture, unlimited; `feed.plan` checks num_shards)."""
  if data_config.value_range not in VALUE_RANGES:
    raise GenjaxError(f"data.value_range={data_config.value_range!r}: valid are {VALUE_RANGES}")
  rate = data_config.get("mutation_rate", 0.0)
  if not 0.0 <= rate < 1.0:
    raise GenjaxError(f"data.mutation_rate={rate} must be in [0, 1): the probability that a"
                      " training pixel is replaced by noise")
  buckets = sampling.length_buckets
  if buckets and data_config.name != "smiles":
    raise GenjaxError(f"data.length_buckets={buckets} is for token sequences"
                      f" (data.name='smiles'), not data.name={data_config.name!r}: set it to ()")
  if buckets and (not all(isinstance(b, int) and b >= 3 for b in buckets)
                  or list(buckets) != sorted(set(buckets))):
    raise GenjaxError(f"data.length_buckets={buckets} must be increasing token widths >= 3"
                      " (characters + BOS and EOS), e.g. (32, 36, 40, 44, 48); () is off")
  size, num, shards = sampling.batch_size, sampling.num_examples, sampling.num_shards
  if size <= 0:
    raise GenjaxError(f"batch_size={size} must be positive")
  if not num:
    return
  if size % shards:
    raise GenjaxError(f"batch_size={size} is not divisible by data.num_shards={shards} (every"
                      f" batch takes the same share of each shard): use a multiple of {shards}")
  if sampling.per_shard > sampling.shard_size:
    raise GenjaxError(
        f"batch_size={size} x {sampling.groups} slice(s) per step is larger than the {num}"
        f" training images of data.name={data_config.name!r}"
        + (f" ({shards} shards of {sampling.shard_size})" if shards > 1 else "")
        + f": use batch_size <= {sampling.shard_size * shards // sampling.groups}")


def num_examples(arrays) -> int:
  """Examples in on-device train arrays ({'image', 'label'?}, {'tokens', 'length'}); 0 for a
  2-D mixture's {'means'}, which draws fresh points."""
  if "means" in arrays:
    return 0
  return arrays["image" if "image" in arrays else "tokens"].shape[0]


def to_value_range(x01, value_range: str):
  """Maps images in [0, 1] to the configured range ('0,1' or '-1,1')."""
  return x01 * 2.0 - 1.0 if value_range == "-1,1" else x01


def to_unit(images, value_range: str) -> np.ndarray:
  """The inverse of `to_value_range`, on the host: images of the range as float32 numpy in
  [0, 1] (clipped: model outputs may overshoot)."""
  x = np.asarray(images, np.float32)
  if value_range == "-1,1":
    x = (x + 1.0) / 2.0
  return np.clip(x, 0.0, 1.0)


def epoch_order(root_key, step, sampling: Sampling, shards=None, lengths=None):
  """int32[len(shards), shard_size]: the permutation of each of `shards` (default: all) in
  the epoch that `step` belongs to. One shard permutes with the epoch's key itself.
  `lengths` (int32, the rows of `shards` in order; needed with `sampling.length_buckets`):
  the permutations are regrouped by length (`group_by_length`)."""
  shards = range(sampling.num_shards) if shards is None else shards
  epoch_key = jax.random.fold_in(rng_lib.purpose_key(root_key, "data"),
                                 step // sampling.steps_per_epoch)
  if sampling.num_shards == 1:
    order = jax.random.permutation(epoch_key, sampling.num_examples)[None]
  else:
    order = jax.vmap(lambda d: jax.random.permutation(jax.random.fold_in(epoch_key, d),
                                                      sampling.shard_size))(jnp.asarray(shards))
  if not sampling.length_buckets:
    return order
  if lengths is None:
    raise ValueError("sampling.length_buckets needs the rows' lengths")
  return group_by_length(order, lengths, sampling, epoch_key)


def group_by_length(order_NxS, lengths, sampling: Sampling, epoch_key):
  """Shard orders regrouped so that each step's slice of every shard holds rows of similar
  length: each shard's random order sorted (stably: random within a bucket) by the bucket of
  its rows' length (`sampling.length_buckets`), cut into the epoch's steps_per_epoch slices
  of per_shard rows, and the slices shuffled with one permutation shared by the shards (so a
  step takes the same length quantile of every shard). Every row still appears once per
  epoch; the epoch's remainder (dropped) stays last."""
  num, size = order_NxS.shape
  bucket = jnp.searchsorted(jnp.asarray(sampling.length_buckets, jnp.int32),
                            jnp.asarray(lengths)[:num * size]).reshape(num, size)
  by_bucket = jnp.argsort(jnp.take_along_axis(bucket, order_NxS, 1), axis=1, stable=True)
  ordered = jnp.take_along_axis(order_NxS, by_bucket, 1)
  steps, per = sampling.steps_per_epoch, sampling.per_shard
  slices = jax.random.permutation(rng_lib.purpose_key(epoch_key, "length_buckets"), steps)
  head = ordered[:, :steps * per].reshape(num, steps, per)[:, slices].reshape(num, -1)
  return jnp.concatenate([head, ordered[:, steps * per:]], 1)


def carried_order(order, root_key, step, sampling: Sampling, shards=None, lengths=None):
  """The epoch order of `step`, given `order`, that of step - 1 (or of any earlier step of
  the same epoch; None: drawn): redrawn only at an epoch's first step. A scan carries it, so
  the permutation (for MNIST-sized data several times an MLP's train step) is drawn once per
  epoch instead of once per step."""
  if order is None:
    return epoch_order(root_key, step, sampling, shards, lengths)
  return jax.lax.cond(step % sampling.steps_per_epoch == 0,
                      lambda: epoch_order(root_key, step, sampling, shards, lengths),
                      lambda: order)


def batch_indices(root_key, step, sampling: Sampling, order=None, shards=None):
  """int32[groups * len(shards) * batch_size / num_shards]: the rows of the examples of
  `step` drawn from `shards` (default: all), counted from the first row of the first of
  them, as `groups` consecutive slices. `order` is the epoch order of `step` if the caller
  has it (else it is drawn)."""
  if order is None:
    order = epoch_order(root_key, step, sampling, shards)
  num, per_shard = order.shape[0], sampling.per_shard
  slot = step % sampling.steps_per_epoch
  rows = jax.lax.dynamic_slice_in_dim(order, slot * per_shard, per_shard, axis=1)
  rows = rows + jnp.arange(num, dtype=rows.dtype)[:, None] * sampling.shard_size
  # [shard, group, example] -> [group, shard, example]: every slice holds every shard's share.
  return rows.reshape(num, sampling.groups, -1).transpose(1, 0, 2).reshape(-1)


def bernoulli_16bit(key, p):
  """Bernoulli(p) draws as float32 0/1 of p's shape (batch first), from 16 random bits per
  pixel (p rounded to a multiple of 2^-16, far finer than 8-bit pixels; see
  `rng.uint16_bits`): a quarter of the hashes of `jax.random.bernoulli`, which would be a
  sizeable part of a small model's step."""
  threshold = jnp.round(jnp.clip(p, 0.0, 1.0) * 65536.0).astype(jnp.uint32)
  draws = (rng_lib.uint16_bits(key, p.shape) < threshold).astype(jnp.float32)
  # Computed once: else XLA fuses the hash into each consumer (loss and its gradient).
  return jax.lax.optimization_barrier(draws)


def preprocess(x01_BxHxWxC, key, data_config):
  """Dynamic binarization (a fresh Bernoulli draw from `key`) and value range."""
  x = x01_BxHxWxC
  if data_config.dynamic_binarization:
    x = bernoulli_16bit(key, x)
  return to_value_range(x, data_config.value_range)


def prepare(raw, step_key, data_config):
  """The train batch from raw examples {'image': [0, 1], 'label'?}: `preprocess` with the
  step's 'binarize' key. Token sequences ({'tokens', 'length'}) pass as they are."""
  if "image" not in raw:
    return raw
  image = raw["image"]
  if data_config.get("mutation_rate", 0.0):
    image = mutate(image, rng_lib.purpose_key(step_key, "mutate"), data_config.mutation_rate)
  return {**raw, "image": preprocess(image, rng_lib.purpose_key(step_key, "binarize"),
                                     data_config)}


def mutate(x01_BxHxWxC, key, rate: float):
  """Each pixel replaced, with probability `rate`, by a uniform draw from [0, 1]: the
  perturbed training data of Ren et al. 2019's background model, which learns the
  population's generic statistics (how much background, stroke texture) but not its
  semantics, so that a likelihood ratio to it cancels them."""
  where_key, value_key = jax.random.split(key)
  hit = jax.random.bernoulli(where_key, rate, x01_BxHxWxC.shape)
  return jnp.where(hit, jax.random.uniform(value_key, x01_BxHxWxC.shape), x01_BxHxWxC)


def train_batch(arrays, root_key, step, step_key, data_config, sampling: Sampling, order=None):
  """(batch, order): the batch of `step` from the on-device training arrays {'image',
  'label'?} and its epoch's order (see `batch_indices`), or fresh points from a 2-D
  mixture ({'means'}) drawn with the step's 'data' key (order passed through). `order` is
  the epoch order of an earlier step of the same or the previous epoch (`carried_order`)."""
  if "means" in arrays:
    key = rng_lib.purpose_key(step_key, "data")
    num = sampling.groups * sampling.batch_size
    points = toy2d.sample(key, num, arrays["means"], data_config.std)
    if "centroids" in arrays:  # data.pseudo_labels: each point's cluster.
      return {"image": points, "label": pseudo_labels.nearest(points, arrays["centroids"])}, order
    return {"image": points}, order
  order = carried_order(order, root_key, step, sampling, lengths=arrays.get("length"))
  idx = batch_indices(root_key, step, sampling, order)
  # Gather the rows first: XLA:CPU emits a gather fused into an elementwise consumer
  # element by element, several times slower.
  raw = jax.lax.optimization_barrier({k: v[idx] for k, v in arrays.items()})
  return prepare(raw, step_key, data_config), order


def fixed_eval_images(images01, seed: int, data_config):
  """Eval images with one fixed binarization (seeded), so eval metrics are repeatable."""
  key = rng_lib.purpose_key(jax.random.PRNGKey(seed), "eval_binarize")
  return preprocess(jnp.asarray(images01), key, data_config)


def eval_set(dataset, seed: int, data_config):
  """The eval split as evaluators see it: {'image': eval images through `fixed_eval_images`,
  'label': int32[N] when labelled}, sequences' {'tokens', 'length'}, or None (2-D mixtures
  have none)."""
  if dataset.eval_tokens is not None:
    return {"tokens": jnp.asarray(dataset.eval_tokens), "length": jnp.asarray(dataset.eval_lengths)}
  if dataset.eval_images is None:
    return None
  data = {"image": fixed_eval_images(dataset.eval_images, seed, data_config)}
  if dataset.eval_labels is not None:
    data["label"] = jnp.asarray(dataset.eval_labels, jnp.int32)
  return data
