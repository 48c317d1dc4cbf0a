"""Starting a run from trained networks (`config.init_from`): every component a family has
(the VAE's `encoder` and `decoder`, wherever their parameters live; else each network of
`State.nets` by name) that another run holds is copied in at step 0, its optimizer state fresh.

`config.init_from` is comma-separated entries, each a workdir of a trained run or a config
file (`configs/X.py`), trained first (or reused) in the runs cache (`genjax.runs_cache`), so
a pretrained model needs no command before its config.
"""
import jax
import jax.numpy as jnp

from genjax import run as run_lib
from genjax import schema


def entries(init_from: str) -> list:
  """The comma-separated entries of `config.init_from`, spaces ignored."""
  return [e.strip() for e in init_from.split(",") if e.strip()]


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


def sources(config, family, workdirs) -> dict:
  """{component: (params, collections)} that `workdirs` (trained runs: `config.init_from`
  resolved) supply to `family`: every component the family has and a source holds, checked
  shape for shape. Refused in one line per problem: a workdir supplying nothing, two
  supplying the same component, a parameter of another shape."""
  fresh = jax.eval_shape(family.init_state, 0)
  target = components(fresh)
  supplied, found = {}, []
  del config
  for workdir in workdirs:
    source = run_lib.open_run(workdir)
    src_family, state = source.family, source.restore(0)
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
