"""SSIM (Wang, Bovik, Sheikh & Simoncelli 2004, "Image quality assessment: from error
visibility to structural similarity"), as their reference code and tf.image.ssim compute it:
local means, variances and covariance under an 11x11 Gaussian window (sigma 1.5), 'valid'
positions only, C1 = (0.01 L)^2, C2 = (0.03 L)^2 for dynamic range L, the SSIM map averaged
over positions and channels. Images smaller than 11 pixels use the largest odd window that
fits (and the same sigma)."""
import jax.numpy as jnp
import numpy as np


def gaussian_window(size: int, sigma: float = 1.5) -> np.ndarray:
  """size x size weights summing to 1."""
  r = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
  g = np.exp(-0.5 * (r / sigma) ** 2)
  g /= g.sum()
  return np.outer(g, g).astype(np.float32)


def window_size(height: int, width: int, size: int = 11) -> int:
  size = min(size, height, width)
  return size if size % 2 else size - 1


def _filter(x_BxHxWxC, w_KxK):
  """'Valid' weighted sums over each KxK window, per channel."""
  k = w_KxK.shape[0]
  h, w = x_BxHxWxC.shape[1] - k + 1, x_BxHxWxC.shape[2] - k + 1
  out = 0.0
  for i in range(k):
    for j in range(k):
      out = out + w_KxK[i, j] * x_BxHxWxC[:, i:i + h, j:j + w, :]
  return out


def ssim(x_BxHxWxC, y_BxHxWxC, max_value: float = 1.0, size: int = 11, sigma: float = 1.5):
  """Mean SSIM per image, float[B] (1 for identical images)."""
  w = jnp.asarray(gaussian_window(window_size(*x_BxHxWxC.shape[1:3], size), sigma))
  c1, c2 = (0.01 * max_value) ** 2, (0.03 * max_value) ** 2
  mu_x, mu_y = _filter(x_BxHxWxC, w), _filter(y_BxHxWxC, w)
  var_x = _filter(x_BxHxWxC ** 2, w) - mu_x ** 2
  var_y = _filter(y_BxHxWxC ** 2, w) - mu_y ** 2
  cov = _filter(x_BxHxWxC * y_BxHxWxC, w) - mu_x * mu_y
  ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
      (mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
  return jnp.mean(ssim_map, axis=(1, 2, 3))
