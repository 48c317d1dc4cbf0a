"""Mode coverage of samples from a 2-D mixture (the VEEGAN / PacGAN protocol).

A sample is high quality if it lies within 3 standard deviations of its nearest mode;
a mode is covered if at least one high-quality sample has it as its nearest mode.
"""
import numpy as np


def mode_coverage(samples_Nx2, means_Mx2, std: float) -> dict:
  """{'modes': covered count, 'high_quality': fraction in [0, 1], 'kl': KL(hq histogram || uniform)}."""
  samples, means = np.asarray(samples_Nx2, np.float64), np.asarray(means_Mx2, np.float64)
  distances = np.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1)
  nearest = distances.argmin(1)
  good = distances[np.arange(len(samples)), nearest] <= 3.0 * std
  counts = np.bincount(nearest[good], minlength=len(means)).astype(np.float64)
  if counts.sum() == 0:
    kl = float("inf")
  else:
    p = counts / counts.sum()
    nonzero = p > 0
    kl = float(np.sum(p[nonzero] * np.log(p[nonzero] * len(means))))
  return {"modes": int((counts > 0).sum()), "high_quality": float(good.mean()), "kl": kl}
