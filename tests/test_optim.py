"""Optimizers: Adam's first step, clipping, decoupled weight decay, schedules by train step."""
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from genjax import optim
from genjax.errors import GenjaxError


def _cfg(**fields):
  cfg = ml_collections.ConfigDict(dict(learning_rate=0.1, schedule="constant", warmup_steps=0,
                                       final_lr_fraction=0.0, grad_clip_norm=0.0,
                                       weight_decay=0.0, b1=0.9, b2=0.999))
  cfg.update(fields)
  return cfg


def _one_update(cfg, grads, params, step=0):
  opt = optim.make(cfg, num_steps=10)
  new, _ = optim.update(opt, grads, opt.tx.init(params), params, step)
  return np.asarray(new)


def test_adam_first_step_moves_by_the_rate_and_weight_decay_is_decoupled():
  params = jnp.array([1.0, -2.0, 3.0])
  grads = jnp.array([0.5, -4.0, 0.0])
  np.testing.assert_allclose(_one_update(_cfg(), grads, params), [0.9, -1.9, 3.0], atol=1e-6)
  decayed = _one_update(_cfg(weight_decay=0.5), jnp.zeros(3), params)  # p - lr * wd * p
  np.testing.assert_allclose(decayed, params - 0.1 * 0.5 * params, rtol=1e-6)


def test_clipping_bounds_the_global_gradient_norm():
  params = jnp.zeros(2)
  # Adam is scale-invariant in its first step, so compare the second moment it keeps instead.
  opt = optim.make(_cfg(grad_clip_norm=1.0), 10)
  _, state = optim.update(opt, jnp.array([30.0, 40.0]), opt.tx.init(params), params, 0)
  clipped_mu = np.asarray(state[-1].mu)  # b1-weighted gradient after clipping to norm 1.
  np.testing.assert_allclose(clipped_mu, 0.1 * np.array([0.6, 0.8]), rtol=1e-5)


def test_the_rate_is_a_function_of_the_train_step():
  opt = optim.make(_cfg(schedule="cosine", warmup_steps=2), num_steps=10)
  assert float(opt.learning_rate(0)) == 0.0
  assert float(opt.learning_rate(2)) == pytest.approx(0.1)
  assert float(opt.learning_rate(10)) == pytest.approx(0.0, abs=1e-7)
  params = jnp.ones(2)
  opt_state = opt.tx.init(params)
  new, _ = optim.update(opt, jnp.ones(2), opt_state, params, 2)  # Count 0, but step 2: peak.
  np.testing.assert_allclose(new, 0.9, rtol=1e-5)


def test_bad_optimizer_settings_are_refused():
  with pytest.raises(GenjaxError, match="optim.schedule='linear': valid are"):
    optim.make(_cfg(schedule="linear"), 10)
  with pytest.raises(GenjaxError, match="learning_rate=-1.0 must be positive"):
    optim.make(_cfg(learning_rate=-1.0), 10)
