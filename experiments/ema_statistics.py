"""How much the EMA generator's own batch-norm statistics matter, on one checkpoint.

python -m experiments.ema_statistics --workdir=DIR [--num=1000] [--out_prefix=/tmp/ema]

Samples the same latents three ways: the EMA weights with their own EMA of the batch
statistics (what genjax samples), the EMA weights with the raw generator's statistics (what
genjax did before: mis-normalised), and the raw generator. Reports for each a classifier score
(exp E_x KL(p(y|x) || p(y)), Inception-score style, from a logistic regression fitted on the
run's labelled training images: no holdout needed) and the mean |difference| to the first;
writes a PNG grid of each with --out_prefix.
"""
import warnings

import jax
import numpy as np
from absl import flags

from genjax import cli
from genjax import data as data_lib
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax.data import files
from genjax.data import pipeline
from genjax.errors import GenjaxError

_WORKDIR = flags.DEFINE_string("workdir", None, "A GAN workdir whose generator has batch norm.")
_NUM = flags.DEFINE_integer("num", 1000, "Samples per variant.")
_OUT = flags.DEFINE_string("out_prefix", "", "Write <prefix>_<variant>.png grids of 64.")
flags.mark_flags_as_required(["workdir"])


def classifier_score(probs_NxK) -> float:
  marginal = probs_NxK.mean(0, keepdims=True)
  kl = np.sum(probs_NxK * (np.log(probs_NxK + 1e-12) - np.log(marginal + 1e-12)), 1)
  return float(np.exp(kl.mean()))


def main(argv):
  del argv
  log_lib.quiet_libraries()
  try:
    run = run_lib.open_run(_WORKDIR.value)
    config, family, state = run.config, run.family, run.restore(None)
    if "batch_stats" not in state.ema.get("gen", {}):
      raise GenjaxError(f"{_WORKDIR.value!r} holds no EMA generator with batch statistics")
    dataset = data_lib.load(config.data)
    if dataset.train_labels is None:
      raise GenjaxError("the run's data has no labels to fit the classifier on")
  except GenjaxError as e:
    cli.fail(e)
  from sklearn.linear_model import LogisticRegression  # pylint: disable=g-import-not-at-top
  warnings.filterwarnings("ignore", module="sklearn")  # Convergence chatter at max_iter.
  flat = lambda x: np.asarray(x).reshape(len(x), -1)
  images = pipeline.to_value_range(files.unit_float(dataset.train_images[:8000]),
                                   config.data.value_range)  # As the generator's outputs.
  classifier = LogisticRegression(max_iter=300).fit(flat(images), dataset.train_labels[:8000])
  online = state.nets["gen"].collections["batch_stats"]
  variants = {
      "ema_own_stats": state,
      "ema_online_stats": state.replace(ema={"gen": {**state.ema["gen"], "batch_stats": online}}),
  }
  sample = jax.jit(family.predict["sample"], static_argnums=2)
  key = jax.random.PRNGKey(0)
  outs = {name: np.asarray(sample(s, key, _NUM.value)) for name, s in variants.items()}
  outs["raw"] = np.asarray(jax.jit(family.predict["sample_raw"], static_argnums=2)(
      state, key, _NUM.value))
  print("| generator | classifier score | mean abs pixel difference to ema_own_stats |")
  print("| --- | --- | --- |")
  real = flat(images[:_NUM.value])
  print(f"| (training images) | {classifier_score(classifier.predict_proba(real)):.2f} | |")
  for name, x in outs.items():
    score = classifier_score(classifier.predict_proba(flat(x)))
    diff = float(np.abs(x - outs["ema_own_stats"]).mean())
    print(f"| {name} | {score:.2f} | {diff:.4f} |")
    if _OUT.value:
      log_lib.save_image_grid(f"{_OUT.value}_{name}.png", x[:64], config.data.value_range)


if __name__ == "__main__":
  cli.run(main)
