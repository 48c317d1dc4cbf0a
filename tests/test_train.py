"""End-to-end training: files written, exact resume, refusal of bad workdirs and configs."""
import logging
import os
import shutil

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from genjax import run as run_lib
from genjax import train
from genjax.errors import GenjaxError
from tests.conftest import eleven_step_epochs, tiny


def _params(state):
  """Every network's parameters, optimizer state and collections."""
  return jax.tree.leaves(jax.device_get(state.nets))


def test_training_writes_checkpoints_events_samples_and_config(tmp_path):
  workdir = str(tmp_path / "run")
  state = train.train_and_evaluate(tiny(), workdir)
  assert int(state.step) == 20
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == ["10", "20"]
  events = os.listdir(os.path.join(workdir, "tensorboard"))
  assert any(name.startswith("events.out.tfevents") for name in events)
  samples = sorted(os.listdir(os.path.join(workdir, "samples")))
  assert samples == ["curves.png", "reconstructions_0000010.png", "reconstructions_0000020.png",
                     "samples_0000010.png", "samples_0000020.png"]
  from PIL import Image  # pylint: disable=g-import-not-at-top
  assert Image.open(os.path.join(workdir, "samples", "curves.png")).size[0] > 600  # 4 panels wide.
  config, image_shape, num_classes = run_lib.read_config(workdir)
  assert config.num_steps == 20 and image_shape == (8, 8, 1) and num_classes == 10


def test_no_picture_grids_with_num_samples_png_0_and_a_negative_count_is_refused(tmp_path):
  config = tiny()
  config.num_steps, config.eval.num_samples_png = 10, 0
  train.train_and_evaluate(config, str(tmp_path / "run"))
  assert not os.path.exists(tmp_path / "run" / "samples") or not os.listdir(
      tmp_path / "run" / "samples")
  config.eval.num_samples_png = -1
  with pytest.raises(GenjaxError, match=r"eval.num_samples_png=-1 must be an integer >= 0"):
    train.check_config(config)


def test_event_file_holds_the_scalars(tmp_path):
  from genjax.applications import curves  # pylint: disable=g-import-not-at-top
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(tiny(), workdir)
  tags = set(curves.read_events(workdir)[1])
  assert {"train/loss", "train/kl", "eval/nll/nll", "eval/nll/neg_elbo", "samples"} <= tags


@pytest.mark.slow
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_resume_after_interruption_is_bit_exact(tmp_path, caplog, schedule):
  config = tiny()
  config.optim.schedule = schedule
  config.optim.warmup_steps = 3
  eleven_step_epochs(config)  # Killed after step 15: mid-way through the second epoch.
  straight = train.train_and_evaluate(config, str(tmp_path / "straight"))
  interrupted = str(tmp_path / "interrupted")
  train.train_and_evaluate(config, interrupted)
  shutil.rmtree(os.path.join(interrupted, "checkpoints", "20"))  # as if killed after step 15
  with caplog.at_level(logging.INFO):
    resumed = train.train_and_evaluate(config, interrupted)
  assert "at step 15" in caplog.text
  for a, b in zip(_params(straight), _params(resumed), strict=True):
    np.testing.assert_array_equal(a, b)


def _snapshot(directory):
  out = {}
  for root, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(root, name)
      out[path] = open(path, "rb").read()
  return out


@pytest.mark.slow
def test_incompatible_model_config_is_refused_and_nothing_is_touched(tmp_path):
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(tiny(), workdir)
  before = _snapshot(workdir)
  config = tiny()
  config.model.latent_dim = 6
  with pytest.raises(GenjaxError, match="model.latent_dim=4.*has 6"):
    train.train_and_evaluate(config, workdir)
  os.remove(os.path.join(workdir, "config.json"))  # now only the checkpoint can tell
  del before[os.path.join(workdir, "config.json")]
  with pytest.raises(GenjaxError, match="shape"):
    train.train_and_evaluate(config, workdir)
  assert _snapshot(workdir) == before


def test_a_resume_that_changes_loss_fields_lists_them_and_needs_the_flag(tmp_path, caplog):
  """Two loss fields and a model field changed: one error, one line each, nothing touched;
  with allow_loss_changes the loss changes alone resume (and say so)."""
  workdir = str(tmp_path / "run")
  config = tiny()
  config.num_steps = 10
  train.train_and_evaluate(config, workdir)
  before = _snapshot(workdir)
  config.num_steps = 20
  config.loss.vae.update(beta=0.5, kl_warmup_steps=5)
  config.model.latent_dim = 6
  with pytest.raises(GenjaxError) as error:
    train.train_and_evaluate(config, workdir, allow_loss_changes=False)
  lines = str(error.value).splitlines()
  assert len(lines) == 3 and all(f"workdir {workdir!r} was trained with" in l for l in lines)
  assert "model.latent_dim=4, this config has 6: use a new --workdir" in lines[0]
  assert "loss.vae.beta=1.0, this config has 0.5" in lines[1] and "--allow_loss_changes" in lines[1]
  assert "loss.vae.kl_warmup_steps=0, this config has 5" in lines[2]
  assert _snapshot(workdir) == before
  with pytest.raises(GenjaxError, match="model.latent_dim"):  # The flag is for loss fields.
    train.train_and_evaluate(config, workdir, allow_loss_changes=True)
  config.model.latent_dim = 4
  with caplog.at_level(logging.INFO):
    state = train.train_and_evaluate(config, workdir, allow_loss_changes=True)
  assert int(state.step) == 20 and "Resuming with loss.vae.beta=0.5 (was 1.0)" in caplog.text


def test_max_to_keep_keeps_the_newest_checkpoints(tmp_path):
  config = tiny()
  config.num_steps, config.max_to_keep = 30, 2
  train.train_and_evaluate(config, str(tmp_path / "run"))
  assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["20", "30"]


def test_a_batch_not_divisible_by_the_devices_is_refused():
  from genjax import parallel  # pylint: disable=g-import-not-at-top
  class EightDevices:
    size = 8
  with pytest.raises(GenjaxError, match="batch_size=20 is not divisible by the 8 devices: use a"
                                        " multiple of 8"):
    parallel.check_batch(20, EightDevices())
  parallel.check_batch(24, EightDevices())


def test_unwritable_workdir_is_refused(tmp_path):
  blocker = tmp_path / "file"
  blocker.write_text("not a directory")
  with pytest.raises(GenjaxError, match="not writable"):
    train.train_and_evaluate(tiny(), str(blocker / "run"))


@pytest.mark.parametrize("field,value,match", [
    ("num_steps", 0, "num_steps=0"),
    ("batch_size", 5000, "larger than the 1437 training images"),
    ("log_every", 7, "multiple of steps_per_call=5"),
])
def test_bad_config_is_refused_before_touching_the_workdir(tmp_path, field, value, match):
  config = tiny()
  config[field] = value
  with pytest.raises(GenjaxError, match=match):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert not os.path.exists(tmp_path / "run")


@pytest.mark.slow
def test_one_step_on_a_tfds_dataset_under_mock_data(tmp_path):
  config = tiny()
  config.data.name = "mnist"
  config.model.encoder.net = config.model.decoder.net = "conv"
  config.num_steps = config.steps_per_call = config.log_every = 1
  config.eval_every = config.checkpoint_every = 1
  config.batch_size = 8
  with tfds.testing.mock_data(num_examples=16):
    state = train.train_and_evaluate(config, str(tmp_path / "run"))
  assert int(state.step) == 1
  assert os.listdir(tmp_path / "run" / "checkpoints") == ["1"]


def test_library_info_records_are_dropped_even_from_a_checkout_named_genjax(monkeypatch):
  from genjax import logs as log_lib  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(log_lib, "_OURS", "/home/u/genjax")
  record = lambda path, level: logging.LogRecord("x", level, path, 1, "m", None, None)
  keep = log_lib._LibraryInfoFilter().filter  # pylint: disable=protected-access
  venv_orbax = "/home/u/genjax/.venv/lib/python3.11/site-packages/orbax/checkpoint/x.py"
  assert not keep(record(venv_orbax, logging.INFO))
  assert keep(record(venv_orbax, logging.WARNING))  # Libraries' warnings stay.
  assert keep(record("/home/u/genjax/genjax/train.py", logging.INFO))
  assert keep(record("/home/u/genjax/experiments/main.py", logging.INFO))
  assert not keep(record("/usr/lib/python3/dist-packages/tfds/x.py", logging.INFO))


def test_verbosity_1_shows_library_info_records():
  from absl import logging as absl_logging  # pylint: disable=g-import-not-at-top
  from genjax import logs as log_lib  # pylint: disable=g-import-not-at-top
  handler = absl_logging.get_absl_handler()
  ours = lambda: [f for f in handler.filters if isinstance(f, log_lib._LibraryInfoFilter)]  # pylint: disable=protected-access
  for f in ours():
    handler.removeFilter(f)
  old = absl_logging.get_verbosity()
  try:
    absl_logging.set_verbosity(1)
    log_lib.quiet_libraries()
    assert not ours()  # No filter: libraries' INFO records pass.
    absl_logging.set_verbosity(0)
    log_lib.quiet_libraries()
    assert len(ours()) == 1  # The default: filtered.
  finally:
    absl_logging.set_verbosity(old)
