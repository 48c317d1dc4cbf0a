"""How well a score ranks positives (anomalies) above negatives: AUROC and average precision.

Both take `scores` float[N] (higher = more likely positive) and `positive` bool[N].
"""
import numpy as np

from genjax.errors import GenjaxError


def _check(scores, positive):
  scores, positive = np.asarray(scores, np.float64), np.asarray(positive, bool)
  if scores.shape != positive.shape or scores.ndim != 1:
    raise GenjaxError(f"scores {scores.shape} and labels {positive.shape} must be equal 1-D shapes")
  if positive.all() or not positive.any():
    raise GenjaxError("AUROC and average precision need both positives and negatives")
  if not np.isfinite(scores).all():
    raise GenjaxError("anomaly scores must be finite")
  return scores, positive


def auroc(scores, positive) -> float:
  """Area under the ROC curve = P(score of a random positive > that of a random negative),
  ties counting 1/2 (the Mann-Whitney U statistic / (n_pos n_neg), from average ranks)."""
  scores, positive = _check(scores, positive)
  order = np.argsort(scores, kind="mergesort")
  sorted_scores = scores[order]
  ranks = np.empty(len(scores))
  ranks[order] = np.arange(1, len(scores) + 1)
  # Tied scores share the mean of their ranks.
  _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
  mean_rank = first + (counts + 1) / 2.0
  ranks[order] = np.repeat(mean_rank, counts)
  n_pos, n_neg = positive.sum(), (~positive).sum()
  return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(scores, positive) -> float:
  """AP = sum_n (R_n - R_{n-1}) P_n over thresholds at each distinct score, from the highest
  down (P_n, R_n: precision and recall of calling every score >= threshold n positive); the
  step-wise area under the precision-recall curve, as scikit-learn computes it."""
  scores, positive = _check(scores, positive)
  order = np.argsort(-scores, kind="mergesort")
  scores, positive = scores[order], positive[order]
  last_of_tie = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
  true_pos = np.cumsum(positive)[last_of_tie]
  precision = true_pos / (last_of_tie + 1)
  recall = true_pos / positive.sum()
  return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
