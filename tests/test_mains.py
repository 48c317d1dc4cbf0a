"""The absl mains as a user runs them: overrides, resume, sampling, and one-line errors."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = ["--config.num_steps=20", "--config.steps_per_call=5", "--config.log_every=10",
        "--config.eval_every=20", "--config.checkpoint_every=10", "--config.evals.nll.iwae_samples=10",
        "--config.evals.nll.iwae_chunk=5", "--config.evals.nll.iwae_examples=20"]


def run(module, *args):
  return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=300, env={**os.environ, "JAX_PLATFORMS": "cpu"})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
  path = str(tmp_path_factory.mktemp("main") / "run")
  result = run("experiments.main", "--config=configs/default.py", f"--workdir={path}",
               "--config.model.latent_dim=2", *FAST)
  assert result.returncode == 0, result.stderr[-3000:]
  return path, result


def test_main_trains_with_typed_overrides_and_logs_progress(workdir):
  path, result = workdir
  assert "step 20/20" in result.stderr and "steps/s" in result.stderr and "ETA" in result.stderr
  assert "\n  model.latent_dim=2\n" in result.stderr  # The config's diff from its default.
  assert sorted(os.listdir(os.path.join(path, "checkpoints"))) == ["10", "20"]


def test_rerun_resumes_from_the_latest_checkpoint(workdir):
  path, _ = workdir
  result = run("experiments.main", "--config=configs/default.py", f"--workdir={path}",
               "--config.model.latent_dim=2", *FAST[1:], "--config.num_steps=30")
  assert result.returncode == 0, result.stderr[-3000:]
  assert "Resumed from" in result.stderr and "at step 20" in result.stderr
  assert "step 30/30" in result.stderr and "step 10/30" not in result.stderr


def test_sample_writes_repeatable_npy_and_png(workdir, tmp_path):
  path, _ = workdir
  outs = {}
  for name, seed in (("a", 0), ("b", 0), ("c", 1)):
    out = str(tmp_path / f"{name}.npy")
    result = run("experiments.sample", f"--workdir={path}", "--num=10", f"--out={out}",
                 f"--seed={seed}")
    assert result.returncode == 0, result.stderr[-3000:]
    outs[name] = np.load(out)
  assert outs["a"].shape == (10, 8, 8, 1) and outs["a"].dtype == np.float32
  assert 0.0 <= outs["a"].min() and outs["a"].max() <= 1.0
  np.testing.assert_array_equal(outs["a"], outs["b"])
  assert not np.array_equal(outs["a"], outs["c"])
  png = str(tmp_path / "grid.png")
  assert run("experiments.sample", f"--workdir={path}", "--num=16", f"--out={png}").returncode == 0
  assert Image.open(png).size[0] > 8 * 4


def test_sample_from_a_mixture_fitted_to_the_encoded_training_set(workdir, tmp_path):
  path, _ = workdir
  outs = {}
  for name, prior, seed in (("a", "gmm3", 0), ("b", "gmm3", 0), ("c", "gmm3", 1),
                            ("n", "standard", 0)):
    out = str(tmp_path / f"{name}.npy")
    result = run("experiments.sample", f"--workdir={path}", "--num=10", f"--out={out}",
                 f"--seed={seed}", f"--prior={prior}")
    assert result.returncode == 0, result.stderr[-3000:]
    outs[name] = np.load(out)
  assert outs["a"].shape == (10, 8, 8, 1) and 0.0 <= outs["a"].min() <= outs["a"].max() <= 1.0
  np.testing.assert_array_equal(outs["a"], outs["b"])
  assert not np.array_equal(outs["a"], outs["c"]) and not np.array_equal(outs["a"], outs["n"])
  _assert_one_line_error(run("experiments.sample", f"--workdir={path}", "--out=x.npy",
                             "--prior=gmm"), "prior='gmm': valid are")


def _assert_one_line_error(result, *fragments):
  assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
  lines = [l for l in result.stderr.strip().splitlines() if l.startswith("error:")]
  assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
  for fragment in fragments:
    assert fragment in lines[0]


@pytest.mark.parametrize("override,fragments", [
    ("--config.model.name=gan9000", ("model.name", "'vae'")),
    ("--config.data.name=nope", ("data.name", "digits, idx, npz")),
    ("--config.batch_size=0", ("batch_size=0",)),
    ("--config.data.name=idx", ("data.path",)),
    ("--config.model.latnet_dim=2", ("unknown config field model.latnet_dim", "'latent_dim'")),
    ("--config.num_steps=abc", ("--config.num_steps=abc", "invalid literal for int()")),
    ("--config=configs/nope.py", ("--config=configs/nope.py: no such config file",)),
])
def test_main_bad_input_is_a_one_line_error(tmp_path, override, fragments):
  result = run("experiments.main", "--config=configs/default.py",
               f"--workdir={tmp_path / 'run'}", override)
  _assert_one_line_error(result, *fragments)


def test_a_runs_saved_config_json_is_a_config_that_reruns_it(workdir, tmp_path):
  """--config=DIR/config.json (what a refused resume suggests) trains with the saved run's
  config; --config.a.b overrides apply (a tuple field too); a bad one is one line."""
  path, _ = workdir
  rerun = tmp_path / "rerun"
  steps = ["--config.num_steps=5", "--config.steps_per_call=5", "--config.log_every=5",
           "--config.eval_every=5", "--config.checkpoint_every=5",
           "--config.evals.nll.every_steps=-1"]
  result = run("experiments.main", f"--config={path}/config.json", f"--workdir={rerun}", *steps,
               "--config.model.encoder.hidden=(16,)")
  assert result.returncode == 0, result.stderr[-3000:]
  saved, again = (json.loads(open(os.path.join(d, "config.json")).read()) for d in (path, rerun))
  assert again["model"]["latent_dim"] == 2 and again["model"]["encoder"]["hidden"] == [16]
  assert again["num_steps"] == 5 and again["evals"]["nll"]["every_steps"] == -1
  for config in (saved, again):
    del config["model"]["encoder"]["hidden"], config["evals"]["nll"]["every_steps"]
    for key in ("num_steps", "steps_per_call", "log_every", "eval_every", "checkpoint_every"):
      del config[key]
  assert saved == again
  _assert_one_line_error(run("experiments.main", f"--config={path}/config.json",
                             f"--workdir={tmp_path / 'bad'}", "--config.model.latnet_dim=2"),
                         "unknown config field model.latnet_dim", "'latent_dim'")


@pytest.mark.parametrize("module,flag", [("experiments.main", "--help"),
                                         ("experiments.main", "--helpfull"),
                                         ("experiments.evaluate", "--help"),
                                         ("experiments.sample", "--help")])
def test_help_exits_0(module, flag):
  result = run(module, flag)
  assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
  assert "--workdir" in result.stdout and "error:" not in result.stderr


def test_every_bad_value_and_unknown_override_is_its_own_line_and_nothing_is_written(tmp_path):
  workdir = tmp_path / "run"
  result = run("experiments.main", "--config=configs/default.py", f"--workdir={workdir}",
               "--config.num_steps=0", "--config.loss.vae.name=nope",
               "--config.model.encoder.net=transformer", "--config.optim.schedule=linear",
               "--config.data.placement=nowhere")
  assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
  lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
  for fragment in ("num_steps=0", "loss.vae.name='nope'", "model.encoder.net='transformer'",
                   "optim.schedule='linear'", "data.placement='nowhere'"):
    assert sum(fragment in l for l in lines) == 1, (fragment, lines)
  assert len(lines) == 5 and not workdir.exists()
  result = run("experiments.main", "--config=configs/gan_ring8.py", f"--workdir={workdir}",
               "--config.model.latnet_dim=2", "--config.loss.gan.nmae=x")
  lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
  assert result.returncode == 2 and len(lines) == 2, result.stderr[-2000:]
  assert "valid loss.gan fields are (" in lines[1] and not workdir.exists()


def test_sample_bad_input_is_a_one_line_error(tmp_path):
  _assert_one_line_error(run("experiments.sample", f"--workdir={tmp_path}", "--out=x.png"),
                         "config.json")
  _assert_one_line_error(run("experiments.sample", f"--workdir={tmp_path}", "--out=x.jpg"),
                         ".png", ".npy")


def test_evaluate_main_writes_json_and_takes_evaluator_options(workdir, tmp_path):
  path, _ = workdir
  out = str(tmp_path / "eval.json")
  result = run("experiments.evaluate", f"--workdir={path}", f"--out={out}",
               "--set=evals.nll.iwae_examples=5")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(out) as f:
    report = json.load(f)
  latest = max(int(s) for s in os.listdir(os.path.join(path, "checkpoints")))  # 20, or 30 after
  assert report["step"] == latest and report["eval/nll/nll"] > 0  # the resume test.
  assert report["eval/nll/neg_elbo"] > 0
  _assert_one_line_error(run("experiments.evaluate", f"--workdir={path}",
                             "--set=eval.iwae_examples=5"), "evals.NAME.FIELD")


def test_evaluate_main_takes_the_evaluators_of_another_config_file(workdir, tmp_path):
  """--evals_from runs a config file's evaluators on a workdir trained without them (here an
  NLL on one eval image under a new name), --evals_only picks some by name; a missing file
  or name is a one-line error."""
  path, _ = workdir
  config_file = tmp_path / "more_evals.py"
  config_file.write_text(
      "from configs import default\n\n\ndef get_config():\n"
      "  config = default.get_config()\n"
      "  config.evals.one_image = dict(config.evals.nll.to_dict(), iwae_examples=1,\n"
      "                                iwae_samples=5, iwae_chunk=5)\n"
      "  return config\n")
  outs = [str(tmp_path / f"{name}.json") for name in ("saved", "one_image")]
  result = run("experiments.evaluate", f"--workdir={path}", f"--out={outs[0]}",
               "--set=evals.nll.iwae_examples=5")
  assert result.returncode == 0, result.stderr[-3000:]
  result = run("experiments.evaluate", f"--workdir={path}", f"--out={outs[1]}",
               f"--evals_from={config_file}", "--evals_only=one_image")
  assert result.returncode == 0, result.stderr[-3000:]
  saved, one_image = (json.load(open(out)) for out in outs)
  assert saved["step"] == one_image["step"]
  # neg_elbo_all is on the whole eval split, at the batch size only: the same up to its draws.
  assert one_image["eval/one_image/neg_elbo_all"] == pytest.approx(saved["eval/nll/neg_elbo_all"],
                                                                 rel=0.05)  # Its own name.
  assert one_image["eval/one_image/nll"] != saved["eval/nll/nll"]  # One image's IWAE, not five's.
  _assert_one_line_error(run("experiments.evaluate", f"--workdir={path}",
                             f"--evals_from={tmp_path / 'missing.py'}"), "no such config file")
  _assert_one_line_error(run("experiments.evaluate", f"--workdir={path}",
                             f"--evals_from={config_file}", "--evals_only=moses"),
                         "no evaluator moses", "valid are nll, one_image")


def test_evaluate_main_records_its_options_and_keeps_an_evaluation_with_other_options(
    workdir):
  """DIR/eval/<step>.json records what the evaluation ran with; another evaluation of the same
  step with other options goes to DIR/eval/<step>_<hash>.json, not over it."""
  path, _ = workdir
  result = run("experiments.evaluate", f"--workdir={path}", "--set=evals.nll.iwae_examples=5")
  assert result.returncode == 0, result.stderr[-3000:]
  step = int(result.stdout.split()[1])
  first = os.path.join(path, "eval", f"{step}.json")
  assert f"wrote {first}" in result.stdout
  report = json.loads(open(first).read())
  assert report["options"]["set"] == ["evals.nll.iwae_examples=5"]
  assert report["options"]["evals"]["nll"]["iwae_examples"] == 5
  result = run("experiments.evaluate", f"--workdir={path}", "--set=evals.nll.iwae_examples=6")
  assert result.returncode == 0, result.stderr[-3000:]
  written = [f for f in os.listdir(os.path.join(path, "eval")) if f.startswith(f"{step}_")]
  assert len(written) == 1 and f"wrote {os.path.join(path, 'eval', written[0])}" in result.stdout
  assert json.loads(open(first).read()) == report  # Not overwritten.
  other = json.loads(open(os.path.join(path, "eval", written[0])).read())
  assert other["options"]["evals"]["nll"]["iwae_examples"] == 6


def test_an_evaluator_added_on_the_command_line_logs_under_its_name(tmp_path):
  """main --add_eval=NAME=TYPE --set=evals.NAME.FIELD=V trains with one more evaluator, kept
  in the run's config.json, so experiments.evaluate runs it again; a taken name is refused."""
  path = str(tmp_path / "run")
  added = ["--add_eval=second=nll", "--set=evals.second.iwae_examples=3",
           "--set=evals.second.iwae_samples=10", "--set=evals.second.iwae_chunk=5"]
  result = run("experiments.main", "--config=configs/default.py", f"--workdir={path}", *FAST,
               "--config.num_steps=10", *added)
  assert result.returncode == 0, result.stderr[-3000:]
  saved = json.load(open(os.path.join(path, "config.json")))["evals"]["second"]
  assert saved == {"type": "nll", "every_steps": 0, "iwae_examples": 3, "iwae_samples": 10,
                   "iwae_chunk": 5}
  out = str(tmp_path / "eval.json")
  result = run("experiments.evaluate", f"--workdir={path}", f"--out={out}",
               "--add_eval=third=nll", "--set=evals.third.iwae_examples=1")
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = json.load(open(out))
  assert {"eval/nll/nll", "eval/second/nll", "eval/third/nll"} <= set(metrics)
  assert metrics["eval/second/nll"] != metrics["eval/third/nll"]  # 3 images' IWAE vs 1's.
  _assert_one_line_error(run("experiments.main", "--config=configs/default.py",
                             f"--workdir={tmp_path / 'x'}", "--add_eval=nll=nll"),
                         "already has evals.nll")
  assert not os.path.exists(tmp_path / "x")


def test_evaluate_main_refuses_a_run_without_evaluators(workdir, tmp_path):
  """A run whose config.evals is empty (or has every evaluator off) has nothing to evaluate:
  one line naming how to add one, not an empty table."""
  path, _ = workdir
  for evals in ({}, {"nll": {"type": "nll", "every_steps": -1}}):
    copy = str(tmp_path / f"run{len(evals)}")
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns("eval"))
    config = json.loads(open(os.path.join(copy, "config.json")).read())
    config["evals"] = evals
    open(os.path.join(copy, "config.json"), "w").write(json.dumps(config))
    _assert_one_line_error(run("experiments.evaluate", f"--workdir={copy}"),
                           "nothing to evaluate", "--evals_from=", "--set=evals.NAME.every_steps=0")
    assert not os.path.exists(os.path.join(copy, "eval"))


def test_curves_main_tables_and_plots_a_logged_metric_over_wall_time(workdir, tmp_path):
  path, _ = workdir
  out = tmp_path / "curves"
  result = run("experiments.curves", f"--workdirs={path}", "--tag=eval/nll/nll",
               "--reference=50=a reference", f"--out={out}")
  assert result.returncode == 0, result.stderr[-3000:]
  report = json.loads((out / "curves.json").read_text())
  points = report["runs"]["run"]
  steps = [p[0] for p in points]
  assert 20 in steps and steps == sorted(steps) and all(v > 0 for _, _, v in points)
  seconds = [p[1] for p in points]
  # Seconds since the run's first event: a 20-step run's, not epoch times.
  assert seconds == sorted(seconds) and 0 <= seconds[0] and seconds[-1] < 300
  assert report["references"] == [[50.0, "a reference"]]
  assert "| run | 20 |" in (out / "curves.md").read_text() and (out / "curves.png").stat().st_size
  _assert_one_line_error(run("experiments.curves", f"--workdirs={path}", "--tag=eval/fid",
                             f"--out={out}"), "logged no 'eval/fid'", "eval/nll/nll")


def test_sample_main_draws_the_requested_class_of_a_conditional_gan(tmp_path):
  workdir = str(tmp_path / "cgan")
  result = run("experiments.main", "--config=configs/hinge_sn_digits.py", f"--workdir={workdir}",
               "--config.model.conditioning=projection", "--config.model.generator.width=8",
               "--config.model.discriminator.width=8", "--config.optim.gen.b1=0.25",
               "--config.batch_size=16", "--config.num_steps=2", "--config.log_every=1",
               "--config.eval_every=2", "--config.checkpoint_every=2",
               "--config.eval.num_samples_png=4")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(workdir, "config.json")) as f:
    optim = json.load(f)["optim"]  # A per-network override, typed by its placeholder:
  assert (optim["gen"]["b1"], optim["disc"]["b1"], optim["b1"]) == (0.25, None, 0.0)
  assert optim["disc"]["learning_rate"] == 4e-4  # hinge_sn's TTUR rate for D.
  outs = {}
  for label in (3, 7):
    out = str(tmp_path / f"{label}.npy")
    result = run("experiments.sample", f"--workdir={workdir}", "--num=4", f"--out={out}",
                 f"--label={label}")
    assert result.returncode == 0, result.stderr[-3000:]
    outs[label] = np.load(out)
  assert outs[3].shape == (4, 8, 8, 1) and not np.allclose(outs[3], outs[7])
  _assert_one_line_error(run("experiments.sample", f"--workdir={workdir}", "--out=x.npy",
                             "--label=10"), "valid classes are 0..9")
  _assert_one_line_error(run("experiments.sample", f"--workdir={workdir}", "--out=x.npy",
                             "--prior=gmm10"), "'gan' model has no encode")


def test_mode_coverage_study_writes_per_seed_rows_and_their_spread(tmp_path):
  out = str(tmp_path / "study")
  result = run("experiments.mode_coverage", "--config=configs/gan_ring8.py", f"--workdir={out}",
               "--seeds=2", "--config.num_steps=20", "--config.steps_per_call=10",
               "--config.log_every=10", "--config.eval_every=20", "--config.checkpoint_every=20",
               "--config.model.generator.hidden=(16,)",
               "--config.model.discriminator.hidden=(16,)")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(out, "mode_coverage.json")) as f:
    report = json.load(f)
  assert [r["seed"] for r in report["seeds"]] == [0, 1]
  for name in ("modes", "high_quality", "spread", "raw/modes", "raw/high_quality"):
    values = [r[name] for r in report["seeds"]]
    assert report["summary"][name] == pytest.approx({"mean": np.mean(values), "std": np.std(values)})
  assert "| mean +- std |" in result.stdout and "| KL | spread |" in result.stdout
  bad = run("experiments.mode_coverage", "--config=configs/default.py", f"--workdir={out}_bad")
  assert bad.returncode == 2 and "the study needs ring8 or grid25" in bad.stderr


def test_mode_coverage_study_of_a_self_conditioned_gan(tmp_path):
  """The study scores a GAN conditioned on the data's k-means pseudo-classes (its family is
  built with the data's classes, as training built it)."""
  out = str(tmp_path / "study")
  result = run("experiments.mode_coverage", "--config=configs/gan_ring8.py", f"--workdir={out}",
               "--seeds=1", "--config.num_steps=10", "--config.steps_per_call=10",
               "--config.log_every=10", "--config.eval_every=10", "--config.checkpoint_every=10",
               "--config.model.generator.hidden=(16,)", "--config.model.discriminator.hidden=(16,)",
               "--config.data.pseudo_labels=kmeans4", "--config.model.conditioning=projection")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(out, "mode_coverage.json")) as f:
    (row,) = json.load(f)["seeds"]
  assert 0 <= row["modes"] <= 8 and 0 <= row["high_quality"] <= 1


def test_the_console_shows_our_lines_not_library_chatter(tmp_path):
  """A first run on a fresh tfds folder: no "Downloading" line for the embedded digits (nothing
  is downloaded), no progress bars, no Orbax INFO records; the progress and eval lines."""
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "TFDS_DATA_DIR": str(tmp_path / "tfds")}
  result = subprocess.run([sys.executable, "-m", "experiments.main", "--config=configs/default.py",
                           f"--workdir={tmp_path / 'run'}", *FAST], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  output = result.stdout + result.stderr
  assert "Downloading" not in output and "Generating splits" not in output
  info = [line for line in result.stderr.splitlines() if line.startswith("I")]
  assert not [line for line in info if "orbax" in line.lower() or "checkpoint_manager" in line]
  assert any("step 20/20" in line for line in info) and any("eval at step 20" in line for line in info)
  # What a researcher reads: the config as its diff from the family default, data loading,
  # the model, compilation (each timed), progress, eval, where the results are; no YAML dump.
  lines = result.stderr.splitlines()
  assert len(lines) <= 20, "\n".join(lines)
  for fragment in ("fields differ from genjax/defaults/vae.py", "Loaded data 'digits': 1437"
                   " train / 360 eval", "Model 'vae':", "Compiled 5-step train call in",
                   "Finished step 20: checkpoints in", "tensorboard --logdir"):
    assert any(fragment in line for line in lines), fragment
  assert not any(line.startswith("model:") or "!!python" in line for line in lines)


def test_reconstructions_main_writes_a_grid_of_originals_and_each_models_reconstruction(
    workdir, tmp_path):
  path, _ = workdir
  png = str(tmp_path / "triples.png")
  result = run("experiments.reconstructions", f"--workdirs={path},{path}", "--num=8",
               f"--out={png}")
  assert result.returncode == 0, result.stderr[-3000:]
  width, height = Image.open(png).size
  assert width > 2 * height  # 4 triples per row, 2 rows of 8x8 digits.
  _assert_one_line_error(run("experiments.reconstructions", f"--workdirs={tmp_path}",
                             f"--out={png}"), "config.json")


def test_tensorboard_starts_and_reads_a_runs_curves(workdir):
  """`tensorboard --logdir DIR` as the README says: the viewer is installed by the README's
  install and serves the run's train and eval scalars."""
  import shutil as shutil_lib  # pylint: disable=g-import-not-at-top,reimported
  import time  # pylint: disable=g-import-not-at-top
  import urllib.request  # pylint: disable=g-import-not-at-top
  path, _ = workdir
  binary = shutil_lib.which("tensorboard") or os.path.join(os.path.dirname(sys.executable),
                                                           "tensorboard")
  assert os.path.exists(binary), "the README's install provides the tensorboard command"
  server = subprocess.Popen([binary, "--logdir", path, "--port", "0", "--bind_all"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
  try:
    url = None
    deadline = time.time() + 120
    while url is None and time.time() < deadline:
      line = server.stdout.readline()
      if "http://" in line:
        url = line[line.index("http://"):].split()[0].rstrip("/")
    assert url, "tensorboard did not start"
    url = url.replace(url.split("//")[1].split(":")[0], "localhost", 1)
    tags = json.loads(urllib.request.urlopen(f"{url}/data/plugin/scalars/tags", timeout=60).read())
    found = {tag for run_tags in tags.values() for tag in run_tags}
    assert {"train/loss", "eval/nll/nll"} <= found, found
  finally:
    server.kill()


def test_the_mains_run_from_any_directory_with_a_shipped_config_named(tmp_path):
  """From outside the repository: --config names a shipped config by name, the data files
  are found through configs.DATA_DIR, the experiments package is importable (editable install)."""
  env = {**os.environ, "JAX_PLATFORMS": "cpu"}
  env["PYTHONPATH"] = ""  # Only the install: not the repository as the current directory.
  result = subprocess.run(
      [sys.executable, "-m", "experiments.main", "--config=vae_plain_mnist10k",
       f"--workdir={tmp_path / 'run'}", "--config.num_steps=4", "--config.steps_per_call=2",
       "--config.log_every=2", "--config.eval_every=4", "--config.checkpoint_every=4",
       "--config.evals.classifier.every_steps=-1", "--config.evals.classifier_gmm10.every_steps=-1",
       "--config.evals.nll.iwae_examples=2", "--config.evals.nll.iwae_samples=10",
       "--config.evals.nll.iwae_chunk=5"],
      cwd=str(tmp_path), capture_output=True, text=True, timeout=300, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "Loaded data 'idx': 8000 train / 2000 eval" in result.stderr
  saved = json.load(open(tmp_path / "run" / "config.json"))
  assert os.path.isabs(saved["data"]["path"]) and os.path.isfile(saved["data"]["path"])
