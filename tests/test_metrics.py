"""Frechet distance, KID, precision/recall/density/coverage and the classifier score against
closed forms, hand-worked point sets and plain numpy references."""
import jax
import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from genjax.metrics import classifier_score, frechet, kid, prdc


def random_psd(rng, d, rank=None):
  a = rng.normal(size=(d, rank or d))
  return a @ a.T / d


def test_frechet_diagonal_and_commuting_covariances_are_closed_form():
  rng = np.random.default_rng(0)
  a, b = rng.uniform(0.1, 3, 16), rng.uniform(0.1, 3, 16)
  mu1, mu2 = rng.normal(size=16), rng.normal(size=16)
  expected = np.sum((mu1 - mu2)**2) + np.sum((np.sqrt(a) - np.sqrt(b))**2)
  assert frechet.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)
  q = np.linalg.qr(rng.normal(size=(16, 16)))[0]  # Same eigenvectors: C1 C2 = Q diag(ab) Q^T.
  assert frechet.frechet_distance(mu1, q * a @ q.T, mu2, q * b @ q.T) == pytest.approx(expected)


def test_frechet_general_covariances_match_scipy_sqrtm():
  rng = np.random.default_rng(1)
  for rank in (None, 12):
    c1, c2 = random_psd(rng, 20), random_psd(rng, 20, rank)
    mu1, mu2 = rng.normal(size=20), rng.normal(size=20)
    root = scipy.linalg.sqrtm(c1 @ c2).real
    expected = np.sum((mu1 - mu2)**2) + np.trace(c1 + c2 - 2 * root)
    assert frechet.frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-9)


def test_frechet_of_a_set_against_itself_is_zero_even_rank_deficient():
  rng = np.random.default_rng(2)
  for n in (500, 40):  # 40 features in 64 dimensions: a singular covariance.
    mu, sigma = frechet.gaussian_stats(rng.normal(size=(n, 64)) * rng.uniform(0, 2, 64))
    assert abs(frechet.frechet_distance(mu, sigma, mu, sigma)) < 1e-6 * np.trace(sigma)


def test_gaussian_stats_streamed_match_numpy_far_from_the_origin():
  rng = np.random.default_rng(3)
  feats = (1e4 + rng.normal(size=(1000, 8)) * rng.uniform(0.5, 2, 8)).astype(np.float32)
  acc = frechet.StatsAccumulator()
  for batch in np.array_split(feats, 7):
    acc.add(batch)
  mu, sigma = acc.result()
  np.testing.assert_allclose(mu, feats.astype(np.float64).mean(0), rtol=1e-12)
  np.testing.assert_allclose(sigma, np.cov(feats.astype(np.float64), rowvar=False), rtol=1e-9)
  mu_once, sigma_once = frechet.gaussian_stats(feats)
  np.testing.assert_allclose(sigma_once, sigma, rtol=1e-9)
  assert sigma.dtype == np.float64 and sigma.shape == (8, 8)


def mmd2_unbiased(x, y):
  """torch-fidelity's per-subset formula, float64."""
  x, y = x.astype(np.float64), y.astype(np.float64)
  m, d = len(x), x.shape[1]
  a = (x @ x.T / d + 1)**3 + (y @ y.T / d + 1)**3
  b = (x @ y.T / d + 1)**3
  return ((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m) / m


def test_kid_on_whole_sets_is_the_unbiased_mmd():
  rng = np.random.default_rng(4)
  x, y = rng.normal(size=(300, 32)), rng.normal(0.2, 1.1, size=(300, 32))
  # Subsets of the whole set are permutations of it: every subset gives the same MMD^2.
  mean, std = kid.kid(x, y, jax.random.PRNGKey(0), num_subsets=3, subset_size=5000)
  assert mean == pytest.approx(mmd2_unbiased(x, y), rel=1e-5) and std < 1e-6 * abs(mean)


def test_kid_near_zero_for_one_distribution_and_positive_when_shifted():
  rng = np.random.default_rng(5)
  x, y = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
  key = jax.random.PRNGKey(1)
  mean, std = kid.kid(x, y, key, num_subsets=50, subset_size=200)
  assert abs(mean) < std  # The biased estimate sits at about +7 std here.
  assert kid.kid(x, y, key, num_subsets=50, subset_size=200) == (mean, std)  # Only `key` draws.
  assert kid.kid(x, y, jax.random.PRNGKey(2), num_subsets=50, subset_size=200)[0] != mean
  shifted_mean, shifted_std = kid.kid(x, y + 0.3, key, num_subsets=50, subset_size=200)
  assert shifted_mean > 5 * shifted_std


def prdc_reference(real, fake, k_pr, k_dc):
  """clovaai/generative-evaluation-prdc compute_prdc, float64, k_pr and k_dc apart."""
  dist = lambda a, b: np.linalg.norm(a[:, None] - b[None], axis=-1)
  kth = lambda x, k: np.sort(dist(x, x), 1)[:, k]
  real, fake = real.astype(np.float64), fake.astype(np.float64)
  d = dist(real, fake)
  return {"precision": (d < kth(real, k_pr)[:, None]).any(0).mean(),
          "recall": (d < kth(fake, k_pr)[None]).any(1).mean(),
          "density": (d < kth(real, k_dc)[:, None]).sum(0).mean() / k_dc,
          "coverage": (d.min(1) < kth(real, k_dc)).mean()}


def on_a_line(values):
  return np.stack([np.asarray(values, np.float32), np.zeros(len(values), np.float32)], 1)


def test_prdc_hand_worked_sets():
  real = on_a_line([0, 1, 3, 9])
  # k=1 real balls (-1, 1), (0, 2), (1, 5), (3, 15); fake balls (-3, 4), (0.5, 7.5), (19, 21),
  # (20, 22). k=2 real balls (-3, 3), (-1, 3), (0, 6), (1, 17) hold 3, 2, 0, 0 of the fakes.
  fake = on_a_line([0.5, 4, 20, 21])
  expected = {"precision": 0.5, "recall": 0.75, "density": 5 / 8, "coverage": 1.0}
  assert prdc.prdc(real, fake, k_pr=1, k_dc=2) == pytest.approx(expected)
  # Fake balls (0.4, 0.6), (0.5, 0.7), ... hold no real; real balls (1, 5), (3, 15) no fake.
  fake = on_a_line([0.5, 0.6, 20, 21])
  expected = {"precision": 0.5, "recall": 0.0, "density": 1.0, "coverage": 0.5}
  assert prdc.prdc(real, fake, k_pr=1, k_dc=1) == pytest.approx(expected)


def test_prdc_identical_and_far_apart_sets():
  x = np.random.default_rng(6).normal(size=(200, 16))
  # Each real ball holds itself and k - 1 neighbours strictly: density exactly 1.
  assert prdc.prdc(x, x, chunk=64) == {"precision": 1.0, "recall": 1.0, "density": 1.0,
                                       "coverage": 1.0}
  assert prdc.prdc(x, x + 100.0) == {"precision": 0.0, "recall": 0.0, "density": 0.0,
                                     "coverage": 0.0}


def test_prdc_matches_reference_with_ragged_chunks():
  rng = np.random.default_rng(7)
  real, fake = rng.normal(size=(300, 8)), rng.normal(0.3, 1.2, size=(250, 8))
  expected = prdc_reference(real, fake, 3, 5)
  for chunk in (64, 1024):  # 300 = 4 * 64 + 44: padded last chunk.
    assert prdc.prdc(real, fake, chunk=chunk) == pytest.approx(expected, abs=1e-9)


def test_classifier_score_constant_and_confident_balanced_classifiers():
  k = 10
  constant = np.tile(np.random.default_rng(8).dirichlet(np.ones(k)), (1000, 1))
  assert classifier_score.classifier_score(constant) == pytest.approx((1.0, 0.0))
  one_hot = np.eye(k)[np.arange(1000) % k]  # Every split holds each class 10 times.
  assert classifier_score.classifier_score(one_hot) == pytest.approx((k, 0.0))
  nearly = 0.99 * one_hot + 0.01 / k
  assert 0.9 * k < classifier_score.classifier_score(nearly)[0] < k


def test_classifier_score_matches_scipy_entropy():
  probs = np.random.default_rng(9).dirichlet(np.full(5, 0.3), size=600)
  scores = [np.exp(np.mean([scipy.stats.entropy(p, part.mean(0)) for p in part]))
            for part in np.array_split(probs, 6)]
  assert classifier_score.classifier_score(probs, splits=6) == pytest.approx(
      (np.mean(scores), np.std(scores)), rel=1e-10)


def test_class_histogram():
  result = classifier_score.class_histogram(np.array([0, 0, 1, 2]), num_classes=4)
  np.testing.assert_array_equal(result["histogram"], [2, 1, 1, 0])
  assert result["entropy"] == pytest.approx(-(0.5 * np.log(0.5) + 0.5 * np.log(0.25)))
  assert result["classes_covered"] == 3
  assert classifier_score.class_histogram(np.array([0, 0, 1, 2]), 4, min_count=2)[
      "classes_covered"] == 1
  probs = np.eye(10)[np.arange(100) % 10] * 0.5 + 0.05  # argmax: 10 of each class
  result = classifier_score.class_histogram(probs)
  assert result["entropy"] == pytest.approx(np.log(10)) and result["classes_covered"] == 10
  collapsed = classifier_score.class_histogram(np.full(50, 3), num_classes=10)
  assert collapsed["entropy"] == 0.0 and collapsed["classes_covered"] == 1
