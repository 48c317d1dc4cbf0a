"""Loss functions against closed forms and brute-force computations."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import losses


def test_kl_matches_closed_form_1d():
  # KL(N(m, s^2) || N(0,1)) = log(1/s) + (s^2 + m^2)/2 - 1/2.
  m, s = 0.7, 0.4
  expected = math.log(1 / s) + (s**2 + m**2) / 2 - 0.5
  got = losses.kl_diag_gaussian_standard_normal(jnp.array([[m]]), jnp.log(jnp.array([[s]])))
  np.testing.assert_allclose(got, [expected], rtol=1e-6)


def test_kl_is_zero_for_prior_and_sums_dimensions():
  zeros = jnp.zeros((3, 5))
  np.testing.assert_allclose(losses.kl_diag_gaussian_standard_normal(zeros, zeros), 0.0, atol=1e-7)
  one_dim = losses.kl_diag_gaussian_standard_normal(jnp.full((1, 1), 0.5), jnp.full((1, 1), -0.3))
  five = losses.kl_diag_gaussian_standard_normal(jnp.full((1, 5), 0.5), jnp.full((1, 5), -0.3))
  np.testing.assert_allclose(five, 5 * one_dim, rtol=1e-6)


def test_kl_matches_monte_carlo_of_log_densities():
  key = jax.random.PRNGKey(0)
  mean, log_std = jnp.array([[0.3, -1.0]]), jnp.array([[-0.5, 0.2]])
  z = mean + jnp.exp(log_std) * jax.random.normal(key, (200_000, 2))
  mc = jnp.mean(losses.diag_gaussian_log_prob(z, mean, log_std)
                - losses.standard_normal_log_prob(z))
  np.testing.assert_allclose(mc, losses.kl_diag_gaussian_standard_normal(mean, log_std)[0],
                             rtol=1e-2)


def test_bernoulli_log_prob_by_hand():
  logits = jnp.array([[[[2.0], [-1.0]]]])  # 1x1x2x1
  x = jnp.array([[[[1.0], [0.0]]]])
  sig = lambda v: 1 / (1 + math.exp(-v))
  expected = math.log(sig(2.0)) + math.log(1 - sig(-1.0))
  np.testing.assert_allclose(losses.bernoulli_log_prob(logits, x), [expected], rtol=1e-6)


def test_gaussian_log_prob_by_hand():
  x = jnp.array([[[[0.5], [1.0]]]])
  mean = jnp.array([[[[0.0], [1.0]]]])
  log_scale = math.log(0.5)
  norm = lambda v, mu, s: -0.5 * ((v - mu) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)
  expected = norm(0.5, 0.0, 0.5) + norm(1.0, 1.0, 0.5)
  np.testing.assert_allclose(losses.gaussian_log_prob(x, mean, log_scale), [expected], rtol=1e-6)


def test_iwae_bound_is_log_mean_exp():
  log_w = jnp.log(jnp.array([[1.0, 4.0], [3.0, 2.0]]))  # S=2, B=2
  np.testing.assert_allclose(losses.iwae_bound(log_w), np.log([2.0, 3.0]), rtol=1e-6)


def _terms(log_px, log_pz, log_qz, kl):
  return {"log_px_SxB": jnp.array(log_px), "log_pz_SxB": jnp.array(log_pz),
          "log_qz_SxB": jnp.array(log_qz), "kl_B": jnp.array(kl)}


def test_elbo_objective_weights_kl_by_beta():
  terms = _terms([[-10.0, -20.0]], [[0.0, 0.0]], [[0.0, 0.0]], [2.0, 4.0])
  loss, metrics = losses.elbo(terms, beta=0.5)
  assert float(loss) == pytest.approx((10 + 0.5 * 2 + 20 + 0.5 * 4) / 2)
  assert float(metrics["kl"]) == pytest.approx(3.0)


def test_elbo_warm_up_scales_the_kl_weight_with_the_step():
  terms = _terms([[-10.0, -20.0]], [[0.0, 0.0]], [[0.0, 0.0]], [2.0, 4.0])
  for step, weight in ((0, 0.0), (25, 0.25), (100, 1.0), (400, 1.0)):
    loss, metrics = losses.elbo(terms, beta=0.5, kl_warmup_steps=100, step=step)
    assert float(loss) == pytest.approx(15 + 0.5 * weight * 3)
    assert float(metrics["kl_weight"]) == pytest.approx(0.5 * weight)
    assert float(metrics["kl"]) == pytest.approx(3.0)


def test_free_bits_floor_each_dimensions_batch_mean_kl_and_stop_its_gradient():
  """Two examples, three dimensions with batch-mean KLs 0.1, 1.0 and 3.0 nats; free bits 0.5:
  the KL term is 0.5 + 1.0 + 3.0, and only the held dimension gets no gradient."""
  kl_bxz = jnp.array([[0.0, 1.5, 2.0], [0.2, 0.5, 4.0]])

  def loss_of(kl_bxz):
    terms = {**_terms([[-10.0, -20.0]], [[0.0, 0.0]], [[0.0, 0.0]], kl_bxz.sum(-1)),
             "kl_BxZ": kl_bxz}
    return losses.elbo(terms, beta=2.0, free_bits=0.5)[0]

  assert float(loss_of(kl_bxz)) == pytest.approx(15 + 2.0 * (0.5 + 1.0 + 3.0))
  grad = np.asarray(jax.grad(loss_of)(kl_bxz))
  np.testing.assert_allclose(grad, [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])  # 2.0 x 1/2 per row.


def test_iwae_objective_with_several_samples_is_minus_log_mean_exp_of_the_weights():
  log_px = [[-10.0, -3.0], [-12.0, -4.0], [-9.0, -5.0]]  # S=3, B=2
  log_pz = [[-2.0, -1.0], [-1.5, -1.0], [-3.0, -2.0]]
  log_qz = [[-1.0, -0.5], [-2.0, -1.5], [-0.5, -1.0]]
  loss, _ = losses.iwae(_terms(log_px, log_pz, log_qz, [0.3, 0.4]))
  log_w = np.array(log_px) + np.array(log_pz) - np.array(log_qz)
  by_hand = -np.mean(np.log(np.mean(np.exp(log_w), axis=0)))
  assert float(loss) == pytest.approx(by_hand, rel=1e-6)
  elbo_estimate = -np.mean(log_w)
  assert float(loss) < elbo_estimate  # Strictly tighter with S > 1 unequal weights.


def test_iwae_objective_equals_elbo_estimate_with_one_sample():
  terms = _terms([[-10.0]], [[-2.0]], [[-1.0]], [0.7])
  loss, _ = losses.iwae(terms)
  assert float(loss) == pytest.approx(10.0 + 2.0 - 1.0)
