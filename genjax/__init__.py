"""genjax: generative models (VAE, GAN, VAE-GAN) in JAX/Flax."""

__version__ = "0.1.0"
