"""Reading a finished or running workdir: its config, latest state, samples and metrics, and a
trained classifier as a feature extractor (`classifier`).

Shared by the mains (`experiments.sample`, `experiments.evaluate`) and tests.
"""
import functools
import json
import os
from typing import NamedTuple, Tuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import checkpoint
from genjax import data as data_lib
from genjax import evaluators as evaluators_lib
from genjax import families
from genjax import latent_prior
from genjax import replicas
from genjax import schema
from genjax.data import pipeline
from genjax.data import smiles
from genjax.errors import GenjaxError


def load_run_config(workdir: str):
  """(config, image_shape, num_classes) of a workdir's run, from its JSON files."""
  try:
    with open(os.path.join(workdir, "config.json")) as f:
      config = ml_collections.ConfigDict(schema.upgrade(json.load(f)))
    with open(os.path.join(workdir, "data_info.json")) as f:
      info = json.load(f)
    image_shape, num_classes = tuple(info["image_shape"]), info.get("num_classes", 0)
  except (OSError, ValueError, KeyError) as e:
    raise GenjaxError(f"workdir {workdir!r} has no readable config.json/data_info.json"
                      f" ({type(e).__name__}): is it a workdir written by experiments.main?") from None
  for field, default in NEWER_FIELDS.items():
    if field not in config:
      config[field] = default
  return config, image_shape, num_classes


def run_data_info(workdir: str) -> families.DataInfo:
  """The DataInfo a workdir's family was built with: shape and classes from data_info.json,
  and for sequences the vocabulary from vocab.json."""
  _, shape, num_classes = load_run_config(workdir)
  path = os.path.join(workdir, smiles.VOCAB_FILE)
  if not os.path.exists(path):
    return families.DataInfo(shape, num_classes)
  try:
    with open(path) as f:
      vocab = smiles.Vocab.from_json(f.read(), path)
  except OSError as e:
    raise GenjaxError(f"{path} is unreadable: {e.strerror}") from None
  return families.DataInfo(shape, num_classes, vocab.tokens)


NEWER_FIELDS = {"num_seeds": 1, "dtype": "float32", "parallel": "jit", "init_from": ""}  # Top-level fields that workdirs written before them lack.


def restore_latest(family, config, workdir: str):
  """The latest checkpointed train state of `workdir` (all replicas when num_seeds > 1)."""
  ckpts = checkpoint.Checkpoints(os.path.join(workdir, "checkpoints"), config.max_to_keep)
  try:
    if ckpts.latest_step() is None:
      raise GenjaxError(f"workdir {workdir!r} has no checkpoint yet: train it with experiments.main")
    good = ckpts.restore_good(replicas.init(family, config))
    if good is None:
      raise GenjaxError(f"no checkpoint in {ckpts.directory} verifies (all damaged): retrain")
    return good[0]
  finally:
    ckpts.close()


def sample(workdir: str, num: int, seed: int, label: int = -1, seed_index: int = 0,
           temperature: float = 1.0, prior: str = latent_prior.STANDARD) -> np.ndarray:
  """`num` samples (NxHxWxC float32 in the training value range, Nx2 points, or int32 token
  rows NxT of a sequence model: `smiles.Vocab(run_data_info(workdir).vocab).decode`) from the
  latest checkpoint (its replica `seed_index` when trained with num_seeds > 1); `label` >= 0
  asks a conditional model for that class; `temperature` is a sequence model's; `prior`
  'gmm<K>' decodes draws of a mixture fitted to the encoded training set (the same mixture
  for every `seed`: `genjax.latent_prior`)."""
  if num <= 0:
    raise GenjaxError(f"--num={num} must be positive")
  config = load_run_config(workdir)[0]
  family = families.build(config, run_data_info(workdir))
  replicas.check_index(seed_index, config, "--seed_index")  # Before the slower restore.
  if "sample" not in family.predict:
    raise GenjaxError(f"the {family.name!r} model in {workdir!r} cannot sample")
  fitted = latent_prior.check(family, prior) > 0  # Refused before the slower restore.
  state = replicas.select(restore_latest(family, config, workdir), seed_index, config)
  sample_fn = family.predict["sample"]
  if label >= 0:
    if not family.num_classes:
      raise GenjaxError(f"--label={label}: the model in {workdir!r} is not class-conditional")
    if label >= family.num_classes:
      raise GenjaxError(f"--label={label}: valid classes are 0..{family.num_classes - 1}")
    sample_fn = functools.partial(sample_fn, labels=jnp.full((num,), label, jnp.int32))
  if fitted:  # Classes uniform, or all `label`.
    labels = jnp.full((num,), label, jnp.int32) if label >= 0 else None
    sample_fn = latent_prior.sampler(family, state, config.data, prior)
    return np.asarray(sample_fn(state, jax.random.PRNGKey(seed), num, labels), np.float32)
  if family.data_info.is_sequence:
    sample_fn = functools.partial(sample_fn, temperature=float(temperature))
  images = np.asarray(jax.jit(sample_fn, static_argnums=2)(state, jax.random.PRNGKey(seed), num))
  return images if family.data_info.is_sequence else images.astype(np.float32)


def set_eval_field(config, item: str) -> None:
  """Applies `--set=evals.NAME.FIELD=VALUE`: an evaluator's option or its every_steps (0 turns
  on one that training ran without), typed as its value or default."""
  key, _, value = item.partition("=")
  parts = key.split(".")
  evals = config.get("evals", {})
  if len(parts) != 3 or parts[0] != "evals" or parts[1] not in evals:
    raise GenjaxError(f"--set={item!r}: only evaluator options can be set, as"
                      f" evals.NAME.FIELD=VALUE with NAME in {tuple(evals)}")
  name, field = parts[1], parts[2]
  if field == "type":
    raise GenjaxError(f"--set={item!r}: an evaluator's type cannot be changed; run another"
                      " config's evaluators with --evals_from=FILE")
  evaluators_lib.options_of(name, {**evals[name], field: None})  # Refuses an unknown field.
  default = evals[name].get(field, evaluators_lib.default_of(evals[name], field))
  try:
    evals[name][field] = type(default)(value)
  except ValueError:
    raise GenjaxError(f"--set={item!r}: {field} takes a {type(default).__name__}") from None


def eval_config(workdir: str, overrides=(), evals=None, only=()):
  """The run's config with the evaluators an evaluation runs: its `config.evals` (or `evals`
  instead; `only`: those of these names), the `overrides` ('evals.NAME.FIELD=value') set."""
  config = load_run_config(workdir)[0]
  if evals is not None:
    config.evals = ml_collections.ConfigDict(evals)
  if only:
    unknown = [name for name in only if name not in config.evals]
    if unknown:
      raise GenjaxError(f"--evals_only={','.join(only)}: no evaluator {', '.join(unknown)};"
                        f" valid are {', '.join(config.evals) or '(none)'}")
    config.evals = ml_collections.ConfigDict({k: config.evals[k].to_dict() for k in only})
  for item in overrides:
    set_eval_field(config, item)
  return config


def evaluate(workdir: str, overrides=(), evals=None, only=(), config=None):
  """(step, metrics) of the latest checkpoint of `workdir` under `eval_config(workdir,
  overrides, evals, only)` (or `config`, one it returned); with num_seeds > 1 the metrics are
  the replicas' mean, `<name>_std` spreads, and 'replicas': the list of per-replica metrics;
  'provenance' says what each evaluator's numbers depend on, where it says."""
  if config is None:
    config = eval_config(workdir, overrides, evals, only)
  family = families.build(config, run_data_info(workdir))
  evaluators = evaluators_lib.build(config, family)
  state = restore_latest(family, config, workdir)
  dataset = data_lib.load(config.data)
  eval_data = pipeline.eval_set(dataset, config.seed, config.data)
  per_replica = replicas.evaluate(lambda s, x: evaluators_lib.run(evaluators, s, x), state,
                                  eval_data, config)
  metrics = replicas.summarize(per_replica)
  if config.num_seeds > 1:
    metrics["replicas"] = per_replica
  about = {e.name: e.about for e in evaluators if e.about}
  if about:
    metrics["provenance"] = about
  return replicas.step(state, config), metrics


def components(state) -> dict:
  """{component: (net name, param key or None)} of a single-replica state: the VAE's
  'encoder' / 'decoder' (wherever their params live), else each network by its net name."""
  found = {}
  for net, net_state in state.nets.items():
    keys = [k for k in net_state.params if k in ("encoder", "decoder")]
    for key in keys:
      found[key] = (net, key)
    if not keys:
      found[net] = (net, None)
  return found


def _component(state, where):
  net, key = where
  net_state = state.nets[net]
  params = net_state.params if key is None else {key: net_state.params[key]}
  return params, (net_state.collections if key is None else {})


def init_sources(config, family) -> dict:
  """{component: (params, collections)} that `config.init_from` (comma-separated workdirs of
  trained runs) supplies to `family`: every component the family has and a source holds,
  checked shape for shape. Refused in one line per problem: a workdir supplying nothing, two
  supplying the same component, a parameter of another shape."""
  fresh = jax.eval_shape(family.init_state, 0)
  target = components(fresh)
  supplied, found = {}, []
  for workdir in [w for w in config.init_from.split(",") if w]:
    src_config = load_run_config(workdir)[0]
    src_family = families.build(src_config, run_data_info(workdir))
    state = replicas.select(restore_latest(src_family, src_config, workdir), 0, src_config)
    common = sorted(set(components(state)) & set(target))
    if not common:
      found.append(f"init_from={workdir!r} (a {src_family.name!r} run) holds none of the"
                   f" networks this {family.name!r} model has: {tuple(sorted(target))}")
    for name in common:
      if name in supplied:
        found.append(f"init_from: two workdirs supply the {name!r} network")
        continue
      params, collections = _component(state, components(state)[name])
      want, want_collections = _component(fresh, target[name])
      for (path, a), (_, b) in zip(jax.tree_util.tree_flatten_with_path(want)[0],
                                   jax.tree_util.tree_flatten_with_path(params)[0]):
        if a.shape != b.shape:
          found.append(f"init_from={workdir!r}: parameter {name}{jax.tree_util.keystr(path)}"
                       f" has shape {b.shape} there, {a.shape} here")
      if jax.tree.structure(want) != jax.tree.structure(params):
        found.append(f"init_from={workdir!r}: the {name!r} network has other layers there"
                     f" ({len(jax.tree.leaves(params))} parameters, {len(jax.tree.leaves(want))}"
                     " here)")
      supplied[name] = (params, collections if jax.tree.structure(collections) ==
                        jax.tree.structure(want_collections) else {})
  schema.raise_if(found)
  return supplied


def initialize(state, family, supplied: dict, config):
  """`state` (fresh, all replicas) with the `supplied` networks' parameters (and collections)
  copied in; optimizer states stay fresh."""
  target = components(jax.eval_shape(family.init_state, 0))
  nets = dict(state.nets)
  for name, (params, collections) in supplied.items():
    net, key = target[name]
    if config.num_seeds > 1:
      params, collections = jax.tree.map(
          lambda a: jnp.broadcast_to(a, (config.num_seeds,) + a.shape), (params, collections))
    new_params = params if key is None else {**nets[net].params, **params}
    nets[net] = nets[net].replace(params=new_params,
                                  collections=collections if key is None and collections
                                  else nets[net].collections)
  return state.replace(nets=nets)


class ClassifierInfo(NamedTuple):
  """What `classifier` loaded: the images it expects (H, W, C; values in [0, 1]), its class
  count K and feature width F, the checkpoint step, and a SHA-256 of its weights (their
  dtypes, shapes and bytes, as `checkpoint.digest`) to name the feature extractor by."""
  image_shape: Tuple[int, int, int]
  num_classes: int
  feature_dim: int
  step: int
  weights_sha256: str
  workdir: str


def classifier(workdir: str, batch_size: int = 500, seed_index: int = 0):
  """(fn, info): the latest verified checkpoint of a classifier workdir (written by
  experiments.train_classifier) as a feature extractor. fn(images float32[N, H, W, C] in
  [0, 1]) -> {'features': float32[N, F] (penultimate activations), 'probs': float32[N, K]}
  (numpy), computed jitted in batches of min(N, `batch_size`) (the last one padded);
  `seed_index` picks the replica of a run with num_seeds > 1."""
  config, image_shape, num_classes = load_run_config(workdir)
  name = config.model.get("name")
  if name != "classifier":
    raise GenjaxError(f"workdir {workdir!r} holds a {name!r} model, not a classifier: train one"
                      " with experiments.train_classifier")
  if not isinstance(batch_size, int) or batch_size <= 0:
    raise GenjaxError(f"batch_size={batch_size!r} must be a positive integer")
  family = families.build(config, families.DataInfo(image_shape, num_classes))
  replicas.check_index(seed_index, config, "seed_index")
  state = replicas.select(restore_latest(family, config, workdir), seed_index, config)
  variables = state.nets["classifier"].variables
  predict = family.predict

  @jax.jit
  def outputs(state, x_BxHxWxC):  # XLA computes the network once for both.
    return {"features": predict["features"](state, x_BxHxWxC),
            "probs": predict["probs"](state, x_BxHxWxC)}

  def fn(images_NxHxWxC):
    x = np.asarray(images_NxHxWxC, np.float32)
    if x.ndim != 4 or x.shape[1:] != image_shape:
      raise GenjaxError(f"the classifier of {workdir!r} takes images of shape [N, "
                        f"{', '.join(map(str, image_shape))}], got {x.shape}")
    if x.size and (x.min() < -1e-3 or x.max() > 1.0 + 1e-3):
      raise GenjaxError(f"the classifier takes images in [0, 1], got values in [{x.min():.3g},"
                        f" {x.max():.3g}] (map [-1, 1] images with (x + 1) / 2)")
    out = {"features": [np.zeros((0, info.feature_dim), np.float32)],
           "probs": [np.zeros((0, num_classes), np.float32)]}
    size = max(min(batch_size, len(x)), 1)
    for start in range(0, len(x), size):
      chunk = x[start:start + size]
      padded = np.pad(chunk, ((0, size - len(chunk)),) + ((0, 0),) * 3)
      for key, value in jax.device_get(outputs(state, padded)).items():
        out[key].append(np.asarray(value[:len(chunk)]))
    return {key: np.concatenate(parts) for key, parts in out.items()}

  info = ClassifierInfo(image_shape, num_classes, int(config.model.net.hidden),
                        replicas.step(state, config), checkpoint.digest(variables), workdir)
  return fn, info
