"""Evaluators by config: refusals, bits/dim only for discrete likelihoods, up-front checks,
`experiments.evaluate`'s --set, and mode coverage of both generators."""
import os

import jax
import numpy as np
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
                                        r" 'accuracy', 'features', 'moses',"
                                        r" 'superres'\)"):
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


@pytest.mark.slow
def test_bits_per_dim_only_for_a_bernoulli_likelihood_of_binarized_images():
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.3, (20, 8, 8, 1)).astype("float32")
  binary = evaluators.run(_build(tiny()), state, {"image": x})
  assert binary["eval/nll/nll_bits_per_dim"] == pytest.approx(binary["eval/nll/nll"] / (64 * 0.6931472))
  for change in ("gaussian", "grey"):
    config = tiny()
    if change == "gaussian":
      config.model.decoder.likelihood = "gaussian"
    config.data.dynamic_binarization = False
    family = families.build(config, DataInfo((8, 8, 1)))
    result = evaluators.run(_build(config), family.init_state(0), {"image": x})
    assert set(result) == {"eval/nll/neg_elbo", "eval/nll/nll", "eval/nll/nll_stderr",
                           "eval/nll/neg_elbo_all"}, change


def test_elbo_and_iwae_draw_from_their_own_purpose_keys():
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.3, (20, 8, 8, 1)).astype("float32")
  result = evaluators.run(_build(tiny()), state, {"image": x})
  batch_key = jax.random.fold_in(rng_lib.purpose_key(state.rng, "eval"), 0)
  elbo = family.predict["neg_elbo"](state, x, rng_lib.purpose_key(batch_key, "elbo")).mean()
  assert result["eval/nll/neg_elbo"] == pytest.approx(float(elbo), rel=1e-5)


@pytest.mark.slow
def test_evaluate_main_sets_evaluator_options_and_refuses_others(tmp_path):
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(tiny(), workdir)
  step, metrics = workdirs.evaluate(workdir, ["evals.nll.iwae_examples=5"])
  assert step == 20 and metrics["eval/nll/nll"] > 0
  _, full = workdirs.evaluate(workdir)
  assert metrics["eval/nll/neg_elbo_all"] == pytest.approx(full["eval/nll/neg_elbo_all"])
  assert metrics["eval/nll/nll"] != pytest.approx(full["eval/nll/nll"])  # 5 examples, not 20...
  assert metrics["eval/nll/neg_elbo"] != pytest.approx(full["eval/nll/neg_elbo"])  # ...and its ELBO.
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


def test_evaluators_added_by_name_and_type_log_under_their_names():
  """--add_eval=NAME=TYPE (+ --set) adds an evaluator; two of one type never collide."""
  config = tiny()
  config.lock()
  workdirs.add_evaluators(config, ["small=nll"], ["evals.small.iwae_examples=2"])
  assert config.evals.small.to_dict() == {"type": "nll", "every_steps": 0, "iwae_examples": 2}
  family = families.build(config, DataInfo((8, 8, 1)))
  built = evaluators.build(config, family)
  assert [e.name for e in built] == ["nll", "small"]
  for spec, match in (("nll=nll", "the config already has evals.nll"),
                      ("x=fid", r"give NAME=TYPE.*TYPE one of \('nll', 'modes'"),
                      ("2x=nll", "NAME a Python identifier")):
    with pytest.raises(GenjaxError, match=match):
      workdirs.add_evaluators(config, [spec])
  fake = [evaluators.Evaluator(n, 1, lambda s, x: {"nll": 1.0}) for n in ("nll", "small")]
  assert evaluators.run(fake, None, None) == {"eval/nll/nll": 1.0, "eval/small/nll": 1.0}
  assert evaluators.of_evaluator({"eval/small/nll": 2.0, "eval/nll/nll": 1.0}, "small") == {
      "nll": 2.0}


def _nll_evaluator(config, family, **options):
  config.evals = {"nll": dict(type="nll", **options)}
  (evaluator,) = evaluators.build(config, family)
  return evaluator.run


def test_neg_elbo_and_nll_are_reported_on_the_same_images():
  """The IWAE NLL is of the first `iwae_examples` eval images, and so is `neg_elbo`, so the
  two compare; `neg_elbo_all` is the whole eval set's. Here the first 5 images are blank and
  the other 15 noise: their -ELBOs differ, so a mean over the wrong images shows."""
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  noise = jax.random.bernoulli(jax.random.PRNGKey(0), 0.5, (15, 8, 8, 1))
  x = jax.numpy.concatenate([jax.numpy.zeros((5, 8, 8, 1)), noise]).astype("float32")
  run = _nll_evaluator(tiny(), family, iwae_examples=5, iwae_samples=10, iwae_chunk=5)
  result = run(state, {"image": x})
  batch_key = jax.random.fold_in(rng_lib.purpose_key(state.rng, "eval"), 0)
  per_image = family.predict["neg_elbo"](state, x, rng_lib.purpose_key(batch_key, "elbo"))
  assert result["neg_elbo"] == pytest.approx(float(per_image[:5].mean()), rel=1e-5)
  assert result["neg_elbo_all"] == pytest.approx(float(per_image.mean()), rel=1e-5)
  assert result["neg_elbo_all"] > result["neg_elbo"] + 1.0  # Noise costs more than blank.
  iwae = family.predict["iwae_nll"](state, x[:5], rng_lib.purpose_key(batch_key, "iwae"), 10, 5)
  assert result["nll"] == pytest.approx(float(iwae.mean()), rel=1e-5)
  assert result["nll_stderr"] == pytest.approx(float(np.std(iwae, ddof=1) / np.sqrt(5)), rel=1e-5)
  assert result["nll_bits_per_dim"] == pytest.approx(result["nll"] / (64 * np.log(2)))
  assert result["neg_elbo_bits_per_dim"] == pytest.approx(result["neg_elbo"] / (64 * np.log(2)))


def test_iwae_examples_0_scores_every_eval_image_and_a_negative_count_is_refused():
  family = families.build(tiny(), DataInfo((8, 8, 1)))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(1), 0.3, (12, 8, 8, 1)).astype("float32")
  every = _nll_evaluator(tiny(), family, iwae_examples=0, iwae_samples=10, iwae_chunk=5,
                         batch_size=5)(state, {"image": x})
  assert every["neg_elbo"] == pytest.approx(every["neg_elbo_all"], rel=1e-6)
  first = _nll_evaluator(tiny(), family, iwae_examples=5, iwae_samples=10, iwae_chunk=5,
                         batch_size=5)(state, {"image": x})
  assert first["neg_elbo"] != pytest.approx(every["neg_elbo"], rel=1e-6)
  with pytest.raises(GenjaxError, match=r"iwae_examples=-1 must be an integer >= 0 \(0: every"):
    _nll_evaluator(tiny(), family, iwae_examples=-1)


def test_a_conditional_model_reports_log_p_x_given_y_under_its_own_names():
  """A class-conditional VAE's figures are -log p(x|y) bounds: the keys say so ('_given_y'),
  and they are the family's values given the eval labels."""
  config = tiny()
  config.model.conditioning = "concat"
  family = families.build(config, DataInfo((8, 8, 1), 10))
  state = family.init_state(0)
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.3, (20, 8, 8, 1)).astype("float32")
  labels = np.arange(20) % 10
  result = _nll_evaluator(config, family, iwae_examples=20, iwae_samples=10, iwae_chunk=5)(
      state, {"image": x, "label": labels})
  assert set(result) == {f"{name}_given_y{bits}"
                         for name in ("neg_elbo", "nll", "nll_stderr", "neg_elbo_all")
                         for bits in ("", "_bits_per_dim")}
  batch_key = jax.random.fold_in(rng_lib.purpose_key(state.rng, "eval"), 0)
  iwae = family.predict["iwae_nll"](state, x, rng_lib.purpose_key(batch_key, "iwae"), 10, 5,
                                    labels)
  assert result["nll_given_y"] == pytest.approx(float(iwae.mean()), rel=1e-5)


@pytest.fixture(scope="module")
def trained_vae():
  """A small MLP VAE trained 150 steps on the digits, and 20 binarized eval images."""
  from genjax import data as data_lib  # pylint: disable=g-import-not-at-top
  from genjax.data import pipeline  # pylint: disable=g-import-not-at-top
  config = tiny()
  dataset = data_lib.load(config.data)
  family = families.build(config, DataInfo(dataset.image_shape))
  state, step = family.init_state(0), jax.jit(family.train_step)
  train_x = jax.numpy.asarray(dataset.train_images)
  for s in range(150):
    key = jax.random.PRNGKey(s)
    start = (s * 32) % 1400
    state, _ = step(state, {"image": pipeline.preprocess(train_x[start:start + 32], key,
                                                         config.data)}, key)
  eval_x = pipeline.fixed_eval_images(dataset.eval_images[:20], 0, config.data)
  return config, family, state, eval_x


def test_the_nll_is_the_importance_weighted_bound_computed_by_hand(trained_vae):
  """eval/nll/nll against -log mean_k p(x|z_k) p(z_k) / q(z_k|x) from the model's encoder and
  decoder, z_k ~ q(z|x), k = 1000 independent draws: equal up to the estimators' noise, and
  well below -ELBO (the comparison tells the bound from the ELBO)."""
  from scipy.special import logsumexp  # pylint: disable=g-import-not-at-top
  from scipy.stats import norm  # pylint: disable=g-import-not-at-top
  config, family, state, x = trained_vae
  result = _nll_evaluator(config, family, iwae_examples=20, iwae_samples=1000,
                          iwae_chunk=100)(state, {"image": x})
  k = 1000
  mean, log_std = (np.asarray(a, np.float64) for a in family.predict["encode"](state, x))
  z = mean + np.exp(log_std) * np.random.default_rng(0).standard_normal((k,) + mean.shape)
  probs = np.asarray(family.predict["decode"](state, jax.numpy.asarray(
      z.reshape(-1, z.shape[-1]), jax.numpy.float32)), np.float64).reshape((k,) + x.shape)
  probs = np.clip(probs, 1e-12, 1 - 1e-12)
  xs = np.asarray(x, np.float64)[None]
  log_px = (xs * np.log(probs) + (1 - xs) * np.log1p(-probs)).reshape(k, len(x), -1).sum(-1)
  log_pz = norm.logpdf(z).sum(-1)
  log_qz = norm.logpdf(z, mean, np.exp(log_std)).sum(-1)
  by_hand = -np.mean(logsumexp(log_px + log_pz - log_qz, axis=0) - np.log(k))
  assert result["nll"] == pytest.approx(by_hand, abs=0.1)
  assert result["neg_elbo"] - by_hand > 0.5
