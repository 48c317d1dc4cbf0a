"""The contract between a model family and everything else (loop, mains, evaluators).

A family is a value: `FAMILIES[name](config, data_info) -> Family`, a bundle of pure
functions. The train loop, workdirs, mains, evaluators and the benchmark use only this.

Inside, each family module has the same shape, so a step can be forked by copying one
function: a frozen `Setup` (networks, optimizers, objective, options) from
`make_setup(config, data_info)`, and module-level `init_state(setup, seed)`,
`train_step(setup, state, batch, rng)` and predict functions `fn(setup, state, ...)`;
`build` binds them to the setup (`Family.setup` keeps it for a forked step, selected with
`config.model.train_step`, see `genjax.families.build`).

  init_state(seed) -> State
  train_step(state, batch, rng) -> (state, metrics)    # batch: {'image', 'label'?}, or
                                                         # sequences' {'tokens', 'length'}
  predict: {name: fn(state, ...)}                        # what evaluators and mains may call
  examples_per_step: examples one train step consumes (batch_size x slices)

Predict functions this codebase knows (a family provides those that make sense for it):
  sample(state, key, num, labels=None) -> x_NxHxWxC (training value range) or x_Nx2
  reconstruct(state, x_BxHxWxC) -> x_BxHxWxC          encode(state, x) -> (mean_BxZ, log_std_BxZ)
  prior(key, num) -> z_NxZ (the model's latent prior)  decode(state, z_BxZ, labels=None) -> x_BxHxWxC
  neg_elbo(state, x, key) -> nats float[B]            iwae_nll(state, x, key, k, chunk) -> float[B]
  score(state, x, labels=None) -> discriminator logit float[B]
  disc_features(state, x, labels=None) -> a VAE-GAN's learned-similarity features float[B, F]
  logits(state, x01_BxHxWxC) -> float[B, K]           probs(state, x01) -> softmax float[B, K]
  features(state, x01) -> a classifier's penultimate activations float[B, F]
Sequence families (tokens_BxT int32 with BOS/EOS/PAD, length_B: tokens before the padding):
  sample(state, key, num) -> tokens_NxT                smiles(tokens_NxT) -> list of str (host)
  encode(state, tokens, length) -> (mean, log_std)     neg_elbo(state, tokens, length, key)
  generate(state, z_NxZ, key, temperature) -> {'tokens', 'length', 'log_prob'}
  log_likelihood(state, tokens, length, z) -> nats float[B] (teacher-forced log p(x|z))
  reconstruct(state, tokens, length) -> tokens (greedy, from the posterior mean)
"""
import dataclasses
from typing import Any, Callable, Dict, Mapping, NamedTuple, Tuple

import flax
import jax


@dataclasses.dataclass(frozen=True)
class DataInfo:
  """What a family needs to know of its data: the example shape and the class count, and for
  token sequences the vocabulary."""
  shape: Tuple[int, ...]  # (H, W, C) images, (D,) points or (T,) token sequences.
  num_classes: int = 0
  vocab: Tuple[str, ...] = ()  # Sequences: the token strings in id order (genjax.data.smiles).

  def __post_init__(self):
    object.__setattr__(self, "shape", tuple(self.shape))
    object.__setattr__(self, "vocab", tuple(self.vocab))

  @property
  def is_image(self) -> bool:
    return len(self.shape) == 3

  @property
  def is_sequence(self) -> bool:
    return bool(self.vocab)


@flax.struct.dataclass
class NetState:
  """One optimized network: parameters, its optimizer's state, mutable collections
  ({'batch_stats': ...} for batch norm and spectral-norm vectors, or {})."""
  params: Any
  opt_state: Any
  collections: Any

  @property
  def variables(self) -> dict:
    return {"params": self.params, **self.collections}


@flax.struct.dataclass
class State:
  """Everything a resumed run needs. `nets` holds one NetState per optimizer; `ema` holds
  exponential moving averages of some nets' variables ({net name: variables dict})."""
  step: jax.Array  # int32 scalar: train steps taken.
  rng: jax.Array   # uint32[2]: the root key, from config.seed.
  nets: Dict[str, NetState]
  ema: Dict[str, Any]


class Family(NamedTuple):
  name: str
  init_state: Callable[[int], State]
  train_step: Callable
  predict: Mapping[str, Callable]
  examples_per_step: int
  data_info: DataInfo
  num_classes: int = 0  # Classes the model is conditioned on (0: unconditional).
  setup: Any = None  # What the module-level step functions read besides the state.
  # Why a predict function this family provides in other configurations is missing in this
  # one ({name: reason}), for the one-line refusals of `genjax.families.require`.
  why_not: Mapping[str, str] = {}
