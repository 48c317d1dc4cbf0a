"""Scores of samples from a classifier's class probabilities p(y|x), K classes.

classifier_score: the Inception Score formula (Salimans et al. 2016) with any classifier,
  exp(E_x KL(p(y|x) || p(y))), p(y) = E_x p(y|x), over contiguous splits (unshuffled, as the
  original code): in [1, K], K for confident predictions spread evenly over the classes.
class_histogram: the histogram of predicted (argmax) or given labels, a direct reading of
  mode collapse.
"""
import numpy as np


def _plogp(p):
  return np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0)


def classifier_score(probs_NxK, splits: int = 10) -> tuple:
  """(mean, std) over `splits` splits (ddof=0, as the original code), in float64.

  `probs_NxK` rows are probabilities (a softmax, not logits) summing to 1.
  """
  p = np.asarray(probs_NxK, np.float64)
  if p.ndim != 2 or len(p) < splits:
    raise ValueError(f"probabilities must be N x K with N >= splits={splits}, got {p.shape}")
  scores = []
  for i in range(splits):
    part = p[i * len(p) // splits:(i + 1) * len(p) // splits]
    p_y = part.mean(0)
    # KL(p(y|x) || p(y)) = sum p log p - sum p log p(y); p(y) > 0 wherever some p(y|x) > 0.
    kl = _plogp(part).sum(1) - part @ np.log(np.where(p_y > 0, p_y, 1))
    scores.append(np.exp(kl.mean()))
  return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probs_NxK_or_labels_N, num_classes: int | None = None,
                    min_count: int = 1) -> dict:
  """{'histogram': counts (K,) int64, 'entropy': of the normalized histogram in nats
  (log K for balanced classes, 0 for one class), 'classes_covered': the number of classes
  with at least `min_count` samples}.

  An N x K array is probabilities (or logits), each sample counted for its argmax class;
  a 1-D array is integer labels. K is `num_classes`, else the width of the probabilities,
  else the largest label + 1.
  """
  x = np.asarray(probs_NxK_or_labels_N)
  if x.ndim == 2:
    labels, num_classes = x.argmax(1), num_classes or x.shape[1]
  elif x.ndim == 1 and np.issubdtype(x.dtype, np.integer):
    labels = x
  else:
    raise ValueError(f"expected N x K probabilities or N integer labels, got {x.dtype}{x.shape}")
  if not len(labels):
    raise ValueError("class_histogram of no samples")
  counts = np.bincount(labels, minlength=num_classes or 0)
  if num_classes is not None and len(counts) > num_classes:
    raise ValueError(f"labels up to {labels.max()} with num_classes={num_classes}")
  p = counts / counts.sum()
  return {"histogram": counts.astype(np.int64), "entropy": float(-_plogp(p).sum()),
          "classes_covered": int((counts >= min_count).sum())}
