"""Image repair: masks part of each eval image (a centre square, the bottom half, or 50% random
pixels) and fills it from a trained model, by optimizing the latent to match the visible pixels
(VAE, VAE-GAN, GAN) or by iterating encode-decode with the visible pixels clamped (VAE,
VAE-GAN). Reports the error on the masked region (and that of filling it with the mean training
image), a classifier's accuracy on masked and repaired images, and figures of masked /
repaired / original rows.

python -m experiments.inpaint --workdirs=/tmp/genjax/default   # all 360 eval digits
python -m experiments.inpaint --config=configs/default.py --workdir=DIR   # trains DIR first
python -m experiments.inpaint --workdirs=/tmp/genjax/vae_plain,/tmp/genjax/fcd/dcgan_mnist10k     --classifier=/tmp/genjax/classifier_mnist10k --num=200

Writes OUT/inpaint.json, OUT/inpaint.md and OUT/inpaint_<run>_<mask>.png (OUT: --out, by
default the first workdir's inpaint/). All pixel errors are in [0, 1] units.
"""
import functools
import os
import time
from typing import NamedTuple, Sequence
import jax
import jax.numpy as jnp
import numpy as np
import optax
from genjax.applications import common as apps
from genjax import families
from genjax import logs as log_lib
from genjax.errors import GenjaxError


MASKS = ("centre", "bottom", "random")


METHODS = ("optimize", "iterate")


FIGURE_IMAGES = 8


class RepairOptions(NamedTuple):
  """How `repair_run` repairs (the flags of experiments.inpaint)."""
  masks: Sequence[str] = MASKS
  steps: int = 200            # optimize: Adam steps on the latent.
  lr: float = 0.05            # optimize: Adam's learning rate.
  prior_weight: float = 0.05  # optimize: weight of 0.5 ||z||^2.
  restarts: int = 1           # optimize: latent starts per image.
  iterations: int = 30        # iterate: encode-decode rounds.
  batch: int = 250            # Images per compiled call.
  start: str = "grey"         # What hidden pixels first hold: 'grey' or 'mean' (training image).


@functools.partial(jax.jit, static_argnames=("kind", "shape"))
def masks(kind: str, shape, key):
  """float32[B, H, W, 1] masks (1 = visible) for `shape` = (B, H, W): 'centre' hides the
  centred square of half the side (1/4 of the area), 'bottom' the bottom half, 'random' each
  pixel with probability 1/2, drawn per image from `key`."""
  b, h, w = shape
  rows, cols = jnp.arange(h)[:, None], jnp.arange(w)[None, :]
  if kind == "centre":
    top, left = h // 4, w // 4
    hidden = ((rows >= top) & (rows < top + h // 2) & (cols >= left) & (cols < left + w // 2))
  elif kind == "bottom":
    hidden = jnp.broadcast_to(rows >= h // 2, (h, w))
  elif kind == "random":
    return jax.random.bernoulli(key, 0.5, (b, h, w, 1)).astype(jnp.float32)
  else:
    raise GenjaxError(f"unknown mask {kind!r}: valid masks are {', '.join(MASKS)}")
  return jnp.broadcast_to((~hidden).astype(jnp.float32)[None, :, :, None], (b, h, w, 1))


@jax.jit
def compose(x_obs, filled, mask):
  """The observed pixels where `mask` is 1, `filled` elsewhere (so visible pixels stay exact)."""
  return jnp.where(mask > 0, x_obs, filled)


def _visible_sse(decode, state, z, x, mask, labels):
  """Squared error of decode(z) on the visible pixels, summed per image: float[B]."""
  return jnp.sum(mask * (decode(state, z, labels) - x) ** 2, axis=(1, 2, 3))


@functools.partial(jax.jit, static_argnames=("decode", "steps"))
def repair_by_latent_optimization(decode, state, x_visible, mask, z0, steps: int, lr,
                                  prior_weight, labels=None):
  """Fills the hidden pixels of `x_visible` (BxHxWxC in [0, 1]; hidden ones are ignored) with
  decode(z*), z* minimizing the visible pixels' summed squared error + prior_weight *
  0.5 ||z||^2 by `steps` Adam steps from each start of `z0` (BxZ, or RxBxZ: R restarts; the
  lowest final objective wins). `decode(state, z_BxZ, labels) -> images in [0, 1]`.

  Returns (repaired_BxHxWxC, z_BxZ, trace_S): trace_S[i] is the mean per-pixel squared error
  on visible pixels (over all starts) before step i, then after the last step.
  """
  z0 = z0[None] if z0.ndim == 2 else z0
  r, b = z0.shape[:2]
  tile = lambda a: None if a is None else jnp.concatenate([a] * r)
  x, m, y = tile(x_visible), tile(mask), tile(labels)
  visible = jnp.maximum(jnp.sum(m) * x.shape[-1], 1.0)

  def objective(z):
    sse = _visible_sse(decode, state, z, x, m, y)
    per_start = sse + prior_weight * 0.5 * jnp.sum(z ** 2, -1)
    return jnp.sum(per_start), (per_start, jnp.sum(sse) / visible)

  optimizer = optax.adam(lr)

  def step(carry, _):
    z, opt_state = carry
    (_, (_, mse)), grad = jax.value_and_grad(objective, has_aux=True)(z)
    updates, opt_state = optimizer.update(grad, opt_state)
    return (optax.apply_updates(z, updates), opt_state), mse

  z = z0.reshape((r * b,) + z0.shape[2:])
  (z, _), trace = jax.lax.scan(step, (z, optimizer.init(z)), None, length=steps)
  _, (per_start, final_mse) = objective(z)
  best = jnp.argmin(per_start.reshape(r, b), 0)
  z = z.reshape(r, b, -1)[best, jnp.arange(b)]
  filled = decode(state, z, labels)
  return compose(x_visible, filled, mask), z, jnp.append(trace, final_mse)


@functools.partial(jax.jit, static_argnames=("encode", "decode", "iterations"))
def repair_by_iteration(encode, decode, state, x_obs, mask, iterations: int, labels=None,
                        start=0.5):
  """Starts from `x_obs` (BxHxWxC in [0, 1]) with hidden pixels at `start` (mid-grey, or an
  image broadcasting to x_obs) and repeats x <- compose(x_obs, decode(encode(x)), mask)
  `iterations` times. `encode(state, x, labels)` -> the posterior mean z_BxZ and
  `decode(state, z, labels)` -> images, both in [0, 1]."""
  def body(_, x):
    return compose(x_obs, decode(state, encode(state, x, labels), labels), mask)
  first = compose(x_obs, jnp.broadcast_to(start, x_obs.shape).astype(x_obs.dtype), mask)
  return jax.lax.fori_loop(0, iterations, body, first)


def unit_model(family, value_range: str):
  """(encode, decode) of `family` on [0, 1] images (encode None without an encoder):
  encode(state, x01, labels) -> posterior mean, decode(state, z, labels) -> x01 (clipped)."""
  to_range = (lambda x: x * 2.0 - 1.0) if value_range == "-1,1" else (lambda x: x)
  to_unit = (lambda x: (x + 1.0) / 2.0) if value_range == "-1,1" else (lambda x: x)
  labelled = lambda y: y if family.num_classes else None

  def decode(state, z, labels):
    return jnp.clip(to_unit(family.predict["decode"](state, z, labelled(labels))), 0.0, 1.0)

  def encode(state, x01, labels):
    return family.predict["encode"](state, to_range(x01), labelled(labels))[0]

  return (encode if "encode" in family.predict else None), decode


NEEDS = ("decode", "prior")  # Every method; 'iterate' also needs 'encode'.


def check_model(family, methods, where: str) -> None:
  """Refuses (one line) a model that cannot repair images with `methods` (those asked for),
  asked of its predict functions."""
  if not family.data_info.is_image:
    raise GenjaxError(f"{where} models 2-D points: inpainting needs images")
  families.require(family, NEEDS, where, "inpainting decodes latents")
  if "iterate" in methods and "encode" not in family.predict:
    raise GenjaxError(f"--methods=iterate: the {family.name!r} model in {where} has no encoder;"
                      " use --methods=optimize")


def _names(values, valid, flag):
  bad = [v for v in values if v not in valid]
  if bad or not values:
    raise GenjaxError(f"--{flag}={','.join(values)}: unknown {', '.join(map(repr, bad)) or 'none'};"
                      f" valid are {', '.join(valid)}")
  return values


def _in_batches(fn, batch: int, *arrays):
  """fn over `arrays` (sharing the leading axis N; None passes through) in chunks of `batch`,
  the last padded so one compiled shape serves all; outputs concatenated (numpy)."""
  n = len(arrays[0])
  outs = []
  for start in range(0, n, batch):
    chunk = [None if a is None else a[start:start + batch] for a in arrays]
    k = len(chunk[0])
    pad = lambda a: None if a is None else np.concatenate([a, np.repeat(a[-1:], batch - k, 0)])
    out = fn(*[pad(a) for a in chunk])
    outs.append(jax.tree.map(lambda o: np.asarray(o)[:k], out))
  return jax.tree.map(lambda *parts: np.concatenate(parts), *outs)


def masked_errors(repaired, x, mask) -> dict:
  """Mean squared and absolute error over the hidden pixels, in [0, 1] units."""
  hidden = np.broadcast_to(1.0 - mask, x.shape)
  count = max(float(hidden.sum()), 1.0)
  return {"mse": float(np.sum(hidden * (repaired - x) ** 2) / count),
          "mae": float(np.sum(hidden * np.abs(repaired - x)) / count)}


def repair_run(trained, methods, num: int, seed: int, options, classify=None) -> tuple:
  """(rows, figures): a row per (mask, method) and {mask: [8 masked, 8 per method, 8 original]}
  of one trained model."""
  family, config = trained.family, trained.config
  encode, decode = unit_model(family, config.data.value_range)
  x = np.asarray(trained.dataset.eval_images[:num], np.float32)
  labels = trained.dataset.eval_labels
  labels = None if labels is None else np.asarray(labels[:num], np.int32)
  y = labels if family.num_classes else None
  train_images = np.asarray(trained.dataset.train_images)
  mean_image = train_images.astype(np.float64).mean(0).astype(np.float32)
  if train_images.dtype == np.uint8:
    mean_image /= 255.0
  accuracy = lambda images: (None if classify is None or labels is None else
                             float(np.mean(classify(images)["probs"].argmax(-1) == labels)))
  start_fill = mean_image if options.start == "mean" else np.float32(0.5)
  key = jax.random.PRNGKey(seed)
  batch = min(options.batch, num)
  rows, figures, original_accuracy = [], {}, accuracy(x)
  for m_index, kind in enumerate(options.masks):
    mask = np.asarray(masks(kind, x.shape[:3], jax.random.fold_in(key, m_index)))
    masked = np.asarray(compose(x, jnp.full_like(x, 0.5), mask))
    baseline = masked_errors(np.asarray(compose(x, mean_image[None], mask)), x, mask)
    figures[kind] = [("masked", masked[:FIGURE_IMAGES])]
    for method in methods:
      start = time.time()
      if method == "optimize":
        def fn(x_b, m_b, y_b):
          z0 = family.predict["prior"](jax.random.fold_in(key, 1000 + m_index),
                                       options.restarts * len(x_b))
          z0 = z0.reshape(options.restarts, len(x_b), -1)
          if encode is not None:  # The encoder's guess from the start fill starts first.
            filled = compose(x_b, jnp.broadcast_to(start_fill, x_b.shape), m_b)
            z0 = z0.at[0].set(jax.jit(encode)(trained.state, filled, y_b))
          repaired, _, trace = repair_by_latent_optimization(
              decode, trained.state, x_b, m_b, z0, options.steps, options.lr, options.prior_weight,
              y_b)
          return repaired, jnp.broadcast_to(trace, (len(x_b),) + trace.shape)
        repaired, traces = _in_batches(fn, batch, x, mask, y)
        visible_fit = {"visible_mse_start": float(traces[:, 0].mean()),
                       "visible_mse_end": float(traces[:, -1].mean())}
      else:
        repaired = _in_batches(
            lambda x_b, m_b, y_b: repair_by_iteration(encode, decode, trained.state, x_b, m_b,
                                                      options.iterations, y_b, start_fill),
            batch, x, mask, y)
        visible_fit = {}
      seconds = time.time() - start
      errors = masked_errors(repaired, x, mask)
      rows.append({"workdir": trained.workdir, "model": family.name, "mask": kind,
                   "method": method, "hidden_fraction": float(1.0 - mask.mean()),
                   "mse": errors["mse"], "mae": errors["mae"],
                   "baseline_mse": baseline["mse"], "baseline_mae": baseline["mae"],
                   "accuracy_original": original_accuracy, "accuracy_masked": accuracy(masked),
                   "accuracy_repaired": accuracy(repaired), "seconds": seconds, **visible_fit})
      figures[kind].append((method, repaired[:FIGURE_IMAGES]))
    figures[kind].append(("original", x[:FIGURE_IMAGES]))
  return rows, figures


def save_rows_figure(path: str, title: str, named_rows) -> None:
  """A figure of labelled image rows (masked / per method / original), images in [0, 1]."""
  images = np.concatenate([images for _, images in named_rows])
  columns = len(named_rows[0][1])
  grid = log_lib.image_grid(images, "0,1", columns=columns)
  height = images.shape[1] + 1
  fig, ax = apps.figure(figsize=(1.0 + 0.8 * columns, 0.3 + 0.8 * len(named_rows)))
  ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255,
            interpolation="nearest")
  ax.set_xticks([])
  ax.set_yticks([1 + height * (i + 0.5) for i in range(len(named_rows))])
  ax.set_yticklabels([name for name, _ in named_rows])
  ax.set_title(title, fontsize=9)
  apps.save_figure(fig, path)


def table(rows) -> str:
  header = ["run", "mask", "method", "masked MSE", "mean-image MSE", "masked MAE",
            "mean-image MAE", "acc original", "acc masked", "acc repaired", "seconds*"]
  pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
  return apps.markdown_table(header, [
      [r["run"], r["mask"], r["method"], r["mse"], r["baseline_mse"], r["mae"],
       r["baseline_mae"], pct(r["accuracy_original"]), pct(r["accuracy_masked"]),
       pct(r["accuracy_repaired"]), f"{r['seconds']:.1f}"] for r in rows]) + (
          "\n\n*: wall time of the repairs; each method's first mask on a run includes"
          " compilation.")


def _run_names(paths):
  """Short unique names of workdirs for file names and the table."""
  names = [os.path.basename(os.path.normpath(p)) or "run" for p in paths]
  return names if len(set(names)) == len(names) else [f"{i}_{n}" for i, n in enumerate(names)]
