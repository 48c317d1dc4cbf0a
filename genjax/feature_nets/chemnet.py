"""ChemNet (Preuer et al. 2018) in JAX: SMILES -> 512-d features, for the Frechet ChemNet
Distance (FCD) of the MOSES benchmark.

The network and its weights are fcd_torch 1.0.7's (`fcd_torch/ChemNet_v0.13_pretrained.pt` in
its wheel, MIT; a port of the Keras original that MOSES scores with), re-stated here layer by
layer so that genjax needs neither torch nor fcd_torch to run it:

  one-hot_Bx350x35 / 35 -> Conv1d(35->32, k4, s2, 'same', no bias) -> SELU
  -> Conv1d(32->32, k4, s2, 'same', no bias) -> SELU           (350 -> 175 -> 88 steps)
  -> reverse time -> LSTM(32->128) -> reverse time -> LSTM(128->512) -> last step's h.

Both LSTMs run over all 88 steps, padding included (the zeros after the end still move the
state), as fcd_torch does. `python -m experiments.convert_chemnet` turns the wheel (or the
.pt) into the parameter file `load` reads (torch only for that).

Tokens (fcd_torch's `get_one_hot`): the 35-symbol vocabulary below, a symbol being two
characters when the next character is one of 'r', 'i', 'l' (Br, Cl, Si, ...), unknown symbols
'X', then '.' as end; at most 349 symbols + '.'; rows after the end are all zero.
"""
import functools
import hashlib
import os

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from genjax.errors import GenjaxError, one_line
from genjax.feature_nets import weight_files

VOCAB = ("C", "N", "O", "H", "F", "Cl", "P", "B", "Br", "S", "I", "Si", "#", "(", ")", "+", "-",
         "1", "2", "3", "4", "5", "6", "7", "8", "=", "[", "]", "@", "c", "n", "o", "s", "X", ".")
LENGTH = 350                 # Symbols per SMILES, end and padding included.
FEATURES = 512               # Width of the last LSTM: the FCD feature.
FORMAT = "genjax-chemnet-v1"
DEFAULT_PATH = os.path.join("~", ".cache", "genjax", "chemnet.msgpack")
MAKE_IT = ("install the extras that carry them, pip install -e '.[fid,molecules]' (fcd-torch:"
           " converted on first use), or convert a file: python -m experiments.convert_chemnet"
           " --source=DIR/fcd_torch-1.0.7-py3-none-any.whl --out={path}")
# The weights' source in the `molecules` extra's package, converted on first use (`load`).
PACKAGE, PACKAGE_MEMBER = "fcd_torch", "fcd_torch/ChemNet_v0.13_pretrained.pt"
_C2I = {c: i for i, c in enumerate(VOCAB)}
_HIGHEST = jax.lax.Precision.HIGHEST
SHAPES = {"conv1": {"kernel": (4, 35, 32)}, "conv2": {"kernel": (4, 32, 32)},
          "lstm1": {"w_ih": (32, 512), "w_hh": (128, 512), "b": (512,)},
          "lstm2": {"w_ih": (128, 2048), "w_hh": (512, 2048), "b": (2048,)}}


def tokenize(smiles: str) -> np.ndarray:
  """int32_350 symbol ids of fcd_torch's get_one_hot (-1: padding row)."""
  smiles = smiles + "."
  ids = np.full(LENGTH, -1, np.int32)
  src = dst = 0
  while True:
    step = 2 if smiles[src + 1] in "ril" else 1
    ids[dst] = _C2I.get(smiles[src:src + step], _C2I["X"])
    src, dst = src + step, dst + 1
    if smiles[src] == "." or dst == LENGTH - 1:
      ids[dst] = _C2I["."]
      return ids


def same_padding(length: int, kernel: int, stride: int) -> tuple:
  """(left, right) zeros that fcd_torch's SamePadding1d adds to a length-`length` input: for
  ChemNet (k 4, s 2): (1, 1) at 350 steps, (1, 2) at 175."""
  pad = max(kernel - (stride if length % stride == 0 else length % stride), 0)
  if pad % stride == 0:
    return pad // stride, pad // stride
  return pad // stride, pad - pad // stride


def _conv_selu(x_BxLxC, kernel_KxCxO, stride=2):
  pad = same_padding(x_BxLxC.shape[1], kernel_KxCxO.shape[0], stride)
  y = jax.lax.conv_general_dilated(x_BxLxC, kernel_KxCxO, (stride,), [pad],
                                   dimension_numbers=("NWC", "WIO", "NWC"), precision=_HIGHEST)
  return jax.nn.selu(y)


def _lstm(p, x_BxTxI):
  """PyTorch's LSTM (gates i, f, g, o; b = b_ih + b_hh) from zero state: h_BxTxH."""
  hidden = p["w_hh"].shape[0]
  xw_TxBx4H = jnp.einsum("bti,ig->tbg", x_BxTxI, p["w_ih"], precision=_HIGHEST) + p["b"]

  def step(carry, xw_Bx4H):
    h, c = carry
    i, f, g, o = jnp.split(xw_Bx4H + jnp.dot(h, p["w_hh"], precision=_HIGHEST), 4, -1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (h, c), h

  zeros = jnp.zeros((x_BxTxI.shape[0], hidden), x_BxTxI.dtype)
  _, h_TxBxH = jax.lax.scan(step, (zeros, zeros), xw_TxBx4H)
  return jnp.swapaxes(h_TxBxH, 0, 1)


@jax.jit
def features(params, ids_BxL):
  """float32 features_Bx512 of the int32 symbol ids_BxL (`tokenize`; -1 rows are zeros)."""
  x = jax.nn.one_hot(ids_BxL, len(VOCAB), dtype=jnp.float32) / len(VOCAB)
  x = _conv_selu(_conv_selu(x, params["conv1"]["kernel"]), params["conv2"]["kernel"])
  x = _lstm(params["lstm1"], x[:, ::-1])[:, ::-1]
  return _lstm(params["lstm2"], x)[:, -1]


def signature(params) -> dict:
  return {f"{k}/{n}": tuple(np.shape(v)) for k, sub in params.items() for n, v in sub.items()}


def _check_shapes(params, path):
  want = {f"{k}/{n}": s for k, sub in SHAPES.items() for n, s in sub.items()}
  if signature(params) != want:
    raise GenjaxError(f"{path} does not hold ChemNet's weights: shapes {signature(params)}")


@functools.lru_cache(maxsize=2)
def load(path: str = DEFAULT_PATH) -> tuple:
  """(params, sha256 of the file) from the parameter file `experiments.convert_chemnet`
  writes; a missing or foreign file raises a one-line GenjaxError saying how to make it."""
  full = os.path.expanduser(path)
  if not os.path.isfile(full) and full == os.path.expanduser(DEFAULT_PATH):
    from genjax.feature_nets import chemnet_weights  # pylint: disable=g-import-not-at-top
    weight_files.convert_on_first_use(full, "ChemNet", PACKAGE, PACKAGE_MEMBER,
                                      chemnet_weights.convert)
  if not os.path.isfile(full):
    raise GenjaxError(f"no ChemNet weights at {path}: {MAKE_IT.format(path=path)}")
  with open(full, "rb") as f:
    raw = f.read()
  try:
    tree = serialization.msgpack_restore(raw)
  except Exception as e:  # pylint: disable=broad-except  (msgpack's errors vary)
    raise GenjaxError(f"{path} is not a ChemNet parameter file ({one_line(e, 80)}):"
                      f" {MAKE_IT.format(path=path)}") from None
  if not isinstance(tree, dict) or tree.get("format") != FORMAT:
    raise GenjaxError(f"{path} is not a {FORMAT} file: {MAKE_IT.format(path=path)}")
  params = {k: {n: jnp.asarray(v, jnp.float32) for n, v in tree[k].items()} for k in SHAPES}
  _check_shapes(params, path)
  return params, hashlib.sha256(raw).hexdigest()


def smiles_features(params, smiles_list, batch_size: int = 1024) -> np.ndarray:
  """float32 features_Nx512 of N SMILES, as given (canonicalize before, as FCD does)."""
  out = []
  for start in range(0, len(smiles_list), batch_size):
    ids = np.stack([tokenize(s) for s in smiles_list[start:start + batch_size]])
    n = len(ids)
    if n < batch_size and len(smiles_list) > batch_size:   # One compiled shape for all.
      ids = np.concatenate([ids, np.full((batch_size - n, LENGTH), -1, np.int32)])
    out.append(np.asarray(features(params, ids))[:n])
  return np.concatenate(out) if out else np.zeros((0, FEATURES), np.float32)
