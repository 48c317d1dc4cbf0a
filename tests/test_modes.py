"""2-D mixtures and the mode-coverage metrics."""
import jax
import numpy as np
import pytest

from genjax.data import toy2d
from genjax.errors import GenjaxError
from genjax.metrics.modes import mode_coverage


def test_ring8_has_eight_distinct_modes_on_the_circle():
  m = toy2d.means("ring8", radius=1.0)
  assert m.shape == (8, 2)
  np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, rtol=1e-6)
  pairwise = np.linalg.norm(m[:, None] - m[None], axis=-1) + np.eye(8)
  assert pairwise.min() == pytest.approx(2 * np.sin(np.pi / 8), rel=1e-5)  # no repeated mode


def test_grid25_means():
  m = toy2d.means("grid25")
  assert m.shape == (25, 2) and set(np.unique(m)) == {-4.0, -2.0, 0.0, 2.0, 4.0}


def test_real_data_scores_as_published():
  m = toy2d.means("ring8")
  x = toy2d.sample(jax.random.PRNGKey(0), 100_000, m, 0.01)
  result = mode_coverage(x, m, 0.01)
  # 2-D Gaussian: P(r <= 3 sigma) = 1 - exp(-9/2) = 98.9%, the figure the issue quotes.
  assert result["modes"] == 8 and result["high_quality"] == pytest.approx(0.989, abs=0.002)
  assert result["kl"] < 0.001
  assert result["spread"] == pytest.approx(1.0, abs=0.01)


def test_spread_is_the_modes_width_over_the_datas():
  m = toy2d.means("grid25")
  x = np.asarray(toy2d.sample(jax.random.PRNGKey(1), 50_000, m, 0.05))
  assert mode_coverage(x, m, 0.05)["spread"] == pytest.approx(1.0, abs=0.02)
  centres = m[np.arange(50_000) % 25]
  wide = centres + np.random.default_rng(0).normal(scale=1.3 * 0.05, size=(50_000, 2))
  result = mode_coverage(wide, m, 0.05)
  assert result["spread"] == pytest.approx(1.3, abs=0.03) and result["modes"] == 25
  # 2-D: P(r <= 3 / 1.3 std) = 1 - exp(-(3 / 1.3)^2 / 2) = 93.0%: high quality lost to width.
  assert result["high_quality"] == pytest.approx(0.930, abs=0.005)
  # A tenth of the samples on bridges halfway between modes: high quality drops, spread barely.
  bridged = np.concatenate([x[:45_000], centres[:5_000] + np.array([1.0, 0.0])])
  result = mode_coverage(bridged, m, 0.05)
  assert result["high_quality"] == pytest.approx(0.9 * 0.989, abs=0.005)
  assert result["spread"] == pytest.approx(1.0, abs=0.1)


def test_collapsed_and_off_mode_samples():
  m = toy2d.means("ring8")
  one_mode = np.tile(m[:1], (100, 1))
  result = mode_coverage(one_mode, m, 0.01)
  assert result["modes"] == 1 and result["high_quality"] == 1.0 and result["spread"] == 0.0
  assert result["kl"] == pytest.approx(np.log(8))
  far = np.zeros((10, 2))  # the centre is 1 away from every mode: none high quality
  assert mode_coverage(far, m, 0.01) == {"modes": 0, "high_quality": 0.0, "kl": float("inf"),
                                         "spread": pytest.approx(100 / np.sqrt(2 * np.log(2)))}


def test_unknown_2d_dataset():
  with pytest.raises(GenjaxError, match="ring8"):
    toy2d.means("ring9")
