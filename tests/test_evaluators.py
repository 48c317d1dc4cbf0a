"""Evaluators by config: refusals, bits/dim only for discrete likelihoods, up-front checks,
`experiments.evaluate`'s --set, and mode coverage of both generators."""
import os

import jax
import pytest

from genjax import evaluators
from genjax import families
from genjax import rng as rng_lib
from genjax import train
from genjax import workdirs
from genjax.errors import GenjaxError
from genjax.families import DataInfo
from tests.conftest import tiny, tiny_gan


def _build(config, shape=(8, 8, 1)):
  return evaluators.build(config, families.build(config, DataInfo(shape)))


def test_an_evaluator_is_refused_for_a_family_without_its_predict_functions():
  config = tiny_gan()
  config.evals.nll = dict(type="nll")
  with pytest.raises(GenjaxError, match=r"evals.nll \(type 'nll'\) needs the predict functions"
                                        r" \('neg_elbo', 'iwae_nll'\), which family 'gan' lacks"):
    _build(config, (2,))


def test_unknown_types_and_bad_options_are_one_line_errors():
  config = tiny()
  config.evals.nll.type = "fid9000"
  with pytest.raises(GenjaxError, match=r"evals.nll.type='fid9000': valid are \('nll', 'modes',"
                                        r" 'accuracy', 'features', 'moses'\)"):
    _build(config)
  config = tiny()
  config.evals.nll.iwae_chunk = 3
  with pytest.raises(GenjaxError, match="iwae_samples=10 must be a multiple of iwae_chunk=3"):
    _build(config)
  config = tiny()
  config.evals.nll.every_steps = 7
  with pytest.raises(GenjaxError, match="every_steps=7 must be a multiple of steps_per_call=5"):
    _build(config)


def test_a_bad_evaluator_is_refused_before_the_workdir_is_touched(tmp_path):
  config = tiny()
  config.evals.nll.iwae_chunk = 3
  with pytest.raises(GenjaxError, match="multiple of iwae_chunk"):
    train.train_and_evaluate(config, str(tmp_path / "run"))
  assert not os.path.exists(tmp_path / "run")


def test_bits_per_dim_only_for_a_bernoulli_likelihood_of_binarized_images():
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.3, (20, 8, 8, 1)).astype("float32")
  binary = evaluators.run(_build(tiny()), state, {"image": x})
  assert binary["eval/nll_bits_per_dim"] == pytest.approx(binary["eval/nll"] / (64 * 0.6931472))
  for change in ("gaussian", "grey"):
    config = tiny()
    if change == "gaussian":
      config.model.decoder.likelihood = "gaussian"
    config.data.dynamic_binarization = False
    family = families.build(config, DataInfo((8, 8, 1)))
    result = evaluators.run(_build(config), family.init_state(0), {"image": x})
    assert set(result) == {"eval/neg_elbo", "eval/nll"}, change


def test_elbo_and_iwae_draw_from_their_own_purpose_keys():
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.3, (20, 8, 8, 1)).astype("float32")
  result = evaluators.run(_build(tiny()), state, {"image": x})
  batch_key = jax.random.fold_in(rng_lib.purpose_key(state.rng, "eval"), 0)
  elbo = family.predict["neg_elbo"](state, x, rng_lib.purpose_key(batch_key, "elbo")).mean()
  assert result["eval/neg_elbo"] == pytest.approx(float(elbo), rel=1e-5)


def test_evaluate_main_sets_evaluator_options_and_refuses_others(tmp_path):
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(tiny(), workdir)
  step, metrics = workdirs.evaluate(workdir, ["evals.nll.iwae_examples=5"])
  assert step == 20 and metrics["eval/nll"] > 0
  _, full = workdirs.evaluate(workdir)
  assert metrics["eval/neg_elbo"] == pytest.approx(full["eval/neg_elbo"])
  assert metrics["eval/nll"] != pytest.approx(full["eval/nll"])  # 5 examples, not 20.
  with pytest.raises(GenjaxError, match=r"only evaluator options can be set, as"
                                        r" evals.NAME.FIELD=VALUE with NAME in \('nll',\)"):
    workdirs.evaluate(workdir, ["eval.iwae_examples=5"])
  with pytest.raises(GenjaxError, match="evals.nll.iwae_exampels is not an option"):
    workdirs.evaluate(workdir, ["evals.nll.iwae_exampels=5"])


def test_an_evaluator_turned_off_in_training_is_turned_on_for_evaluate():
  """--set=evals.NAME.every_steps=0 runs an evaluator that training ran without (-1); an
  evaluator's type is not an option (one line)."""
  config = tiny()
  config.evals.nll.every_steps = -1
  workdirs.set_eval_field(config, "evals.nll.every_steps=0")
  assert config.evals.nll.every_steps == 0
  assert len(evaluators.build(config, families.build(config, DataInfo((8, 8, 1))))) == 1
  with pytest.raises(GenjaxError, match="every_steps takes a int"):
    workdirs.set_eval_field(config, "evals.nll.every_steps=often")
  with pytest.raises(GenjaxError, match="an evaluator's type cannot be changed"):
    workdirs.set_eval_field(config, "evals.nll.type=modes")
