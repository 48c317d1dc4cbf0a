"""Mode coverage of samples from a 2-D mixture (the VEEGAN / PacGAN protocol).

A sample is high quality if it lies within 3 standard deviations of its nearest mode;
a mode is covered if at least one high-quality sample has it as its nearest mode.
`spread` tells over-dispersed modes from bridges between them, which both cost high quality:
the samples' median distance to their nearest mode over the data's own (1: as tight as the
data, 1.3: modes 30% too wide; bridges, a few far samples, barely move a median).
"""
import numpy as np

# Median distance of a 2-D isotropic Gaussian's samples to its mean, in stds (Rayleigh).
MEDIAN_RADIUS = float(np.sqrt(2.0 * np.log(2.0)))


def mode_coverage(samples_Nx2, means_Mx2, std: float) -> dict:
  """{'modes': covered count, 'high_quality': fraction in [0, 1], 'kl': KL(hq histogram ||
  uniform), 'spread': median nearest-mode distance / the data's (module docstring)}."""
  samples, means = np.asarray(samples_Nx2, np.float64), np.asarray(means_Mx2, np.float64)
  distances = np.linalg.norm(samples[:, None, :] - means[None, :, :], axis=-1)
  nearest = distances.argmin(1)
  nearest_distance = distances[np.arange(len(samples)), nearest]
  good = nearest_distance <= 3.0 * std
  counts = np.bincount(nearest[good], minlength=len(means)).astype(np.float64)
  if counts.sum() == 0:
    kl = float("inf")
  else:
    p = counts / counts.sum()
    nonzero = p > 0
    kl = float(np.sum(p[nonzero] * np.log(p[nonzero] * len(means))))
  return {"modes": int((counts > 0).sum()), "high_quality": float(good.mean()), "kl": kl,
          "spread": float(np.median(nearest_distance) / std / MEDIAN_RADIUS)}
