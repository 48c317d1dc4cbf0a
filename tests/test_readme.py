"""Every shell command of the README's guide runs, as written, with tiny step counts and in a
temporary folder (its /tmp paths moved there), in the README's order (later commands read
earlier runs), or is listed in SKIPPED with the reason; a README command cannot rot."""
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # Trains a dozen tiny runs: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIPPED = {  # Command prefix: why the test does not run it.
    "python3 -m venv": "the install itself: CI runs it on a fresh clone (the train command that"
                       " follows it runs below, as step 1 of the tour)",
    "python -m pytest": "the test suite itself",
}
# Appended to each main's command (later flags win): a few steps, one eval and checkpoint.
TINY_TRAIN = ["--config.num_steps=4", "--config.steps_per_call=2", "--config.log_every=2",
              "--config.eval_every=4", "--config.checkpoint_every=4"]
# The VAE configs' IWAE NLL evaluator, small (the tour's runs are VAEs but for the GANs).
TINY_NLL_TRAIN = ["--config.evals.nll.iwae_samples=10", "--config.evals.nll.iwae_chunk=5",
                  "--config.evals.nll.iwae_examples=20"]
TINY_NLL_EVAL = ["--set=evals.nll.iwae_samples=10", "--set=evals.nll.iwae_chunk=5"]


def readme_commands() -> list:
  """The shell commands of README.md's ```bash blocks, continuation lines joined."""
  text = open(os.path.join(ROOT, "README.md")).read()
  commands = []
  for block in re.findall(r"```bash\n(.*?)```", text, re.S):
    joined = block.replace("\\\n", " ")
    commands += [" ".join(line.split()) for line in joined.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
  return commands


def as_run(command: str, tmp: str) -> list:
  """The argv the test runs for `command`: /tmp moved to `tmp`, tiny settings appended; a
  command chained after the install (`&&`) is its last part."""
  command = command.split(" && ")[-1].replace("/tmp/", f"{tmp}/")
  argv = command.split()
  assert argv[:2] == ["python", "-m"], command
  module, nll = argv[2], ("vae" in command or "default.py" in command or "conv" in command)
  if module == "experiments.main":
    argv += TINY_TRAIN + (TINY_NLL_TRAIN if nll else [])
  elif module == "experiments.evaluate":
    argv += TINY_NLL_EVAL
  return [sys.executable] + argv[1:]


def test_every_readme_command_runs_or_is_skipped_with_a_reason(tmp_path):
  commands = readme_commands()
  assert len(commands) >= 10, commands
  ran = []
  for command in commands:
    if any(command.startswith(prefix) for prefix in SKIPPED):
      if "&&" not in command:
        continue
    argv = as_run(command, str(tmp_path))
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    ran.append(argv[2])
  assert ran.count("experiments.main") >= 5 and "experiments.sample" in ran
  assert os.path.isfile(tmp_path / "sevens.png") and os.path.isfile(tmp_path / "ring3.npy")


def test_the_readme_is_read_whole():
  """The parser sees every command (none lost to a continuation line or a comment)."""
  commands = readme_commands()
  assert any("--config.model.latent_dim=2" in c and c.startswith("python -m experiments.main")
             for c in commands)
  assert all(c.startswith(("python ", "python3 ")) for c in commands), commands
