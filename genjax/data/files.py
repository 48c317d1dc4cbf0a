"""Readers for local image files: MNIST-style IDX (raw or .gz) and .npz."""
import gzip
import os
import zipfile
import zlib

import numpy as np

from genjax.errors import GenjaxError

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: str) -> bytes:
  if not path:
    raise GenjaxError("data.path is empty: set it to an IDX (.gz or raw) or .npz file")
  if not os.path.isfile(path):
    raise GenjaxError(f"data file {path!r} does not exist or is not a file")
  try:
    with open(path, "rb") as f:
      raw = f.read()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
  except (OSError, EOFError, gzip.BadGzipFile) as e:
    raise GenjaxError(f"data file {path!r} is unreadable: {e}") from None


def read_idx(path: str) -> np.ndarray:
  """Reads an IDX file (the MNIST format): magic 0x0000TTNN, NN big-endian dims, data."""
  raw = _read_bytes(path)
  if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
    raise GenjaxError(f"data file {path!r} is not an IDX file (bad magic number)")
  ndim = raw[3]
  header = 4 + 4 * ndim
  shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
  dtype = np.dtype(_IDX_DTYPES[raw[2]])
  if len(raw) != header + int(np.prod(shape)) * dtype.itemsize:
    raise GenjaxError(f"data file {path!r} is truncated: header says shape {shape}")
  return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def read_npz(path: str):
  """Reads `images` (N,H,W or N,H,W,C) and optional `labels` (N,) from an .npz file."""
  if not os.path.isfile(path):
    raise GenjaxError(f"data file {path!r} does not exist or is not a file")
  try:
    loaded = np.load(path)
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # An .npy: one array.
      raise ValueError("it holds one array (an .npy file?)")
    with loaded as f:
      if "images" not in f:
        raise GenjaxError(f"data file {path!r} has no 'images' array (has {sorted(f.files)})")
      return f["images"], (f["labels"] if "labels" in f else None)
  except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
    if isinstance(e, GenjaxError):
      raise
    raise GenjaxError(f"data file {path!r} is not a readable .npz file (truncated, damaged or"
                      f" not an .npz): {type(e).__name__}: {e}") from None


def unit_float(images: np.ndarray) -> np.ndarray:
  """uint8 images as float32 in [0, 1] (divided by 255); float32 ones as they are."""
  return images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images


def as_images(array: np.ndarray, path: str, keep_uint8: bool = False) -> np.ndarray:
  """Checks and converts to NHWC float32 in [0, 1] (uint8 is divided by 255, or kept as
  uint8 with `keep_uint8`: a quarter of the memory, converted by `unit_float` when used)."""
  if array.ndim == 3:
    array = array[..., None]
  if array.ndim != 4 or array.shape[-1] not in (1, 3) or min(array.shape) == 0:
    raise GenjaxError(
        f"data file {path!r} has images of shape {array.shape}: expected (N, H, W) or"
        " (N, H, W, C) with C in {1, 3}")
  if array.dtype == np.uint8:
    return array if keep_uint8 else unit_float(array)
  array = array.astype(np.float32)
  if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
    raise GenjaxError(f"data file {path!r}: float images must lie in [0, 1]")
  return array
