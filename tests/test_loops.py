"""genjax.loops.scan: unrolled loops compute what jax.lax.scan computes, without a loop."""
import jax
import jax.numpy as jnp
import numpy as np

from genjax import loops


def body(carry, x):
  carry = jnp.tanh(carry * 1.5 + x["a"])
  return carry, {"out": carry.sum() * x["b"]}


def inputs(n):
  key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
  return {"a": jax.random.normal(key_a, (n, 3)), "b": jax.random.normal(key_b, (n,))}


def test_unrolled_equals_scan():
  xs, carry0 = inputs(5), jnp.ones(3)
  want_carry, want_ys = jax.lax.scan(body, carry0, xs)
  for unroll_up_to in (1, 5, 8):  # 1: a scan (5 > 1); 5 and 8: unrolled.
    carry, ys = loops.scan(body, carry0, xs, unroll_up_to=unroll_up_to)
    np.testing.assert_allclose(carry, want_carry, rtol=1e-6)
    np.testing.assert_allclose(ys["out"], want_ys["out"], rtol=1e-6)
    assert ys["out"].shape == (5,)


def test_length_without_xs_and_single_iteration():
  f = lambda c, _: (c * 2.0, c)
  carry, ys = loops.scan(f, jnp.float32(1.0), length=3, unroll_up_to=3)
  assert float(carry) == 8.0 and ys.tolist() == [1.0, 2.0, 4.0]
  carry, ys = loops.scan(body, jnp.ones(3), inputs(1))  # One iteration: never a loop.
  assert ys["out"].shape == (1,)


def primitives(fn, *args):
  return {eqn.primitive.name for eqn in jax.make_jaxpr(fn)(*args).eqns}


def test_unrolling_removes_the_loop_only_up_to_the_limit():
  xs = inputs(5)
  assert "scan" not in primitives(lambda c, x: loops.scan(body, c, x, unroll_up_to=8),
                                  jnp.ones(3), xs)
  assert "scan" in primitives(lambda c, x: loops.scan(body, c, x, unroll_up_to=4), jnp.ones(3),
                              xs)
