"""num_seeds: S replicas in one vmapped program equal S single runs; sampling one replica."""
import jax
import numpy as np
import pytest

from genjax import seeds as seeds_lib
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from tests.conftest import tiny


def _short(config, num_seeds=1, seed=0):
  config.num_steps = config.log_every = config.eval_every = config.checkpoint_every = 10
  config.num_seeds, config.seed = num_seeds, seed
  return config


def _assert_same_state(single, replica):
  for a, b in zip(jax.tree.leaves(jax.device_get(single)), jax.tree.leaves(jax.device_get(replica))):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_replica_i_of_a_vmapped_vae_run_equals_the_run_of_seed_i(tmp_path):
  config = _short(tiny(), num_seeds=2, seed=3)
  stacked = train.train_and_evaluate(config, str(tmp_path / "both"))
  assert stacked.step.shape == (2,) and seeds_lib.step(stacked, config) == 10
  first = seeds_lib.select(stacked, 0, config)
  second = seeds_lib.select(stacked, 1, config)
  assert not np.allclose(jax.tree.leaves(first.nets)[0], jax.tree.leaves(second.nets)[0])
  single = train.train_and_evaluate(_short(tiny(), seed=4), str(tmp_path / "seed4"))
  _assert_same_state(single, second)

  step, metrics = workdirs.evaluate(str(tmp_path / "both"))
  assert step == 10 and len(metrics["replicas"]) == 2
  per_replica = [r["eval/nll/neg_elbo"] for r in metrics["replicas"]]
  assert metrics["eval/nll/neg_elbo"] == pytest.approx(np.mean(per_replica))
  assert metrics["eval/nll/neg_elbo_std"] == pytest.approx(np.std(per_replica))
  assert metrics["eval/nll/neg_elbo_std"] > 0

  from_replica = workdirs.sample(str(tmp_path / "both"), 8, seed=1, seed_index=1)
  from_single = workdirs.sample(str(tmp_path / "seed4"), 8, seed=1)
  np.testing.assert_allclose(from_replica, from_single, atol=1e-5)
  with pytest.raises(GenjaxError, match=r"--seed_index=2 is out of range: .* num_seeds=2 .*valid 0\.\.1"):
    workdirs.sample(str(tmp_path / "both"), 8, seed=1, seed_index=2)


@pytest.mark.slow
def test_changing_num_seeds_in_a_workdir_is_refused(tmp_path):
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(_short(tiny(), num_seeds=2), workdir)
  with pytest.raises(GenjaxError, match="num_seeds=2 replicas, this config has 3"):
    train.train_and_evaluate(_short(tiny(), num_seeds=3), workdir)
  with pytest.raises(GenjaxError, match="num_seeds=0 must be a positive integer"):
    train.train_and_evaluate(_short(tiny(), num_seeds=0), workdir)
