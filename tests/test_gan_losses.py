"""GAN losses against closed forms on hand-picked logits, and penalties against finite differences."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import losses

REAL = jnp.array([2.0, -1.0])
FAKE = jnp.array([0.5, -3.0])
sig = lambda v: 1.0 / (1.0 + math.exp(-v))


def test_minimax_and_non_saturating():
  d = -(math.log(sig(2.0)) + math.log(sig(-1.0)) + math.log(1 - sig(0.5)) + math.log(1 - sig(-3.0))) / 2
  assert float(losses.minimax_d(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
  g_minimax = (math.log(1 - sig(0.5)) + math.log(1 - sig(-3.0))) / 2
  assert float(losses.minimax_g(None, FAKE)) == pytest.approx(g_minimax, rel=1e-6)
  g_ns = -(math.log(sig(0.5)) + math.log(sig(-3.0))) / 2
  assert float(losses.non_saturating_g(None, FAKE)) == pytest.approx(g_ns, rel=1e-6)


def test_the_objectives_hyperparameters_in_closed_form():
  smooth = 0.1
  real = -(0.9 * math.log(sig(2.0)) + 0.1 * math.log(1 - sig(2.0))
           + 0.9 * math.log(sig(-1.0)) + 0.1 * math.log(1 - sig(-1.0))) / 2
  fake = -(math.log(1 - sig(0.5)) + math.log(1 - sig(-3.0))) / 2
  assert float(losses.minimax_d(REAL, FAKE, label_smoothing=smooth)) == pytest.approx(
      real + fake, rel=1e-6)
  hinge = (max(0, 0.5 - 2) + max(0, 0.5 + 1)) / 2 + (max(0, 0.5 + 0.5) + max(0, 0.5 - 3)) / 2
  assert float(losses.hinge_d(REAL, FAKE, margin=0.5)) == pytest.approx(hinge)
  assert losses.gan_keywords("hinge") == {"margin": 1.0}
  assert losses.gan_keywords("non_saturating") == {"label_smoothing": 0.0}
  bound = losses.gan_objective("hinge", margin=0.5, label_smoothing=0.3)  # (not hinge's: ignored)
  assert float(bound.d(REAL, FAKE)) == pytest.approx(hinge) and bound.g is losses.wasserstein_g


def test_feature_matching_in_closed_form():
  f_real = jnp.array([[1.0, 0.0], [3.0, 0.0]])  # mean (2, 0)
  f_fake = jnp.array([[0.0, 0.0], [0.0, 2.0]])  # mean (0, 1)
  assert float(losses.feature_matching(f_real, f_fake)) == pytest.approx(5.0)
  grad = jax.grad(losses.feature_matching, argnums=(0, 1))(f_real, f_fake)
  assert float(jnp.abs(grad[0]).max()) == 0.0  # The real side is a constant for G.
  np.testing.assert_allclose(grad[1], [[-2.0, 1.0], [-2.0, 1.0]])  # -2 (mean_r - mean_f) / B


def test_consistency_is_zero_for_a_translation_invariant_critic():
  x = jax.random.uniform(jax.random.PRNGKey(0), (4, 8, 8, 1))
  key = jax.random.PRNGKey(1)
  invariant = lambda v: jnp.zeros(v.shape[0])
  assert float(losses.consistency(invariant, x, None, key)) == 0.0
  pixel = lambda v: v[:, 3, 3, 0]  # Reads one pixel: a translation moves it.
  assert float(losses.consistency(pixel, x, None, key)) > 1e-3


def test_least_squares():
  d = 0.5 * ((2 - 1) ** 2 + (-1 - 1) ** 2) / 2 + 0.5 * (0.5**2 + 3.0**2) / 2
  assert float(losses.least_squares_d(REAL, FAKE)) == pytest.approx(d)
  assert float(losses.least_squares_g(None, FAKE)) == pytest.approx(0.5 * ((0.5 - 1) ** 2 + 16) / 2)


def test_wasserstein_and_hinge():
  assert float(losses.wasserstein_d(REAL, FAKE)) == pytest.approx((0.5 - 3) / 2 - (2 - 1) / 2)
  assert float(losses.wasserstein_g(None, FAKE)) == pytest.approx(1.25)
  hinge = (max(0, 1 - 2) + max(0, 1 + 1)) / 2 + (max(0, 1 + 0.5) + max(0, 1 - 3)) / 2
  assert float(losses.hinge_d(REAL, FAKE)) == pytest.approx(hinge)


def _critic(x_Bx3):
  """A nonlinear critic with a known gradient: f(x) = sum(sin(x) * w) + (x . v)^2."""
  w, v = jnp.array([1.0, -2.0, 0.5]), jnp.array([0.3, 0.1, -0.2])
  return jnp.sum(jnp.sin(x_Bx3) * w, -1) + (x_Bx3 @ v) ** 2


def _fd_grad_norm(x_3, h=1e-3):
  x = np.asarray(x_3, np.float64)
  f = lambda y: float(_critic(jnp.asarray(y[None], jnp.float32))[0])
  grad = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)]
  return np.linalg.norm(grad)


def test_gradient_penalty_matches_finite_differences():
  key = jax.random.PRNGKey(0)
  x_real = jax.random.normal(jax.random.PRNGKey(1), (4, 3))
  x_fake = jax.random.normal(jax.random.PRNGKey(2), (4, 3))
  got = float(losses.gradient_penalty(_critic, x_real, x_fake, key))
  eps = jax.random.uniform(key, (4, 1))  # the same interpolation draw as the penalty's
  x_hat = eps * x_real + (1 - eps) * x_fake
  expected = np.mean([(_fd_grad_norm(x) - 1.0) ** 2 for x in np.asarray(x_hat)])
  assert got == pytest.approx(expected, rel=1e-3)


def test_r1_matches_finite_differences():
  x_real = jax.random.normal(jax.random.PRNGKey(3), (4, 3))
  expected = 0.5 * np.mean([_fd_grad_norm(x) ** 2 for x in np.asarray(x_real)])
  assert float(losses.r1_penalty(_critic, x_real)) == pytest.approx(expected, rel=1e-3)


def test_ragan_matches_its_closed_form():
  """Jolicoeur-Martineau 2018, RaSGAN: relativistic averages of the other side's scores."""
  mean_r, mean_f = (2.0 - 1.0) / 2, (0.5 - 3.0) / 2
  d = (-sum(math.log(sig(r - mean_f)) for r in (2.0, -1.0)) / 2
       - sum(math.log(1 - sig(f - mean_r)) for f in (0.5, -3.0)) / 2)
  g = (-sum(math.log(1 - sig(r - mean_f)) for r in (2.0, -1.0)) / 2
       - sum(math.log(sig(f - mean_r)) for f in (0.5, -3.0)) / 2)
  assert float(losses.ragan_d(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
  assert float(losses.ragan_g(REAL, FAKE)) == pytest.approx(g, rel=1e-6)
  # The generator's loss reads the real scores: moving them moves it.
  assert float(losses.ragan_g(REAL + 1.0, FAKE)) != pytest.approx(g, rel=1e-3)
  assert losses.GAN_LOSSES["ragan"].g_needs_real


def test_every_gan_loss_is_registered_with_its_output_requirement():
  assert set(losses.GAN_LOSSES) == {"minimax", "non_saturating", "least_squares", "wasserstein",
                                    "hinge", "ragan"}
  assert not losses.GAN_LOSSES["minimax"].unbounded and losses.GAN_LOSSES["wasserstein"].unbounded
  assert set(losses.PENALTIES) == {"gp", "r1", "cr"}
  assert set(losses.GENERATOR_TERMS) == {"feature_matching"}
