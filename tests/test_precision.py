"""config.dtype='bfloat16': bf16 matmuls/convs, float32 state and losses, close to float32."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import dcgan_digits
from genjax import train
from genjax.errors import GenjaxError
from tests.conftest import tiny
from tests.test_gan import tiny_gan


def _dcgan():
  config = dcgan_digits.get_config()
  config.model.width, config.batch_size, config.model.spectral_norm = 8, 16, True
  return config


SETUPS = {"vae": (tiny, (8, 8, 1)), "gan": (tiny_gan, (2,)), "dcgan_sn": (_dcgan, (8, 8, 1))}


def _two_steps(name, dtype):
  make_config, shape = SETUPS[name]
  config = make_config()
  config.dtype = dtype
  family = train.build(config, shape, 10)
  n = family.examples_per_step
  batch = {"image": jax.random.uniform(jax.random.PRNGKey(1), (n,) + shape),
           "label": jnp.zeros((n,), jnp.int32)}
  step = jax.jit(family.train_step)
  state, _ = step(family.init_state(0), batch, jax.random.PRNGKey(2))
  jaxpr = str(jax.make_jaxpr(family.train_step)(state, batch, jax.random.PRNGKey(3)))
  state, metrics = step(state, batch, jax.random.PRNGKey(3))
  return state, metrics, jaxpr, config.batch_size


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_bfloat16_computes_in_bf16_keeps_float32_state_and_matches_float32(name):
  state32, metrics32, jaxpr32, batch = _two_steps(name, "float32")
  state16, metrics16, jaxpr16, _ = _two_steps(name, "bfloat16")
  assert "bf16" not in jaxpr32
  # Every matmul/conv over the batch (leading dim B, or 2B where D scores real and fake at
  # once) runs in bf16; parameter-sized ones (spectral norm's power iteration) may not.
  outputs = re.findall(r":(\w+)\[(\d+)[,\]].*= (?:dot_general|conv_general)", jaxpr16)
  batched = [dtype for dtype, lead in outputs if int(lead) in (batch, 2 * batch)]
  assert len(batched) >= 4 and set(batched) == {"bf16"}, outputs
  assert {leaf.dtype for leaf in jax.tree.leaves(state16)} == {
      leaf.dtype for leaf in jax.tree.leaves(state32)}
  for key, value in metrics32.items():
    assert metrics16[key].dtype == jnp.float32
    np.testing.assert_allclose(metrics16[key], value, rtol=0.02, atol=0.02, err_msg=key)


def test_unknown_dtype_lists_the_valid_ones():
  config = tiny()
  config.dtype = "float16"
  with pytest.raises(GenjaxError, match=r"dtype='float16': valid are \('float32', 'bfloat16'\)"):
    train.build(config, (8, 8, 1))
