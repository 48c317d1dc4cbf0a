"""Frechet distance between Gaussians fitted to two feature sets (FID, Heusel et al. 2017).

  d^2 = ||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2))

in the squared units of the features. Everything here is float64 numpy.
"""
import numpy as np


def gaussian_stats(feats_NxD) -> tuple:
  """(mu_D, sigma_DxD): mean and unbiased (N - 1) covariance, as pytorch-fid and TF-GAN."""
  acc = StatsAccumulator()
  acc.add(feats_NxD)
  return acc.result()


class StatsAccumulator:
  """gaussian_stats over batches: `add(feats_BxD)` each batch, then `result()`.

  Holds float64 sums of (x - shift) and of their outer products, D + D^2 numbers, with
  `shift` the first batch's mean so that the covariance is not a difference of large
  uncentred moments.
  """

  def __init__(self):
    self.n, self.shift, self.sum_D, self.outer_DxD = 0, None, None, None

  def add(self, feats_BxD):
    x = np.asarray(feats_BxD, np.float64)
    if x.ndim != 2 or not len(x):
      raise ValueError(f"features must be a non-empty N x D array, got shape {x.shape}")
    if self.shift is None:
      self.shift = x.mean(0)
      self.sum_D = np.zeros_like(self.shift)
      self.outer_DxD = np.zeros((len(self.shift), len(self.shift)))
    x = x - self.shift
    self.n += len(x)
    self.sum_D += x.sum(0)
    self.outer_DxD += x.T @ x

  def result(self) -> tuple:
    if self.n < 2:
      raise ValueError(f"a covariance needs at least 2 features, got {self.n}")
    mean = self.sum_D / self.n
    sigma = (self.outer_DxD - self.n * np.outer(mean, mean)) / (self.n - 1)
    return self.shift + mean, (sigma + sigma.T) / 2


def _psd_sqrt(c_DxD):
  w, v = np.linalg.eigh(c_DxD)
  return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(sigma1_DxD, sigma2_DxD) -> float:
  """Tr (C1 C2)^(1/2) = sum_i sqrt(lambda_i(C1^(1/2) C2 C1^(1/2))), TF-GAN's
  `trace_sqrt_product`: C1 C2 is similar to the symmetric PSD C1^(1/2) C2 C1^(1/2), whose
  eigenvalues are real; rounding makes tiny ones negative, clipped to 0 (TF-GAN uses SVD and
  keeps s below 1e-10 unrooted; pytorch-fid and torch-fidelity take scipy.linalg.sqrtm of the
  non-symmetric C1 C2 and drop its imaginary part instead)."""
  root1 = _psd_sqrt(np.asarray(sigma1_DxD, np.float64))
  m = root1 @ np.asarray(sigma2_DxD, np.float64) @ root1
  return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def frechet_distance(mu1_D, sigma1_DxD, mu2_D, sigma2_DxD) -> float:
  """Squared Frechet (2-Wasserstein) distance of N(mu1, C1) and N(mu2, C2), float64.

  Not clipped at 0: identical statistics give a rounding-sized value of either sign.
  """
  mu1, mu2 = np.asarray(mu1_D, np.float64), np.asarray(mu2_D, np.float64)
  sigma1, sigma2 = np.asarray(sigma1_DxD, np.float64), np.asarray(sigma2_DxD, np.float64)
  if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
    raise ValueError(f"mismatched statistics: mu {mu1.shape} {mu2.shape},"
                     f" sigma {sigma1.shape} {sigma2.shape}")
  diff = mu1 - mu2
  return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2)
               - 2 * trace_sqrt_product(sigma1, sigma2))
