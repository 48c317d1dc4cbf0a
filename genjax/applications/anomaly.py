"""One-class-out anomaly detection: for each digit d, a model trained on the training images
that are not d scores the eval images; anomalies are the eval images of d, normal the rest.
AUROC and average precision per held-out digit, mean and std over seeds.

python -m experiments.anomaly --config=configs/default.py --workdir=/tmp/genjax/anomaly/vae
python -m experiments.anomaly --studies=DIR1,DIR2 --out=DIR   # one table and figure of both

A study trains WORKDIR/without_<d> for each digit through the normal train loop
(`data.exclude_labels=d`, the seeds as `num_seeds` replicas of one run; rerunning resumes or
reuses them), and writes WORKDIR/anomaly.json, anomaly.md, anomaly_auroc.png (per-digit AUROC
bars of every score, the published VAE's as ticks) and anomaly_histograms.png (normal vs
anomalous scores of the best score, seed 0).

Scores (higher = more anomalous), each used where the model family provides its parts:
  neg_elbo        the VAE's negative ELBO (nats)
  iwae            the IWAE bound on -log p(x) with --iwae_samples samples (nats)
  complexity      iwae minus the image's PNG code length (both in nats): the input-complexity
                  correction of Serra et al. 2020 ("Input complexity and out-of-distribution
                  detection with likelihood-based generative models"), since likelihoods
                  favour simple images such as 1s
  reconstruction  squared pixel error of the reconstruction at the posterior mean
  feature_error   a VAE-GAN's squared error between the discriminator's features (its
                  learned similarity layer) of the image and of its reconstruction
  latent_knn      mean distance of the image's posterior mean to its 5 nearest posterior
                  means of the training images (normal by construction)
  typical_knn     latent_knn plus a one-sided typicality test of iwae, both standardized on
                  training images: far from the training codes, or likelier than a typical
                  training image (the held-out 1s: likelihoods favour simple images)
  disc            minus the discriminator's logit (GAN, VAE-GAN): D calls anomalies fake

Keys: each seed's key gives every random score its own purpose key (`genjax.rng.purpose_key`:
'neg_elbo', 'iwae', and 'typical_knn/reference' for the iwae of typical_knn's training
images), and each batch of BATCH images folds its index into that (`jax.random.fold_in`), so
no two batches, and no two scores, share noise.
"""
import copy
import io
import json
import os
import time
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image
from genjax.applications import common as apps
from genjax import data as data_lib
from genjax import families
from genjax import rng as rng_lib
from genjax import train
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.metrics import ranking


# AUROC per held-out digit 0-9 of a published VAE in this protocol: the baseline to beat.
PUBLISHED_VAE = (0.96, 0.73, 0.97, 0.94, 0.73, 0.92, 0.95, 0.77, 0.92, 0.66)


BATCH = 250


def _per_batch(fn, x, key=None):
  """fn(x_batch) over batches of BATCH eval images, concatenated: float[N]; with `key`,
  fn(x_batch, batch_key), batch_key = fold_in(key, the batch's index)."""
  return np.concatenate([
      np.asarray(fn(x[i:i + BATCH]) if key is None else
                 fn(x[i:i + BATCH], jax.random.fold_in(key, i // BATCH)), np.float64)
      for i in range(0, len(x), BATCH)])


def _iwae(m, x, key, k):
  """The IWAE bound (k samples) of each image; `key`: this purpose's key (a fresh one per
  batch is folded in)."""
  chunk = max(c for c in range(1, min(k, 25) + 1) if k % c == 0)
  fn = jax.jit(lambda s, xb, key: m.family.predict["iwae_nll"](s, xb, key, k, chunk))
  return _per_batch(lambda xb, batch_key: fn(m.state, xb, batch_key), x, key)


def _eval_iwae(m, x, key, k, done):
  """iwae's values of the eval images (computed once per model: complexity and typical_knn
  reuse them)."""
  return done["iwae"] if "iwae" in done else _iwae(m, x, rng_lib.purpose_key(key, "iwae"), k)


def png_nats(x01_NxHxWxC) -> np.ndarray:
  """Each image's lossless PNG code length (8-bit, highest compression) in nats: float[N]."""
  def one(image):
    buffer = io.BytesIO()
    Image.fromarray(np.round(255 * image[..., 0]).astype(np.uint8)).save(
        buffer, format="PNG", optimize=True)
    return 8 * len(buffer.getvalue()) * np.log(2.0)
  return np.asarray([one(image) for image in np.asarray(x01_NxHxWxC)])


def _squared_error(a, b):
  return jnp.sum(jnp.square(a - b).reshape(len(a), -1), -1)


def _reconstruction(m, x, key):
  fn = jax.jit(lambda s, xb: _squared_error(m.family.predict["reconstruct"](s, xb), xb))
  return _per_batch(lambda xb: fn(m.state, xb), x)


def _feature_error(m, x, key):
  predict = m.family.predict
  fn = jax.jit(lambda s, xb: _squared_error(predict["disc_features"](s, xb),
                                            predict["disc_features"](s, predict["reconstruct"](s, xb))))
  return _per_batch(lambda xb: fn(m.state, xb), x)


def _neg_elbo(m, x, key):
  """One-sample -ELBO of each image; `key`: this purpose's key (fresh per batch)."""
  fn = jax.jit(m.family.predict["neg_elbo"])
  return _per_batch(lambda xb, batch_key: fn(m.state, xb, batch_key), x, key)


def _train_images(m):
  """The (normal) training images as the model saw them, one fixed binarization."""
  return pipeline.fixed_eval_images(m.dataset.train_images, m.config.seed + 1, m.config.data)


def _latent_knn(m, x, key, neighbours: int = 5, exclude_self: bool = False):
  """Mean distance of each image's posterior mean to its `neighbours` nearest posterior means
  of the (normal) training images; `exclude_self`: `x` is the training set's first rows, and
  each row's own code (distance 0) is not counted."""
  encode = jax.jit(lambda s, xb: m.family.predict["encode"](s, xb)[0])
  train_x = _train_images(m)
  bank = jnp.concatenate([encode(m.state, train_x[i:i + BATCH])
                          for i in range(0, len(train_x), BATCH)])
  skip = int(exclude_self)
  def one_batch(xb):
    z = encode(m.state, xb)
    d2 = (jnp.sum(z**2, -1)[:, None] - 2 * z @ bank.T + jnp.sum(bank**2, -1)[None])
    nearest = -jax.lax.top_k(-d2, neighbours + skip)[0][:, skip:]
    return jnp.mean(jnp.sqrt(jnp.maximum(nearest, 0)), -1)
  return _per_batch(one_batch, x)


REFERENCE_IMAGES = 2000  # Training images whose scores set typical_knn's scales.


def _robust_z(values, reference):
  """(values - median) / interquartile range, both of `reference`."""
  q25, q50, q75 = np.percentile(reference, [25, 50, 75])
  return (values - q50) / max(q75 - q25, 1e-12)


def _typical_knn(m, x, key, k, done):
  """latent_knn plus a one-sided typicality test of the likelihood, each in robust units of
  the training images' own values: z(knn) + max(0, -z(iwae)). Images far from every training
  code are anomalous, and so are images the model finds *more* likely than typical training
  images: likelihoods favour simple images (held-out 1s get the highest; Nalisnick et al.
  2019, "Detecting out-of-distribution inputs to deep generative models using typicality"),
  and a typical normal digit is not that simple."""
  reference = _train_images(m)[:REFERENCE_IMAGES]
  knn = done["latent_knn"] if "latent_knn" in done else _latent_knn(m, x, key)
  nll = _eval_iwae(m, x, key, k, done)
  knn_z = _robust_z(knn, _latent_knn(m, reference, key, exclude_self=True))
  nll_z = _robust_z(nll, _iwae(m, reference, rng_lib.purpose_key(key, "typical_knn/reference"),
                               k))
  return knn_z + np.maximum(-nll_z, 0.0)


def _disc(m, x, key):
  fn = jax.jit(lambda s, xb: -m.family.predict["score"](s, xb))
  return _per_batch(lambda xb: fn(m.state, xb), x)


# name -> (predict functions it needs, fn(trained model, eval images, the seed's key, iwae k,
# the scores already computed for that model {name: float[N]}) -> float[N]). A random score
# draws from its own purpose key of the seed's key (see the module docstring).
SCORES = {
    "neg_elbo": (("neg_elbo",), lambda m, x, key, k, done: _neg_elbo(
        m, x, rng_lib.purpose_key(key, "neg_elbo"))),
    "iwae": (("iwae_nll",), lambda m, x, key, k, done: _eval_iwae(m, x, key, k, {})),
    "complexity": (("iwae_nll",), lambda m, x, key, k, done: _eval_iwae(m, x, key, k, done)
                   - png_nats(pipeline.to_unit(x, m.config.data.value_range))),
    "reconstruction": (("reconstruct",), lambda m, x, key, k, done: _reconstruction(m, x, key)),
    "feature_error": (("reconstruct", "disc_features"),
                      lambda m, x, key, k, done: _feature_error(m, x, key)),
    "latent_knn": (("encode",), lambda m, x, key, k, done: _latent_knn(m, x, key)),
    "disc": (("score",), lambda m, x, key, k, done: _disc(m, x, key)),
    "typical_knn": (("encode", "iwae_nll"), _typical_knn),
}


def available(family) -> list:
  return [name for name, (needs, _) in SCORES.items()
          if all(n in family.predict for n in needs)]


def check_flags(digits, seeds: int, scores, iwae_samples: int) -> list:
  """The digits as ints; one-line errors for bad flags."""
  try:
    digits = [int(d) for d in digits]
  except ValueError:
    raise GenjaxError(f"--digits={','.join(digits)} must be digits 0..9") from None
  if not digits or not all(0 <= d <= 9 for d in digits) or len(set(digits)) < len(digits):
    raise GenjaxError(f"--digits={','.join(map(str, digits))} must be distinct digits 0..9")
  if seeds < 1:
    raise GenjaxError(f"--seeds={seeds} must be >= 1")
  if iwae_samples < 1:
    raise GenjaxError(f"--iwae_samples={iwae_samples} must be >= 1")
  unknown = [s for s in scores if s not in SCORES]
  if unknown:
    raise GenjaxError(f"unknown --scores {','.join(unknown)}: valid are {', '.join(SCORES)}")
  return digits


def check_scores(family, scores) -> list:
  """The scores to compute for `family` (all it provides when `scores` is empty)."""
  if family.num_classes:
    raise GenjaxError(f"the {family.name!r} model is class-conditional: anomaly scores need an"
                      " unconditional one (model.conditioning='none')")
  missing = [s for s in scores if s not in available(family)]
  if missing:
    raise GenjaxError(f"--scores {','.join(missing)}: a {family.name!r} model does not provide"
                      f" them (it does: {', '.join(available(family))})")
  return list(scores) or available(family)


def digit_config(config, digit: int, seeds: int):
  config = copy.deepcopy(config)
  config.unlock()
  config.data.exclude_labels, config.num_seeds = str(digit), seeds
  return config


def score_run(workdir: str, digit: int, seeds: int, scores, iwae_samples: int) -> dict:
  """{score: {'auroc': [per seed], 'ap': [...], 'normal'/'anomalous': seed 0's values}}."""
  results = {}
  for index in range(seeds):
    m = apps.load(workdir, seed_index=index)
    names = check_scores(m.family, scores)
    x, anomalous = m.eval_data["image"], np.asarray(m.eval_data["label"]) == digit
    key = jax.random.PRNGKey(m.config.seed + index)
    done = {}  # complexity reuses iwae's values rather than recomputing them.
    for name in names:
      values = done[name] = SCORES[name][1](m, x, key, iwae_samples, done)
      entry = results.setdefault(name, {"auroc": [], "ap": []})
      entry["auroc"].append(ranking.auroc(values, anomalous))
      entry["ap"].append(ranking.average_precision(values, anomalous))
      if index == 0:
        entry["normal"], entry["anomalous"] = values[~anomalous].tolist(), values[anomalous].tolist()
    jax.clear_caches()
  return results


def study(config, workdir: str, digits, seeds: int, scores, iwae_samples: int) -> dict:
  """Trains (or reuses) one run per held-out digit and scores it; the report."""
  per_digit, started = {}, time.perf_counter()
  dataset = data_lib.load(config.data)  # Refuses bad flags before anything is trained.
  if dataset.train_labels is None or dataset.mixture_means is not None:
    raise GenjaxError(f"data.name={config.data.name!r} has no labelled images: anomaly"
                      " detection holds out classes")
  check_scores(families.build(config, families.DataInfo(dataset.image_shape,
                                                        dataset.num_classes)), scores)
  for digit in digits:
    run_dir = os.path.join(workdir, f"without_{digit}")
    train.train_and_evaluate(digit_config(config, digit, seeds), run_dir)
    jax.clear_caches()
    per_digit[digit] = score_run(run_dir, digit, seeds, scores, iwae_samples)
    print(f"digit {digit}: " + ", ".join(f"{name} AUROC {np.mean(r['auroc']):.3f}"
                                        for name, r in per_digit[digit].items()), flush=True)
  model = os.path.basename(os.path.normpath(workdir))  # The study folder names the model.
  rows = []
  for name in per_digit[digits[0]]:
    auroc = [float(np.mean(per_digit[d][name]["auroc"])) for d in digits]
    rows.append({
        "model": model, "score": name, "digits": digits, "auroc": auroc,
        "auroc_std": [float(np.std(per_digit[d][name]["auroc"])) for d in digits],
        "ap": [float(np.mean(per_digit[d][name]["ap"])) for d in digits],
        "mean_auroc": float(np.mean(auroc)),
        "mean_auroc_std": float(np.std(np.mean([per_digit[d][name]["auroc"] for d in digits],
                                               0))),  # Spread over seeds of the mean.
    })
  return {"config": config.to_dict(), "digits": digits, "seeds": seeds,
          "iwae_samples": iwae_samples, "rows": rows, "seconds": time.perf_counter() - started,
          "histograms": {str(d): {name: {k: r[k] for k in ("normal", "anomalous")}
                                  for name, r in per_digit[d].items()} for d in digits}}


def markdown(rows) -> str:
  digits = rows[0]["digits"]
  header = ["model", "score"] + [str(d) for d in digits] + ["mean AUROC", "mean AP"]
  table = [["published VAE", "(baseline)"] + [PUBLISHED_VAE[d] for d in digits]
           + [float(np.mean([PUBLISHED_VAE[d] for d in digits])), ""]]
  for r in sorted(rows, key=lambda r: -r["mean_auroc"]):
    table.append([r["model"], r["score"]] + [f"{a:.3f}" for a in r["auroc"]]
                 + [f"{r['mean_auroc']:.3f} +- {r['mean_auroc_std']:.3f}",
                    f"{np.mean(r['ap']):.3f}"])
  return apps.markdown_table(header, table)


def bars(rows, path: str) -> None:
  """Per-digit AUROC bars (mean over seeds, std as error bars) of every row; the published
  VAE's AUROC as black ticks."""
  digits = rows[0]["digits"]
  fig, ax = apps.figure(figsize=(max(6, 1.2 * len(digits) + 2), 4))
  width = 0.8 / len(rows)
  for i, r in enumerate(rows):
    ax.bar(np.arange(len(digits)) + (i - (len(rows) - 1) / 2) * width, r["auroc"], width,
           yerr=r["auroc_std"], label=f"{r['model']}: {r['score']}", capsize=2)
  ax.scatter(np.arange(len(digits)), [PUBLISHED_VAE[d] for d in digits], marker="_", s=400,
             color="black", label="published VAE", zorder=3)
  ax.set(xticks=np.arange(len(digits)), xticklabels=digits, ylim=(0, 1.02),
         xlabel="held-out (anomalous) digit", ylabel="AUROC")
  ax.legend(fontsize=7, loc="lower left")
  apps.save_figure(fig, path)


def histograms(report: dict, score: str, path: str) -> None:
  digits = report["digits"]
  columns = min(5, len(digits))
  fig, axes = apps.figure((len(digits) + columns - 1) // columns, columns, squeeze=False,
                          figsize=(3 * columns, 2.4 * ((len(digits) + columns - 1) // columns)))
  for ax in axes.flat[len(digits):]:
    ax.axis("off")
  for ax, d in zip(axes.flat, digits):
    values = report["histograms"][str(d)][score]
    edges = np.histogram_bin_edges(values["normal"] + values["anomalous"], 30)
    ax.hist(values["normal"], edges, density=True, alpha=0.6, label="normal")
    ax.hist(values["anomalous"], edges, density=True, alpha=0.6, label=f"digit {d}")
    ax.set_title(f"held out {d}", fontsize=9)
    ax.legend(fontsize=7)
  fig.suptitle(f"anomaly score {score!r}, seed 0", y=1.02)
  apps.save_figure(fig, path)


def write(report: dict, outdir: str) -> None:
  rows = report["rows"]
  apps.write_report(outdir, "anomaly", report, markdown(rows))
  bars(rows, os.path.join(outdir, "anomaly_auroc.png"))
  if "histograms" in report:
    best = max(rows, key=lambda r: r["mean_auroc"])["score"]
    histograms(report, best, os.path.join(outdir, "anomaly_histograms.png"))


def combine(studies, outdir: str) -> dict:
  """One report of the rows of finished studies (their anomaly.json)."""
  rows = []
  for folder in studies:
    try:
      with open(os.path.join(folder, "anomaly.json")) as f:
        rows += json.load(f)["rows"]
    except (OSError, ValueError, KeyError) as e:
      raise GenjaxError(f"--studies: {folder!r} has no readable anomaly.json ({type(e).__name__})"
                        ": run the study there first") from None
  if len({tuple(r["digits"]) for r in rows}) > 1:
    raise GenjaxError("--studies held out different digits: combine studies of the same --digits")
  return {"studies": list(studies), "rows": rows}
