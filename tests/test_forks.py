"""A forked train step, selected by `model.train_step`: the README's prior-only VAE-GAN runs
as written, and changes exactly what it says it changes."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import families
from genjax.errors import GenjaxError
from genjax.families import vaegan
from tests.conftest import ROOT, tiny_vaegan
from tests.test_step_gradients import assert_updated_by, step_with


def readme_fork(tmp_path, monkeypatch) -> str:
  """Writes the README's fork module into `tmp_path` (on the Python path); its name."""
  with open(f"{ROOT}/README.md") as f:
    readme = f.read()
  (code,) = re.findall(r"```python\n(# prior_only_vaegan\.py.*?)```", readme, re.S)
  assert len(code.splitlines()) <= 25
  (tmp_path / "prior_only_vaegan.py").write_text(code)
  monkeypatch.syspath_prepend(str(tmp_path))
  return "prior_only_vaegan"


def vaegan_families(fork: str):
  config = tiny_vaegan()
  info = families.DataInfo((8, 8, 1), 10)
  forked = config.copy_and_resolve_references()
  forked.model.train_step = f"{fork}.train_step"
  return families.build(config, info), families.build(forked, info)


def test_the_readme_fork_trains_d_on_prior_samples_only(tmp_path, monkeypatch):
  """One step from the same state, batch and key: the encoder (whose loss has no adversarial
  term) gets the same update; D's update is the gradient of its loss on the reals against the
  prior samples alone (`vaegan.decode_for_training` of the step's prior draws)."""
  default, forked = vaegan_families(readme_fork(tmp_path, monkeypatch))
  setup = forked.setup
  batch = {"image": jax.random.uniform(jax.random.PRNGKey(0), (32, 8, 8, 1)),
           "label": jnp.arange(32, dtype=jnp.int32) % 10}
  rng = jax.random.PRNGKey(1)

  def d_grads(state, new, batch, rng):
    x = batch["image"]
    _, z, _, _ = vaegan.step_draws(setup, batch, rng)
    x_prior = vaegan.decode_for_training(setup, state.nets, z, None)
    disc = state.nets[vaegan.DISC]

    def d_loss(params):
      score = lambda images: vaegan.gan.generator_scores(
          setup.d, setup.rt, {**disc.variables, "params": params}, images, None)
      return setup.objective.d(score(x), score(x_prior))
    return jax.grad(d_loss)(disc.params)

  _, new_default, _ = step_with(default, batch, rng, lambda *a: 0.0)
  state, new_fork, expected = step_with(forked, batch, rng, d_grads)
  b1 = 0.5  # configs/vaegan_digits.py's Adam b1.
  assert_updated_by(new_fork.nets[vaegan.DISC], [expected], b1, "disc")
  for a, b in zip(jax.tree.leaves(new_default.nets[vaegan.ENC]),
                  jax.tree.leaves(new_fork.nets[vaegan.ENC]), strict=True):
    np.testing.assert_array_equal(a, b)
  moved = [np.abs(a - b).max() for a, b in zip(jax.tree.leaves(new_default.nets[vaegan.DEC]),
                                               jax.tree.leaves(new_fork.nets[vaegan.DEC]))]
  assert max(moved) > 0  # The decoder's adversarial term changed too.


@pytest.mark.parametrize("spec, message", [
    ("no_such_module.train_step", "cannot import 'no_such_module'"),
    ("genjax.families.vaegan.no_such_step", "names no function"),
    ("train_step", "names no function"),
])
def test_a_train_step_that_cannot_be_loaded_is_one_line_naming_the_form(spec, message):
  config = tiny_vaegan()
  config.model.train_step = spec
  with pytest.raises(GenjaxError) as error:
    families.build(config, families.DataInfo((8, 8, 1), 10))
  assert message in str(error.value) and "'module.function'" in str(error.value)
  assert "\n" not in str(error.value)
