"""Flag parsing for the absl mains: bad flags (an unknown or mistyped --config.a.b override, a
missing --config file, a bad value) end in one line `error: ...` and exit code 2."""
import importlib.util
import os
import sys

from absl import app
from absl import flags

from genjax.errors import GenjaxError, one_line


def _config_flag(argv):
  """The --config file (the last one given wins, as in absl), or None."""
  paths = [arg.split("=", 1)[1].split(":", 1)[0] for arg in argv[1:]
           if arg.startswith("--config=")]
  return paths[-1] if paths else None


def _diagnose(argv) -> str:
  """What is wrong with the --config file or its overrides, one line per problem (or '')."""
  path = _config_flag(argv)
  if path is None:
    return ""
  try:
    config = load_config_file(path, "--config")
  except GenjaxError as e:
    return str(e)
  found = []
  for arg in argv[1:]:
    if not arg.startswith("--config."):
      continue
    key = arg[len("--config."):].split("=", 1)[0]
    section, parts = config, key.split(".")
    for depth, part in enumerate(parts):
      if not hasattr(section, "keys") or part not in section:
        where = ".".join(parts[:depth])
        valid = tuple(sorted(section.keys())) if hasattr(section, "keys") else ()
        found.append(f"{arg}: unknown config field {key}: valid {where or 'top-level'} fields"
                     f" are {valid}")
        break
      section = section[part]
  return "\n".join(found)


def load_config_file(path: str, flag: str):
  """`get_config()` of the config file `path`; a GenjaxError naming `flag` if it does not
  load."""
  if not os.path.isfile(path):
    raise GenjaxError(f"{flag}={path}: no such config file (configs/*.py hold the shipped ones)")
  spec = importlib.util.spec_from_file_location("_genjax_config", path)
  module = importlib.util.module_from_spec(spec)
  try:
    spec.loader.exec_module(module)
    return module.get_config()
  except Exception as e:  # pylint: disable=broad-except
    raise GenjaxError(f"{flag}={path} does not load: {type(e).__name__}: {e}") from None


def parse_flags(argv):
  """absl's flag parser, with one-line errors and exit code 2 instead of tracebacks."""
  path = _config_flag(argv)
  if path is not None and not os.path.isfile(path):  # config_flags would fail later, lazily.
    fail(_diagnose(argv))
  try:
    return flags.FLAGS(argv)
  except Exception as e:  # pylint: disable=broad-except  (flags.Error, config overrides)
    fail(_diagnose(argv) or one_line(e, limit=None))


def fail(error):
  """Prints `error` (a GenjaxError or a message: one problem per line) as `error: ...`
  lines, and exits 2."""
  for line in str(error).splitlines() or [""]:
    print(f"error: {line}", file=sys.stderr)
  sys.exit(2)


def run(main):
  """absl's app.run with one-line flag errors; a GenjaxError escaping `main` is printed
  without a traceback (see `fail`)."""
  def guarded(argv):
    try:
      return main(argv)
    except GenjaxError as e:
      fail(e)
  app.run(guarded, flags_parser=parse_flags)


