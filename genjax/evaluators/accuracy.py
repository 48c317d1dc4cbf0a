"""Classification accuracy and mean cross-entropy (nats per example) of a classifier's logits
over the whole labelled eval split, in batches of `batch_size`."""
import jax
import jax.numpy as jnp
import numpy as np
import optax

from genjax.errors import GenjaxError

NEEDS = ("logits",)
OPTIONS = dict(batch_size=500)


def make(family, config, options):
  del config
  if not isinstance(options["batch_size"], int) or options["batch_size"] <= 0:
    raise GenjaxError(f"evals option batch_size={options['batch_size']!r} must be a positive"
                      " integer")
  if not family.data_info.num_classes:
    raise GenjaxError("evals type 'accuracy' needs labelled eval data; this data has no labels:"
                      " turn it off with --config.evals.<name>.every_steps=-1")
  size = options["batch_size"]

  @jax.jit
  def correct_and_xent(state, x_BxHxWxC, labels_B):
    logits_BxK = family.predict["logits"](state, x_BxHxWxC)
    xent_B = optax.softmax_cross_entropy_with_integer_labels(logits_BxK, labels_B)
    return jnp.sum(jnp.argmax(logits_BxK, -1) == labels_B), jnp.sum(xent_B)

  def run(state, eval_data):
    if eval_data is None or "label" not in eval_data:
      raise GenjaxError("evals type 'accuracy' needs labelled eval data; the eval split has no"
                        " labels")
    images, labels = eval_data["image"], eval_data["label"]
    correct, xent = 0, 0.0
    for start in range(0, len(labels), size):
      c, e = jax.device_get(correct_and_xent(state, images[start:start + size],
                                             labels[start:start + size]))
      correct, xent = correct + int(c), xent + float(np.float64(e))
    return {"accuracy": correct / len(labels), "xent": xent / len(labels)}

  return run
