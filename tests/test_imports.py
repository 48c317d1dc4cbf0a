"""Tests import some experiment modules in-process; pytest-xdist may put any of them in one
worker, so together they must define no flag twice (absl refuses a second definition)."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def modules_tests_import():
  names = set()
  for path in (ROOT / "tests").glob("test_*.py"):
    names.update(re.findall(r"from experiments import (\w+)", path.read_text()))
  return sorted(names)


def test_the_experiment_modules_tests_import_load_together():
  names = modules_tests_import()
  assert "benchmark" in names and "torch_reference" in names, names
  code = "\n".join(f"import experiments.{name}" for name in names)
  result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
  assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_two_mains_that_share_a_flag_name_do_not_load_together():
  """The check above can fail: torch_dcgan and benchmark both define --out."""
  code = "import experiments.benchmark\nimport experiments.torch_dcgan"
  result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
  assert result.returncode != 0 and "DuplicateFlagError" in result.stderr, result.stderr[-2000:]
