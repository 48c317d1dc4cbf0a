"""experiments.independent_fd: the Frechet distance in an MLP's features that genjax did not
train, on a tiny DCGAN's workdir."""
import json

import numpy as np
import pytest

from genjax import data as data_lib
from genjax import train
from tests.conftest import assert_one_line_error, run_main, tiny_dcgan_sn

from experiments import independent_fd


@pytest.mark.slow
def test_the_distance_is_zero_for_a_set_and_grows_with_noise():
  dataset = data_lib.load(tiny_dcgan_sn().data)
  x = np.asarray(dataset.train_images)
  features = independent_fd.feature_fn(x, dataset.train_labels)
  assert independent_fd.distance(features, x, x) == pytest.approx(0.0, abs=1e-6)
  noisy = np.clip(x + 0.3 * np.random.RandomState(0).randn(*x.shape), 0, 1)
  half = independent_fd.distance(features, x[:700], x[700:1400])
  assert independent_fd.distance(features, noisy, x) > 5 * half > 0


@pytest.mark.slow
def test_the_main_scores_a_workdir_and_refuses_a_missing_flag(tmp_path):
  config = tiny_dcgan_sn()
  workdir = str(tmp_path / "dcgan")
  train.train_and_evaluate(config, workdir)
  result = run_main("experiments.independent_fd", f"--workdirs={workdir}", "--num=300")
  assert result.returncode == 0, result.stderr[-2000:]
  line = json.loads(result.stdout.strip().splitlines()[-1])
  assert line["samples"] == 300 and line["fd"] > line["fd_real"] > 0
  assert_one_line_error(run_main("experiments.independent_fd"), "--workdirs is required")
