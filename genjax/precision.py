"""Compute precision, `config.dtype`: 'float32' or 'bfloat16'.

Parameters, optimizer state, normalization statistics and losses stay float32. With
'bfloat16' each network call runs on bfloat16 copies of the parameters and inputs (their
gradients flow back into the float32 parameters through the cast) and its outputs are cast
back to float32 before any loss, so only the matmuls and convolutions run in bf16.
"""
import jax
import jax.numpy as jnp

from genjax.errors import GenjaxError

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def compute_dtype(config):
  name = config.get("dtype", "float32")
  if name not in DTYPES:
    raise GenjaxError(f"dtype={name!r}: valid are {tuple(DTYPES)}")
  return DTYPES[name]


def cast(tree, dtype):
  """Floating-point leaves of `tree` cast to `dtype`; integer leaves (labels) untouched."""
  return jax.tree.map(
      lambda x: x.astype(dtype) if jnp.issubdtype(jnp.result_type(x), jnp.floating) else x, tree)


def apply(module, dtype, variables, *args, mutable=False, **kwargs):
  """`module.apply` in `dtype`: params and float inputs cast, outputs back to float32.

  Mutable collections (batch statistics, spectral-norm vectors) keep their stored dtypes.
  """
  variables = {"params": cast(variables["params"], dtype),
               **{k: v for k, v in variables.items() if k != "params"}}
  out = module.apply(variables, *cast(args, dtype), mutable=mutable, **kwargs)
  if mutable is False:
    return cast(out, jnp.float32)
  out, updates = out
  updates = {k: jax.tree.map(lambda new, old: new.astype(old.dtype), v, variables[k])
             if k in variables else v for k, v in updates.items()}  # (Else: sown values.)
  return cast(out, jnp.float32), updates
