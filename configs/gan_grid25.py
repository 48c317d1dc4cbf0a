"""A GAN on `grid25`: 25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05.

The ring recipe (non-saturating, MLP 3 x 128, Adam(1e-3, b1=0.5), EMA 0.99) at batch 1024,
plus instance noise (std 0.5 on D's real and fake inputs, annealed linearly to 0 over the
first 5,000 steps) and a cosine decay of both learning rates to 0 over 10,000 steps. Measured
(experiments.mode_coverage, seeds 0-4 in one vmapped program, 6 min 20 s): 25.0 +- 0.0 modes,
93.9% +- 1.0 high quality (93.6, 93.2, 92.6, 94.8, 95.4%), KL 0.012 +- 0.002, the raw generator
the same; just short of the >= 95% goal (where the misses lie, measured on the
self-conditioned variant: README, "GAN benchmarks"). Earlier runs, not repeated: at batch 512: 25.0 modes, 90.6% +- 2.6;
at batch 2048: 25.0 modes, 93.3% +- 1.3; with EMA 0.999: 93.5% +- 1.0. Worse on 1-2 seeds:
latent_codes=25/100, R1 (0.01-0.1), noise annealed over 4k steps or from std 1.0, 15k steps,
MLP 3 x 256; MLP 4 x 128 reaches 95-96% but drops 1-3 modes; latent_dim 16 (18.0 modes);
self-conditioning on 25 k-means clusters (25.0 modes, 91.7%; its misses are modes ~20% too
wide, `spread` 1.18, not bridges: README, "GAN benchmarks").
"""
from configs import gan_ring8


def get_config():
  config = gan_ring8.get_config()
  config.data.name = "grid25"
  config.data.spacing = 2.0
  config.data.std = 0.05
  config.num_steps = 10000
  config.batch_size = 1024             # 512: 90.6% high quality (5 seeds), 86.5% on seed 1.
  config.optim.schedule = "cosine"     # Decay to 0 sharpens the modes at the end.
  config.loss.gan.instance_noise = 0.5     # Keeps all 25 modes; R1=0.1 does too, but caps quality ~80%.
  config.loss.gan.instance_noise_steps = 5000
  config.model.generator.noise_injection = 0.0  # See experiments.remedies in the README.
  return config
