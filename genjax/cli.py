"""Flag parsing for the absl mains: bad flags (an unknown or mistyped --config.a.b override, a
missing --config file, a bad value) end in one line `error: ...` and exit code 2; --help
exits 0."""
import importlib.util
import json
import os
import sys

from absl import app
from absl import flags
import ml_collections
from ml_collections import config_flags

from genjax import schema
from genjax.errors import GenjaxError, one_line

flags.disclaim_key_flags()  # A flag `define_config_file` defines is its caller's (in --help).
_HELP_FLAGS = ("help", "helpshort", "helpfull", "helpxml", "?")


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


# The repository root (the parent of this package in the README's editable install), where
# the shipped configs/ live.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_config_file(path: str) -> str:
  """`path` if it is a file; else the shipped config it names from any directory
  ('configs/X.py', 'X.py' or 'X', under the repository root); else `path` unchanged."""
  if os.path.isfile(path):
    return path
  for candidate in (path, os.path.join("configs", path), os.path.join("configs", f"{path}.py")):
    full = os.path.join(REPO_ROOT, candidate)
    if os.path.isfile(full):
      return full
  return path


def load_config_file(path: str, flag: str):
  """`get_config()` of the config file `path` (or the shipped config it names:
  `find_config_file`), or a run's saved config.json (`saved_config`); a GenjaxError naming
  `flag` if it does not load."""
  path = find_config_file(path)
  if not os.path.isfile(path):
    raise GenjaxError(f"{flag}={path}: no such config file (configs/*.py hold the shipped ones)")
  try:
    if path.endswith(".json"):
      return saved_config(path)
    spec = importlib.util.spec_from_file_location("_genjax_config", path)
    if spec is None:
      raise ValueError("a config file is a .py file (configs/*.py) or a run's config.json")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()
  except Exception as e:  # pylint: disable=broad-except
    raise GenjaxError(f"{flag}={path} does not load: {type(e).__name__}: {e}") from None


def _tuples(value):
  """JSON's lists as the tuples of the config files (so --config.a.b overrides parse)."""
  if isinstance(value, dict):
    return {k: _tuples(v) for k, v in value.items()}
  return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def saved_config(path: str) -> ml_collections.ConfigDict:
  """The config a run saved (DIR/config.json), as a workdir's is read (today's layout, newer
  fields filled), lists as tuples and each network's optimizer overrides typed again: the
  config of a config file, to rerun the run."""
  from genjax import run as run_lib  # pylint: disable=g-import-not-at-top
  with open(path) as f:
    saved = json.load(f)
  if not isinstance(saved, dict) or not {"model", "data"} <= set(saved):
    raise ValueError("not a run's config.json (it has no model and data sections)")
  saved = _tuples(schema.upgrade(saved))
  config = ml_collections.ConfigDict({**run_lib.NEWER_FIELDS, **saved})
  for name, section in saved.get("optim", {}).items():
    if isinstance(section, dict):  # Unset (None) fields: typed placeholders, as in configs.
      config.optim[name] = schema.net_optim(**{k: v for k, v in section.items() if v is not None})
  return config


class _ConfigFileParser(flags.ArgumentParser):
  """config_flags' parser of a config file (`parser`), taking a run's saved config.json too."""

  def __init__(self, name: str, parser):
    self.name, self._parser = name, parser

  def parse(self, argument):
    if not argument.endswith(".json"):
      return self._parser.parse(argument)
    config = load_config_file(argument, f"--{self.name}")
    config.lock()  # As config_flags locks a config file's.
    return config

  def flag_type(self):
    return self._parser.flag_type()


def define_config_file(name: str, default: str, help_string: str):
  """config_flags.DEFINE_config_file whose --NAME may also be a run's saved DIR/config.json
  (the run's config, to rerun it; --NAME.a.b overrides apply)."""
  holder = config_flags.DEFINE_config_file(name, find_config_file(default), help_string)
  flags.FLAGS[name].parser = _ConfigFileParser(name, flags.FLAGS[name].parser)
  return holder


def _found_configs(argv) -> list:
  """`argv` with each --config=PATH[:args] naming a shipped config by `find_config_file`."""
  out = list(argv[:1])
  for arg in argv[1:]:
    if arg.startswith("--config="):
      path, colon, rest = arg[len("--config="):].partition(":")
      arg = f"--config={find_config_file(path)}{colon}{rest}"
    out.append(arg)
  return out


def parse_flags(argv):
  """absl's flag parser, with one-line errors and exit code 2 instead of tracebacks; a
  --config naming a shipped config is found from any directory."""
  argv = _found_configs(argv)
  path = _config_flag(argv)
  if path is not None and not os.path.isfile(path):  # config_flags would fail later, lazily.
    fail(_diagnose(argv))
  try:
    return flags.FLAGS(argv)
  except SystemExit as e:  # absl exits 1 after printing --help: a success.
    asked = [a for a in argv[1:] if a.startswith("-") and a.lstrip("-") in _HELP_FLAGS]
    sys.exit(0 if asked and e.code == 1 else e.code)
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


