"""Network shapes for any image size, and causality of the autoregressive head."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import models
from genjax.errors import GenjaxError
from genjax.models import vae
from tests.conftest import tiny


@pytest.mark.slow
@pytest.mark.parametrize("net", ["mlp", "conv"])
@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 1), (7, 9, 3)])
def test_encoder_decoder_shapes(net, shape):
  cfg = tiny().model
  cfg.encoder.net = cfg.decoder.net = net
  model = models.build_vae(cfg, shape)
  x = jnp.zeros((2,) + shape)
  z = jnp.zeros((2, cfg.latent_dim))
  params = model.init(jax.random.PRNGKey(0), x, z)
  mean, log_std = model.apply(params, x, method="encode")
  assert mean.shape == log_std.shape == (2, cfg.latent_dim)
  assert model.apply(params, z, x, method="decode").shape == (2,) + shape


@pytest.mark.slow
def test_autoregressive_head_is_causal():
  cfg = tiny().model
  cfg.decoder.ar_channels, cfg.decoder.ar_kernel = 8, 5
  model = models.build_vae(cfg, (6, 6, 1))
  x = (jax.random.uniform(jax.random.PRNGKey(1), (1, 6, 6, 1)) > 0.5).astype(jnp.float32)
  z = jnp.ones((1, cfg.latent_dim))
  params = model.init(jax.random.PRNGKey(0), x, z)
  base = model.apply(params, z, x, method="decode")
  for row, col in [(0, 0), (2, 3), (5, 5)]:
    flipped = x.at[0, row, col, 0].set(1 - x[0, row, col, 0])
    changed = np.abs(np.asarray(model.apply(params, z, flipped, method="decode") - base))[0, ..., 0]
    order = np.arange(36).reshape(6, 6)
    index = row * 6 + col
    assert changed[order <= index].max() == 0.0  # pixel i and earlier never see x_i
    later = (order > index) & (np.abs(order // 6 - row) <= 2) & (np.abs(order % 6 - col) <= 2)
    if later.any():
      assert changed[later].max() > 0.0  # later pixels in the window do


def test_causal_offsets_count():
  assert len(vae.causal_offsets(3)) == 4 and len(vae.causal_offsets(7)) == 24


@pytest.mark.parametrize("field,value,match", [
    ("encoder.net", "transformer", "model.encoder.net='transformer': valid are"),
    ("latent_dim", 0, "model.latent_dim=0"),
    ("decoder.hidden", (64, -1), "model.decoder.hidden"),
    ("decoder.likelihood", "poisson", "model.decoder.likelihood"),
    ("encoder.activation", "tanhh", "model.encoder.activation"),
])
def test_bad_model_config_is_refused(field, value, match):
  cfg = tiny().model
  section, _, key = field.rpartition(".")
  (cfg[section] if section else cfg)[key] = value
  with pytest.raises(GenjaxError, match=match):
    models.build_vae(cfg, (8, 8, 1))
