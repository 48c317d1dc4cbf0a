"""Reading ChemNet's weights from fcd_torch's file and writing the parameter file
genjax.feature_nets.chemnet.load reads (`experiments.convert_chemnet` is its command line).

Source: fcd_torch 1.0.7's wheel (`fcd_torch/ChemNet_v0.13_pretrained.pt` read straight out of
the zip) or that .pt: a torch-saved list of (layer type, (state dict, kwargs, info)) for two
Conv1d and two LSTM layers. Output: flax.serialization msgpack of {'conv1', 'conv2', 'lstm1',
'lstm2'} in the layout chemnet.features uses (conv kernels KxIxO, LSTM weights transposed to
IN x 4H and the two biases summed), plus `format` and the weights file's `source_sha256`.
torch is imported only to read the source.
"""
import hashlib
import io

import numpy as np

from genjax.errors import GenjaxError
from genjax.feature_nets import chemnet
from genjax.feature_nets import weight_files

WHEEL_MEMBER = "fcd_torch/ChemNet_v0.13_pretrained.pt"


def source_bytes(path: str) -> bytes:
  """The .pt file's bytes: the file itself, or read from within the wheel."""
  return weight_files.file_or_wheel_member(path, WHEEL_MEMBER,
                                           "fcd_torch-1.0.7-py3-none-any.whl")


def to_params(layers) -> dict:
  """chemnet's params from fcd_torch's list of (type, (state dict of np arrays, kwargs, info))."""
  kinds = [kind for kind, _ in layers]
  if kinds != ["Conv1d", "Conv1d", "LSTM", "LSTM"]:
    raise GenjaxError(f"the layers are {kinds}, not ChemNet's [Conv1d, Conv1d, LSTM, LSTM]")
  f32 = lambda a: np.ascontiguousarray(np.asarray(a, np.float32))
  params = {}
  for i, (_, (state, _, info)) in enumerate(layers[:2]):
    if info.get("activation") != "selu" or info.get("padding") != "same":
      raise GenjaxError(f"conv {i + 1} is {info}, not ChemNet's selu / same")
    params[f"conv{i + 1}"] = {"kernel": f32(np.transpose(state["weight"], (2, 1, 0)))}
  for i, (_, (state, _, info)) in enumerate(layers[2:]):
    if not info.get("reverse") or info.get("last") != (i == 1):
      raise GenjaxError(f"LSTM {i + 1} is {info}, not ChemNet's")
    params[f"lstm{i + 1}"] = {"w_ih": f32(state["weight_ih_l0"].T),
                              "w_hh": f32(state["weight_hh_l0"].T),
                              "b": f32(np.asarray(state["bias_ih_l0"], np.float64)
                                       + state["bias_hh_l0"])}
  chemnet._check_shapes(params, "the source")  # pylint: disable=protected-access
  return params


def read_source(path: str):
  """(fcd_torch's layer list with numpy arrays, sha256 of the .pt read)."""
  import torch  # pylint: disable=import-outside-toplevel  (only to read the source)
  raw = source_bytes(path)
  try:
    layers = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
  except Exception:  # pylint: disable=broad-except  (torch's messages run to paragraphs)
    raise GenjaxError(f"--source={path!r} is not fcd_torch's ChemNet_v0.13_pretrained.pt"
                      " (or it is damaged)") from None
  try:
    layers = [(kind, ({k: v.detach().numpy() for k, v in state.items()}, kwargs, info))
              for kind, (state, kwargs, info) in layers]
  except (TypeError, ValueError, AttributeError):
    raise GenjaxError(f"--source={path!r} is not a list of fcd_torch layers") from None
  return layers, hashlib.sha256(raw).hexdigest()


def convert(source: str, out: str) -> str:
  """Writes `out` from `source`; returns the sha256 of the .pt read from it."""
  layers, digest = read_source(source)
  try:
    params = to_params(layers)
  except (GenjaxError, KeyError) as e:
    raise GenjaxError(f"--source={source!r}: {e}") from None
  weight_files.write_params(out, chemnet.FORMAT, digest, params)
  return digest
