"""`train_and_evaluate(config, workdir)`: the training loop, nothing model-specific.

Each compiled call runs `config.steps_per_call` train steps in a `lax.scan`, on batches
gathered from the on-device dataset or fed from the host (`genjax.data.feed`); step `s`
uses key `fold_in(root, s)` and the batch of `s` (see `genjax.data.pipeline`), so a run
resumed from a checkpoint repeats an uninterrupted run.
"""
import json
import os
import signal
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging
from jax.experimental import multihost_utils

from genjax import checkpoint
from genjax import data as data_lib
from genjax import evaluators as evaluators_lib
from genjax import families
from genjax import logs as log_lib
from genjax import loops
from genjax import parallel
from genjax import seeds as seeds_lib
from genjax import rng as rng_lib
from genjax import runs_cache
from genjax import schema
from genjax.data import feed as feed_lib
from genjax.data import pipeline
from genjax.data import toy2d
from genjax.data import smiles
from genjax.errors import GenjaxError
from genjax.families import common
from genjax.families import init_from

# data fields that do not change the batches: the same data may move, or be fed differently.
MAY_CHANGE_ON_RESUME = ("tfds_data_dir", "path", "labels_path", "eval_path", "eval_labels_path",
                        "placement", "device_limit_mb", "prefetch")
POSITIVE_FIELDS = ("num_steps", "steps_per_call", "log_every", "eval_every", "checkpoint_every",
                   "max_to_keep")


def config_problems(config) -> list:
  """One line per bad value of the shared top-level fields."""
  found = []
  for field in POSITIVE_FIELDS:
    if not isinstance(config.get(field), int) or config[field] <= 0:
      found.append(f"{field}={config.get(field)!r} must be a positive integer")
  for field in ("log_every", "eval_every", "checkpoint_every"):
    if not found and config[field] % config.steps_per_call:
      found.append(f"{field}={config[field]} must be a multiple of"
                   f" steps_per_call={config.steps_per_call}")
  png = config.get("eval", {}).get("num_samples_png", 0)
  if not isinstance(png, int) or png < 0:
    found.append(f"eval.num_samples_png={png!r} must be an integer >= 0 (0: no picture grids)")
  if not isinstance(config.get("batch_size"), int) or config.batch_size <= 0:
    found.append(f"batch_size={config.get('batch_size')!r} must be a positive integer")
  for check in (seeds_lib.check, parallel.check_mode):
    collect(found, check, config)
  return found


def collect(found: list, fn, *args, **kwargs):
  """fn(*args, **kwargs), or None with the lines of its GenjaxError appended to `found`."""
  try:
    return fn(*args, **kwargs)
  except GenjaxError as e:
    found.extend(str(e).splitlines())
    return None


def check_config(config) -> None:
  schema.raise_if(config_problems(config))


def config_changes(saved: dict, current: dict, sections=("model", "data", "loss")) -> list:
  """(section, dotted key, saved value, current value) of every field of `sections` the
  current config changes (fields the saved config lacks are newer defaults: not changes;
  data fields of MAY_CHANGE_ON_RESUME are how data is fed: not changes)."""
  changes = []
  for section in sections:
    was = log_lib.flat(saved.get(section, {}), f"{section}.")
    for key, value in log_lib.flat(current.get(section, {}), f"{section}.").items():
      if section == "data" and key[len("data."):] in MAY_CHANGE_ON_RESUME:
        continue
      if was.get(key, value) != value:
        changes.append((section, key, was[key], value))
  return changes


def check_workdir(workdir: str, config, allow_loss_changes: bool = False) -> None:
  """Checks the workdir is writable and that any earlier run there had the same model, data
  and (unless `allow_loss_changes`) loss fields: every change is one line of one error."""
  try:
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, f".write_test_{jax.process_index()}")
    with open(probe, "w") as f:
      f.write("ok")
    os.remove(probe)
  except OSError as e:
    raise GenjaxError(f"workdir {workdir!r} is not writable: {e.strerror}") from None
  saved_path = os.path.join(workdir, "config.json")
  if not os.path.exists(saved_path):
    return
  with open(saved_path) as f:
    saved = schema.upgrade(json.load(f))
  current = json.loads(config.to_json_best_effort())
  if saved.get("num_seeds", 1) != current["num_seeds"]:
    raise GenjaxError(f"workdir {workdir!r} holds num_seeds={saved.get('num_seeds', 1)} replicas,"
                      f" this config has {current['num_seeds']}: use a new --workdir")
  found = []
  for section, key, was, now in config_changes(saved, current):
    if section == "loss" and allow_loss_changes:
      logging.info("Resuming with %s=%r (was %r)", key, now, was)
      continue
    remedy = ("use a new --workdir, the saved config.json, or --allow_loss_changes to resume"
              " with it" if section == "loss" else "use a new --workdir or the saved config.json")
    found.append(f"workdir {workdir!r} was trained with {key}={was!r}, this config has {now!r}:"
                 f" {remedy}")
  schema.raise_if(found)


def write_run_files(workdir: str, config, dataset) -> None:
  """config.json (the resolved config) and data_info.json (what sampling needs of the data),
  and for sequences the vocabulary, vocab.json."""
  with open(os.path.join(workdir, "config.json"), "w") as f:
    f.write(config.to_json_best_effort(indent=2))
  with open(os.path.join(workdir, "data_info.json"), "w") as f:
    json.dump({"image_shape": list(dataset.image_shape), "num_classes": dataset.num_classes}, f)
  if dataset.vocab:
    with open(os.path.join(workdir, smiles.VOCAB_FILE), "w") as f:
      f.write(smiles.Vocab(dataset.vocab).to_json())


def data_info(dataset) -> families.DataInfo:
  return families.DataInfo(dataset.image_shape, dataset.num_classes, dataset.vocab)


def sampling_of(family, config, num_examples: int) -> pipeline.Sampling:
  """How train steps draw from `num_examples` training examples (0: a 2-D mixture)."""
  groups = family.examples_per_step // config.batch_size  # A GAN step's critic slices.
  return pipeline.Sampling(num_examples, config.batch_size, groups, config.data.num_shards,
                           pipeline.length_buckets(config.data))


def arrays_sampling(family, config, arrays) -> pipeline.Sampling:
  """`sampling_of` the on-device train arrays ({'image', 'label'?}, {'tokens', 'length'} or a
  mixture's {'means'})."""
  return sampling_of(family, config, pipeline.num_examples(arrays))


def call_schedule(first_step: int, config):
  """(first step, length) of each train call from `first_step` to `config.num_steps`."""
  return [(s, min(config.steps_per_call, config.num_steps - s))
          for s in range(first_step, config.num_steps, config.steps_per_call)]


def all_finite(tree):
  """Whether every floating-point leaf of `tree` is finite: a bool scalar."""
  leaves = [x for x in jax.tree.leaves(tree) if jnp.issubdtype(jnp.result_type(x), jnp.floating)]
  return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))


def params_of(state):
  return [net.params for net in state.nets.values()]


def flag_nonfinite(body, state_of=lambda carry: carry):
  """The scan body `body(carry, *args) -> (carry, metrics)` (one train step, or the vmapped
  steps of all replicas) that also reports `nonfinite` (1.0 where a metric is NaN or
  infinite) and `nonfinite_inputs` (1.0 where, in such a step, the parameters it started
  from, `state_of(carry)`, were already not finite: the previous step's gradient was). The
  parameters are read only in that rare case: the predicate is one scalar over all replicas,
  so the `lax.cond` skips the pass (a full pass every step would cost ~7% of a small
  model's step)."""
  def guarded(carry, *args):
    new, metrics = body(carry, *args)
    ok = all_finite(metrics)
    inputs_ok = jax.lax.cond(ok, lambda: jnp.array(True),
                             lambda: all_finite(params_of(state_of(carry))))
    return new, {**metrics, "nonfinite": _flag(ok), "nonfinite_inputs": _flag(inputs_ok)}
  return guarded


def skip_nonfinite(train_step):
  """`train_step` that checks its metrics and new parameters every step: a non-finite one
  keeps the old state (advancing only its step counter), its metrics zeroed, and is counted
  in `nonfinite` (config.skip_nonfinite; per replica under `num_seeds`)."""
  def guarded(state, batch, rng):
    new, metrics = train_step(state, batch, rng)
    ok = jnp.logical_and(all_finite(metrics), all_finite(params_of(new)))
    new = common.keep_if(ok, new, state).replace(step=new.step)
    metrics = jax.tree.map(lambda m: jnp.where(ok, m, jnp.zeros_like(m)), metrics)
    return new, {**metrics, "nonfinite": _flag(ok), "nonfinite_inputs": _flag(jnp.array(True))}
  return guarded


def _flag(good):
  return 1.0 - good.astype(jnp.float32)


def first_nonfinite(metrics, final_state, length: int) -> dict:
  """Pops the per-step flags of `flag_nonfinite` ([length]) or `skip_nonfinite` ([length]
  or [length, S]) out of a call's
  scanned metrics: {'diverged': bool, 'nonfinite_index': the step of the call (0-based; -1:
  the previous call's last) whose loss or update first went non-finite, 'nonfinite_metrics':
  {name: bool} its non-finite metrics (none: its update), 'skipped_updates': count}."""
  flags = metrics.pop("nonfinite").reshape(length, -1).max(-1)
  inputs = metrics.pop("nonfinite_inputs").reshape(length, -1).max(-1)
  any_bad = flags.max() > 0
  first = jnp.argmax(flags)  # The first step with a non-finite metric (0 if none).
  from_update = jnp.logical_and(any_bad, inputs[first] > 0)  # The previous step's gradient.
  end_bad = jnp.logical_and(jnp.logical_not(any_bad),  # Finite metrics, bad final update.
                            jnp.logical_not(all_finite(params_of(final_state))))
  index = jnp.where(from_update, first - 1, jnp.where(end_bad, length - 1, first))
  named = jnp.logical_and(any_bad, jnp.logical_not(from_update))
  return {"diverged": jnp.logical_or(any_bad, end_bad), "nonfinite_index": index,
          "nonfinite_metrics": {k: jnp.logical_and(named, jnp.logical_not(jnp.all(
              jnp.isfinite(m[first])))) for k, m in metrics.items()},
          "skipped_updates": flags.sum()}


def make_multi_step(family, config, mesh, length: int, feed: str = "device"):
  """jit(state, inputs) -> (state, metrics averaged over `length` scanned steps); with
  num_seeds > 1 each scanned step is vmapped over the replicas (metrics: float[S]). Metrics
  also hold the call's health (see `first_nonfinite`): whether a loss or an update went
  non-finite, at which step, and how many updates config.skip_nonfinite skipped.

  feed='device': `inputs` are (the on-device train arrays, the epoch order of the call's
  first step) from `feed.DeviceFeed`; each step gathers its batch and the scan carries the
  epoch order (see `pipeline.carried_order`).
  feed='host': `inputs` are the call's raw batches from `feed.HostFeed` ([length, ...]).
  """
  axis = parallel.axis_name(config)
  skip = config.get("skip_nonfinite", False)
  train_step = skip_nonfinite(family.train_step) if skip else family.train_step

  def flagged(body, state_of=lambda carry: carry):  # Skipping already flags per step.
    return body if skip else flag_nonfinite(body, state_of)

  def device_step(carry, arrays):
    state, order = carry
    step_rng = rng_lib.step_key(state.rng, state.step)
    sampling = arrays_sampling(family, config, arrays)
    batch, order = pipeline.train_batch(arrays, state.rng, state.step, step_rng, config.data,
                                        sampling, order)
    if axis is None:  # jit: XLA splits the global batch over the mesh.
      batch = parallel.shard_batch(batch, mesh)
    else:  # pmap: every device builds the global batch and keeps its part.
      batch = parallel.local_part(batch, sampling.groups, axis)
    state, metrics = train_step(state, batch, step_rng)
    return (state, order), metrics

  def host_step(state, raw):  # raw: {'image': [groups, batch_size, ...], 'label'?}, in [0, 1].
    step_rng = rng_lib.step_key(state.rng, state.step)
    raw = jax.tree.map(lambda x: x.reshape((-1,) + x.shape[2:]), raw)
    batch = parallel.shard_batch(pipeline.prepare(raw, step_rng, config.data), mesh)
    return train_step(state, batch, step_rng)

  def mean_over_steps(metrics, state):
    health = first_nonfinite(metrics, state, length)
    return {**jax.tree.map(lambda m: jnp.mean(m, axis=0), metrics), **health}

  if feed == "host":
    step_fn = flagged(host_step if config.num_seeds == 1 else jax.vmap(host_step))

    def multi_step(state, raw):
      state, metrics = loops.scan(step_fn, state, raw)
      return state, mean_over_steps(metrics, state)
    return jax.jit(multi_step, donate_argnums=0)

  step_fn = flagged(seeds_lib.vmap_step(device_step, config), lambda carry: carry[0])

  def multi_step(state, inputs):
    arrays, order = inputs
    (state, _), metrics = loops.scan(lambda c, _: step_fn(c, arrays), (state, order),
                                     length=length)
    return state, mean_over_steps(metrics, state)

  if axis is None:
    return jax.jit(multi_step, donate_argnums=0)
  return jax.pmap(multi_step, axis_name=axis, donate_argnums=0)


def make_feed(kind: str, dataset, state, sampling, config, mesh, placement, shards):
  """The device or host feed (`genjax.data.feed`) for the calls from `state`'s step on."""
  if kind == "device":
    return feed_lib.DeviceFeed(dataset.device_arrays(), placement, sampling,
                               jax.device_get(state.rng))
  arrays = dataset.train_arrays()
  first = next(iter(arrays.values()))
  logging.info("Host feed: process %d holds %d of the %d training examples (shards %s of %d;"
               " %.0f MB %s)", jax.process_index(), len(first), dataset.num_train,
               "all" if shards is None else f"{shards[0]}..{sum(shards) - 1}",
               config.data.num_shards, sum(a.nbytes for a in arrays.values()) / 2**20,
               first.dtype)
  return feed_lib.HostFeed(dataset.train_arrays(), sampling, shards, jax.device_get(state.rng),
                           mesh, call_schedule(seeds_lib.step(state, config), config),
                           config.data.prefetch)


def image_summaries(family, config):
  """fn(state, eval_data) -> {'samples': a grid of samples, or a 2-D histogram of points;
  'reconstructions': (original, reconstruction) pairs}, from the family's predict functions
  'sample' and 'reconstruct' (those it has); none with config.eval.num_samples_png = 0."""
  predict, num = family.predict, config.eval.num_samples_png
  if family.data_info.is_sequence or num == 0:  # Sequences: no images (experiments.sample).
    return lambda state, eval_data: {}
  sample = jax.jit(predict["sample"], static_argnums=2) if "sample" in predict else None
  reconstruct = jax.jit(predict["reconstruct"]) if "reconstruct" in predict else None
  data = config.data
  modes = (toy2d.means(data.name, data.radius, data.spacing) if data.name in toy2d.DEFAULTS
           else None)

  def summaries(state, eval_data):
    out = {}
    key = rng_lib.purpose_key(state.rng, "samples")
    if sample is not None and family.data_info.is_image:
      out["samples"] = sample(state, key, num)
    elif sample is not None:
      # 2-D points: a scatter with axes and the true modes marked, RGB in [0, 1].
      out["samples"] = log_lib.points_plot(jax.device_get(sample(state, key, 2500)), modes)[None]
    if reconstruct is not None and eval_data is not None:
      originals = eval_data["image"][: max(num // 2, 1)]
      labels = (eval_data["label"][: len(originals)],) if family.num_classes else ()
      pairs = jnp.stack([originals, reconstruct(state, originals, *labels)], 1)
      out["reconstructions"] = pairs.reshape((-1,) + originals.shape[1:])
    return out

  return summaries


def write_images(summaries, state, eval_data, step, workdir, writer, config):
  """Sample/reconstruction grids (of replica 0 when num_seeds > 1) as PNGs and TensorBoard
  images. Every process computes them (they are global computations); process 0 writes."""
  summaries = summaries(seeds_lib.select(state, 0, config), eval_data)
  if not parallel.is_main_process():
    return
  points = not family_is_image(config)
  for name, images in summaries.items():
    path = os.path.join(workdir, "samples", f"{name}_{step:07d}.png")
    value_range = "0,1" if points else config.data.value_range  # (Plots are RGB in [0, 1].)
    writer.image(step, name, log_lib.save_image_grid(path, images, value_range))


def family_is_image(config) -> bool:
  """Whether the run's data are images (not 2-D points or token sequences)."""
  return config.data.name not in toy2d.DEFAULTS and config.data.name != "smiles"


def diverged(bad_step: int, bad_metrics, checkpoints: str) -> None:
  """Raises the divergence error for train step `bad_step` (1-based), naming its metrics that
  were not finite (or the parameters, when the metrics were: a non-finite gradient)."""
  what = ", ".join(bad_metrics) if bad_metrics else "the updated parameters (a non-finite gradient)"
  raise GenjaxError(
      f"training diverged at step {bad_step}: {what} became NaN or infinite. Nothing from that"
      f" step on was saved; the last good checkpoint is in {checkpoints}. Check the data, the"
      " loss and the learning rate, or set skip_nonfinite=True to skip such updates")


class Preemption:
  """SIGTERM and SIGINT during training ask the loop to stop: it finishes the running train
  call, saves a checkpoint at that step (waiting for it to commit) and returns, so the main
  exits 0 and a rerun resumes there. A second signal gets the default handling (kills).
  With several processes, all stop at the same step as soon as any one was signalled."""

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signal = 0
    self._previous = {}

  def install(self) -> None:
    """Catches the signals (signal handlers can only be set from the main thread)."""
    if threading.current_thread() is threading.main_thread():
      self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}

  def _handle(self, signum, frame):
    del frame
    self.signal = signum
    for s, handler in self._previous.items():  # The next signal is not caught.
      signal.signal(s, handler)

  def restore(self) -> None:
    """Puts back the handlers that were there before `install`."""
    for s, handler in self._previous.items():
      signal.signal(s, handler)

  def requested(self) -> bool:
    """Whether any process was signalled (a collective when there are several)."""
    if jax.process_count() == 1:
      return bool(self.signal)
    flags = multihost_utils.process_allgather(np.int32(self.signal))
    return bool(np.any(flags))


def num_eval(dataset) -> int:
  """Examples in the eval split (0 for 2-D mixtures)."""
  rows = dataset.eval_tokens if dataset.eval_tokens is not None else dataset.eval_images
  return 0 if rows is None else len(rows)


def init_from_workdirs(config) -> list:
  """The trained workdirs `config.init_from` names (config files trained first, or reused,
  in the runs cache: `genjax.runs_cache`)."""
  return [runs_cache.workdir_of(entry, "init_from")
          for entry in init_from.entries(config.init_from)]


def train_and_evaluate(config, workdir: str, allow_loss_changes: bool = False):
  """Trains `config` in `workdir`, resuming from its latest checkpoint; returns the state.
  A resume that changes a model, data or loss field is refused, listing every change (loss
  fields may change with `allow_loss_changes`)."""
  found = config_problems(config)  # Every problem of the config at once, one line each.
  shards = collect(found, feed_lib.plan, config.data, jax.process_index(), jax.process_count())
  started = time.perf_counter()
  dataset = collect(found, data_lib.load, config.data, shards, keep_uint8=True)
  if dataset is not None:
    logging.info("Loaded data %r: %d train / %d eval examples of shape %s in %.1f s",
                 config.data.name, dataset.num_train, num_eval(dataset),
                 tuple(data_info(dataset).shape), time.perf_counter() - started)
    family = collect(found, families.build, config, data_info(dataset))
    if family is not None and config.init_from:
      sources = collect(found, init_from_workdirs, config)
      if sources is not None:
        supplied = collect(found, init_from.sources, config, family, sources)
  schema.raise_if(found)
  feed_kind = feed_lib.choose(config, dataset, shards)
  evaluators = evaluators_lib.build(config, family)
  sampling = sampling_of(family, config, dataset.num_train)
  pipeline.check(config.data, sampling)
  mesh = parallel.data_mesh()
  parallel.check_batch(config.batch_size, mesh)
  check_workdir(workdir, config, allow_loss_changes)

  started = time.perf_counter()
  state = seeds_lib.init(family, config)
  logging.info("Model %r: %s parameters in %s, initialized in %.1f s", family.name,
               f"{sum(x.size for x in jax.tree.leaves({k: n.params for k, n in state.nets.items()})):,}",
               ", ".join(state.nets), time.perf_counter() - started)
  ckpts = checkpoint.Checkpoints(os.path.join(workdir, "checkpoints"), config.max_to_keep)
  if ckpts.latest_step() is not None:
    try:
      good = ckpts.restore_good(state, sharding=parallel.replicated(mesh), quarantine=True)
    except GenjaxError:
      ckpts.close()
      raise
    if good is None:
      logging.warning("No checkpoint in %s verifies: training from step 0", ckpts.directory)
    else:
      state = good[0]
      logging.info("Resumed from %s at step %d", ckpts.directory, seeds_lib.step(state, config))
  if config.init_from and seeds_lib.step(state, config) == 0:
    state = init_from.initialize(state, family, supplied, config)
    logging.info("Initialized %s from %s", ", ".join(sorted(supplied)), config.init_from)
  main_process = parallel.is_main_process()
  if main_process:
    write_run_files(workdir, config, dataset)
  placement = parallel.Placement(config, mesh)
  placed = placement.put(state)  # What the train call consumes (donated) and returns.
  feed = make_feed(feed_kind, dataset, state, sampling, config, mesh, placement, shards)
  eval_data = pipeline.eval_set(dataset, config.seed, config.data)
  summaries = image_summaries(family, config)

  writer = log_lib.Writer(os.path.join(workdir, "tensorboard"), main_process)
  step = seeds_lib.step(state, config)
  progress = log_lib.Progress(step, config.num_steps)
  compiled = {}
  skipped_total = 0
  preemption = Preemption()
  try:
    preemption.install()
    for first, length in call_schedule(step, config):
      inputs = feed.inputs(first, length)
      if length not in compiled:
        start = time.perf_counter()
        compiled[length] = make_multi_step(family, config, mesh, length, feed.kind).lower(
            placed, inputs).compile()
        logging.info("Compiled %d-step train call in %.1f s", length, time.perf_counter() - start)
        progress.restart_clock(first)  # Rates and ETA exclude compilation.
      placed, metrics = compiled[length](placed, inputs)
      step = first + length
      final = step == config.num_steps
      metrics = dict(placement.get(metrics))
      bad, index, names, skipped = jax.device_get(tuple(metrics.pop(k) for k in (
          "diverged", "nonfinite_index", "nonfinite_metrics", "skipped_updates")))
      skipped_total += int(skipped)
      if bad and not config.get("skip_nonfinite", False):
        diverged(first + int(index) + 1, [k for k, v in names.items() if v], ckpts.directory)
      if step % config.log_every == 0 or final:
        metrics = jax.device_get(metrics)
        if config.get("skip_nonfinite", False):
          metrics["skipped_updates"] = np.full_like(next(iter(metrics.values())), skipped_total,
                                                    dtype=np.float32)
        summary = seeds_lib.summarize(seeds_lib.unstack(metrics, config))
        if main_process:
          progress.log(step, {k: v for k, v in summary.items() if not k.endswith("_std")})
        writer.scalars(step, {f"train/{k}": v for k, v in summary.items()})
      due = [e for e in evaluators if e.due(step, final)]
      images_due = step % config.eval_every == 0 or final
      if due or images_due or step % config.checkpoint_every == 0 or final:
        state = placement.get(placed)  # Only here: under pmap it copies device 0's state.
      if due:
        results = seeds_lib.summarize(seeds_lib.evaluate(
            lambda s, x: evaluators_lib.run(due, s, x), state, eval_data, config))
        if results and main_process:
          logging.info("eval at step %d: %s", step,
                       ", ".join(f"{k} {v:.4f}" for k, v in results.items()))
          writer.scalars(step, results)
      if images_due:
        write_images(summaries, state, eval_data, step, workdir, writer, config)
      if step % config.checkpoint_every == 0 or final:
        ckpts.save(step, state)
      if due or images_due or step % config.checkpoint_every == 0:
        progress.restart_clock(step)
      if not final and preemption.requested():
        state = placement.get(placed)
        ckpts.save(step, state)
        logging.warning("Stopped by signal %d at step %d: checkpoint saved in %s; rerun the same"
                        " command to resume", preemption.signal, step, ckpts.directory)
        break
  finally:
    preemption.restore()
    feed.close()
    ckpts.close()
    writer.close()
  if step == config.num_steps and main_process:
    pictures = ""
    if config.get("eval", {}).get("num_samples_png", 0):  # (0: no pictures at all.)
      log_lib.save_curves(workdir, os.path.join(workdir, "samples", "curves.png"))
      pictures = f", pictures in {os.path.join(workdir, 'samples')} (curves.png: the curves)"
    logging.info("Finished step %d: checkpoints in %s%s; curves: tensorboard --logdir %s", step,
                 ckpts.directory, pictures, os.path.join(workdir, "tensorboard"))
  return state
