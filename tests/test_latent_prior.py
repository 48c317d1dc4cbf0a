"""genjax.latent_prior: a Gaussian mixture fitted to encoded training images, sampled from an
explicit key, through the evaluator; and its refusals."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import families
from genjax import latent_prior
from genjax.errors import GenjaxError
from genjax.families import DataInfo
from tests.conftest import tiny
from tests.conftest import tiny_gan
from tests.test_features import _evaluator
from tests.test_features import pixels  # noqa: F401  (the fixture)


def test_specs():
  assert latent_prior.components("standard") == 0
  assert latent_prior.components("gmm10") == 10
  for bad in ("gmm", "gmm0", "gauss", "GMM3", "gmm-2"):
    with pytest.raises(GenjaxError, match=f"prior='{bad}': valid are 'standard'"):
      latent_prior.components(bad)


def test_fit_and_draw_recover_a_known_mixture():
  rng = np.random.default_rng(0)
  n = 4000
  first = rng.normal([-4.0, 0.0, 1.0], [0.5, 1.0, 0.2], size=(n // 4, 3))
  second = rng.normal([4.0, 2.0, -1.0], [1.0, 0.3, 0.5], size=(3 * n // 4, 3))
  mixture = latent_prior.fit(np.concatenate([first, second]), 2, seed=0)
  z = np.asarray(latent_prior.draw(mixture, jax.random.PRNGKey(1), 20000))
  left, right = z[z[:, 0] < 0], z[z[:, 0] >= 0]
  assert len(left) / len(z) == pytest.approx(0.25, abs=0.015)
  np.testing.assert_allclose(left.mean(0), first.mean(0), atol=0.03)  # The fit's MLE.
  np.testing.assert_allclose(right.std(0), second.std(0), rtol=0.03)
  again = latent_prior.draw(mixture, jax.random.PRNGKey(1), 20000)
  np.testing.assert_array_equal(z, again)  # A function of the key.
  assert not np.array_equal(z, latent_prior.draw(mixture, jax.random.PRNGKey(2), 20000))
  with pytest.raises(GenjaxError, match="needs at least 10 codes"):
    latent_prior.fit(np.zeros((9, 3)), 5)


def centre(x):
  """The mean of an 8x8 image's two centre columns: ink for 1s, empty for 0s."""
  return x[:, :, 3:5].mean((1, 2, 3))


def brightness_family(feature=lambda x: x.mean((1, 2, 3))):
  """A stand-in autoencoder: the code of an image is its `feature` (default its mean pixel)
  x10, the decoded image of z is z/10 everywhere, so samples show the fitted distribution of
  the feature."""
  config = tiny()
  config.data.dynamic_binarization = False
  family = families.build(config, DataInfo((8, 8, 1), 10))
  predict = {"sample": family.predict["sample"],
             "encode": lambda state, x: (10 * feature(x)[:, None],) * 2,
             "decode": lambda state, z: jnp.broadcast_to(z[:, :1, None, None] / 10,
                                                         (len(z), 8, 8, 1))}
  return config, family._replace(predict=predict)


def test_the_sampler_decodes_draws_of_the_encoded_training_set():
  config, family = brightness_family()
  sample = latent_prior.sampler(family, None, config.data, "gmm3")
  x = np.asarray(sample(None, jax.random.PRNGKey(0), 5000))
  assert x.shape == (5000, 8, 8, 1)
  means = np.asarray(data_lib.load(config.data).train_images).mean((1, 2, 3))
  assert x[:, 0, 0, 0].mean() == pytest.approx(means.mean(), rel=0.01)
  assert x[:, 0, 0, 0].std() == pytest.approx(means.std(), rel=0.05)
  few = latent_prior.sampler(family, None, config.data, "gmm1", num_fit=20)
  assert np.asarray(few(None, jax.random.PRNGKey(0), 5000)).mean() == pytest.approx(
      means[:20].mean(), rel=0.02)  # num_fit: the first 20 training images only.


def test_the_evaluator_scores_mixture_samples(pixels, tmp_path):  # noqa: F811
  config, family = brightness_family()
  options = dict(metrics="fid", num_samples=200, batch_size=100, cache_dir=str(tmp_path))
  fitted = _evaluator(config, family, prior="gmm2", **options)
  assert "gmm2 fitted" in fitted.about["sampler"]
  result = fitted.run(None, None)
  assert set(result) == {"fid"} and result["fid"] > 0  # Logged under the evaluator's name.


@pytest.mark.parametrize("options,match", [
    (dict(prior="gmm"), "prior='gmm': valid are"),
    (dict(prior="gmm2", source="reconstructions"), "use it with source='samples'"),
    (dict(prior="gmm2", prior_examples=-1), "prior_examples=-1 must be"),
])
def test_bad_prior_options_are_one_line_errors(pixels, options, match):  # noqa: F811
  config, family = brightness_family()
  with pytest.raises(GenjaxError, match=f"evals.q: .*{match}"):
    _evaluator(config, family, **options)


def test_models_without_an_encoder_are_refused():
  gan = families.build(tiny_gan(), DataInfo((2,)))
  with pytest.raises(GenjaxError, match="'gan' model has no encode "):
    latent_prior.check(gan, "gmm10")
  assert latent_prior.check(gan, "standard") == 0


@pytest.mark.slow
def test_a_conditional_model_samples_each_class_from_its_own_mixture():
  """Class c's samples show the centre ink of class c's training images, not all classes'."""
  config, plain = brightness_family(centre)
  encode, decode = plain.predict["encode"], plain.predict["decode"]
  family = plain._replace(num_classes=10, predict={
      **plain.predict, "encode": lambda state, x, labels: encode(state, x),
      "decode": lambda state, z, labels: decode(state, z)})
  sample = latent_prior.sampler(family, None, config.data, "gmm2")
  dataset = data_lib.load(config.data)
  means = centre(np.asarray(dataset.train_images))
  labels = np.asarray(dataset.train_labels)
  by_class = np.array([means[labels == c].mean() for c in range(10)])
  darkest, brightest = int(by_class.argmin()), int(by_class.argmax())
  assert by_class[brightest] - by_class[darkest] > 0.05  # Far apart, relative to rel=0.02.
  for c in (darkest, brightest):
    x = np.asarray(sample(None, jax.random.PRNGKey(c), 2000, jnp.full((2000,), c, jnp.int32)))
    assert x.mean() == pytest.approx(by_class[c], rel=0.02)
  mixed = np.asarray(sample(None, jax.random.PRNGKey(0), 5000))  # Uniform classes.
  assert mixed.mean() == pytest.approx(means.mean(), rel=0.03)
