"""Evaluation metrics: pure functions of samples or feature arrays (no modules, no loop).

modes: mode coverage of 2-D mixtures. frechet: Frechet distance of Gaussian feature
statistics (FID). kid: kernel (Inception) distance. prdc: precision, recall, density and
coverage. classifier_score: the Inception Score formula and class histograms.
"""
