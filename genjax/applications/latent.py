"""Latent-space tools: interpolation grids, the 2-D latent manifold and a scatter of the
encoded eval set, for trained VAE, VAE-GAN and GAN image models.

python -m experiments.latent --workdirs=/tmp/genjax/default,/tmp/genjax/dcgan
python -m experiments.latent --config=configs/default.py --workdir=/tmp/genjax/latent_vae2     --config.model.latent_dim=2

The first form reuses trained workdirs as they are; the second trains the config through the
normal loop first (resuming a partial run, reusing a finished one). Into --out (default: the
first workdir + '/latent') it writes, per workdir (file names prefixed with a tag, the
workdir's basename):

  TAG_interp_linear.png, TAG_interp_spherical.png: one row per pair (--pairs), --steps
    decoded frames from t=0 to t=1. Encoders (VAE, VAE-GAN) interpolate between the posterior
    means of two eval images, shown at the row ends; GANs between two prior draws. A
    conditional model interpolates within the class of the start image: the end image is an
    eval image of the same class, and every frame is decoded with that label (a conditional
    GAN's row i has class i mod num_classes).
  TAG_manifold.png (latent_dim == 2 only): the decoder's images on a grid of latents at
    standard-normal quantiles 0.05..0.95 (Kingma & Welling 2014, Fig. 4); a conditional
    model's grid is of the class of the first eval image.
  TAG_scatter.png (encoders only): the posterior means of --num_points eval images, embedded
    in 2-D (--embedding: PCA, or t-SNE; the latents themselves when latent_dim == 2),
    coloured by label.

and latent.json / latent.md, one row per workdir with these columns:

  family, latent_dim, step: the model and the checkpoint step read.
  knn_acc: (encoders, labelled data) 5-fold cross-validated accuracy of a 5-nearest-neighbour
    classifier of the label from the posterior means of the --num_points eval images: how
    class-structured the latent space is. knn_pixels: the same classifier on the pixels of
    the same images as the encoder sees them (dynamically binarized data: the fixed binarized
    eval images), for reference. A conditional encoder is given the label, so its knn_acc
    says little.
  active_units: (encoders) latent dimensions whose posterior mean varies over the eval images,
    Var_x(E_q[z_d]) > 0.01 (Burda et al. 2016); the others are collapsed to the prior.
  lin_step, slerp_step: the mean L2 distance (per image, pixels in [0, 1]) between consecutive
    frames of the linear and spherical paths.
  lin_jump, slerp_jump: the largest step of a path over its mean step, averaged over paths:
    1 for an evenly changing path, up to steps - 1 when all change happens in one step (a
    jumpy path crosses a hole or boundary of the latent space).
"""
import os
from typing import Sequence
import jax
import jax.numpy as jnp
import numpy as np
from genjax.applications import common as apps
from genjax import families
from genjax import logs as log_lib
from genjax import run as run_lib
from genjax.data import pipeline
from genjax.errors import GenjaxError


POINT_DATA = ("ring8", "grid25")


MANIFOLD_SIZE = 15


COLUMNS = ("workdir", "family", "latent_dim", "step", "knn_acc", "knn_pixels", "active_units",
           "lin_step", "lin_jump", "slerp_step", "slerp_jump")


def lerp(z0_PxZ, z1_PxZ, t_K):
  """Linear interpolation z(t) = (1 - t) z0 + t z1 of each pair: z_PxKxZ."""
  z0, z1, t = _pairs(z0_PxZ, z1_PxZ, t_K)
  return (1 - t) * z0 + t * z1


def slerp(z0_PxZ, z1_PxZ, t_K, eps: float = 1e-6):
  """Spherical interpolation (Shoemake 1985; White 2016) of each pair: z_PxKxZ,

    z(t) = sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1,  cos(w) = <z0, z1> / |z0||z1|,

  which moves along the great circle at a constant angular speed (for |z0| = |z1| the norm
  stays |z0|). Pairs whose angle is degenerate (sin(w) < eps: parallel, antiparallel or a
  zero vector) fall back to `lerp`."""
  z0, z1, t = _pairs(z0_PxZ, z1_PxZ, t_K)
  norms = np.linalg.norm(z0, axis=-1, keepdims=True) * np.linalg.norm(z1, axis=-1, keepdims=True)
  cos = np.clip(np.sum(z0 * z1, -1, keepdims=True) / np.maximum(norms, 1e-30), -1.0, 1.0)
  omega = np.arccos(cos)
  sin = np.sin(omega)
  ok = (sin > eps) & (norms > 0)
  safe = np.where(ok, sin, 1.0)
  spherical = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / safe
  return np.where(ok, spherical, (1 - t) * z0 + t * z1)


def _pairs(z0_PxZ, z1_PxZ, t_K):
  """z0, z1 as Px1xZ and t as 1xKx1 (float64) for broadcasting."""
  z0, z1 = np.asarray(z0_PxZ, np.float64), np.asarray(z1_PxZ, np.float64)
  if z0.ndim != 2 or z0.shape != z1.shape:
    raise ValueError(f"pairs of latents need equal PxZ shapes, got {z0.shape} and {z1.shape}")
  t = np.asarray(t_K, np.float64).reshape(1, -1, 1)
  return z0[:, None], z1[:, None], t


def manifold_latents(n: int, low: float = 0.05, high: float = 0.95):
  """The n x n grid of 2-D latents at standard-normal quantiles low..high: z_NxNx2, row i
  (top to bottom) at z_2 = ppf(high..low), column j at z_1 = ppf(low..high)."""
  from scipy.stats import norm  # pylint: disable=g-import-not-at-top
  q = norm.ppf(np.linspace(low, high, n))
  z1, z2 = np.meshgrid(q, q[::-1])
  return np.stack([z1, z2], -1).astype(np.float32)


def embed(z_NxZ, method: str = "pca", seed: int = 0):
  """z_NxZ embedded in 2-D: N x 2; the latents themselves when Z == 2 (Z == 1: a zero second
  column). 'pca': the projections on the first two principal axes (SVD of the centred
  points); 'tsne': scikit-learn's t-SNE."""
  z = np.asarray(z_NxZ, np.float64)
  if z.shape[1] <= 2:
    return np.pad(z, ((0, 0), (0, 2 - z.shape[1])))
  if method == "pca":
    centred = z - z.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T
  if method == "tsne":
    from sklearn.manifold import TSNE  # pylint: disable=g-import-not-at-top
    perplexity = min(30.0, (len(z) - 1) / 3)
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(z)
  raise ValueError(f"embedding {method!r}: valid are 'pca', 'tsne'")


def path_smoothness(frames_PxKxD):
  """(mean step, mean max-step / mean-step ratio) of the paths' consecutive-frame L2
  distances (see the module docstring)."""
  steps = np.linalg.norm(np.diff(np.asarray(frames_PxKxD, np.float64), axis=1), axis=-1)
  mean = steps.mean(1)
  ratio = steps.max(1) / np.maximum(mean, 1e-12)
  return float(steps.mean()), float(ratio.mean())


def knn_accuracy(x_NxD, labels_N, k: int = 5, folds: int = 5) -> float:
  """Cross-validated accuracy of a k-nearest-neighbour classifier of `labels_N`."""
  from sklearn.model_selection import cross_val_score  # pylint: disable=g-import-not-at-top
  from sklearn.neighbors import KNeighborsClassifier  # pylint: disable=g-import-not-at-top
  folds = min(folds, int(np.bincount(labels_N).max()))
  if folds < 2:
    return float("nan")
  scores = cross_val_score(KNeighborsClassifier(k), np.asarray(x_NxD), labels_N, cv=folds)
  return float(scores.mean())


NEEDS = ("decode", "prior")


def check_model(family, where: str) -> None:
  """Refuses, in one line, a model the tools do not apply to: one of points, or without a
  deterministic decode of its prior's latents (asked of its predict functions)."""
  if not family.data_info.is_image:
    raise GenjaxError(f"{where} models 2-D points: latent tools need an image model with a"
                      " decoder (vae, vaegan or gan)")
  families.require(family, NEEDS, where, "latent tools decode latents of its prior")


def _batched(fn, *arrays, size: int = 500):
  """fn over the leading axis of `arrays` in batches (bounded memory), concatenated."""
  out = [fn(*(a[i:i + size] for a in arrays)) for i in range(0, len(arrays[0]), size)]
  return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs]), *out)


class _Model:
  """A trained model's latent operations, its images mapped to [0, 1]."""

  def __init__(self, trained: apps.Trained):
    self.trained = trained
    self.family, self.state = trained.family, trained.state
    self.conditional = self.family.num_classes > 0
    self.encoder = "encode" in self.family.predict
    decode = self.family.predict["decode"]
    self._value_range = trained.config.data.value_range
    self._decode = jax.jit(decode)
    if self.encoder:
      self._encode = jax.jit(lambda s, x, y: self.family.predict["encode"](s, x, y)[0])

  def labels(self, y):
    return jnp.asarray(y, jnp.int32) if self.conditional else None

  def decode(self, z_BxZ, y_B=None):
    """Images in [0, 1] at latents z_BxZ (labels y_B of a conditional model)."""
    z = jnp.asarray(z_BxZ, jnp.float32)
    if self.conditional:
      x = _batched(lambda z, y: self._decode(self.state, z, self.labels(y)), z, np.asarray(y_B))
    else:
      x = _batched(lambda z: self._decode(self.state, z, None), z)
    return pipeline.to_unit(x, self._value_range)

  def encode(self, x_BxHxWxC, y_B=None):
    """Posterior means z_BxZ."""
    if self.conditional:
      return _batched(lambda x, y: self._encode(self.state, x, self.labels(y)), x_BxHxWxC,
                      np.asarray(y_B))
    return _batched(lambda x: self._encode(self.state, x, None), x_BxHxWxC)


def _pick_pairs(n: int, labels, num_pairs: int, rng):
  """Indices (start_P, end_P) into `n` eval images: random starts; ends random too, or of the
  start's class when `labels` is given."""
  starts = rng.choice(n, num_pairs, replace=n < num_pairs)
  if labels is None:
    return starts, rng.choice(n, num_pairs, replace=n < num_pairs)
  ends = []
  for s in starts:
    same = np.flatnonzero((labels == labels[s]) & (np.arange(n) != s))
    ends.append(rng.choice(same) if len(same) else s)
  return starts, np.array(ends)


def _grid_figure(images_NxHxWxC, columns: int, title: str, path: str) -> None:
  grid = log_lib.image_grid(np.asarray(images_NxHxWxC), "0,1", columns)
  height, width = grid.shape[:2]
  scale = max(2.0, 500.0 / max(height, width)) / 100  # Inches per grid pixel at dpi 100.
  fig, ax = apps.figure(figsize=(max(4.0, width * scale), height * scale + 0.5))
  ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=255,
            interpolation="nearest")
  ax.set_axis_off()
  ax.set_title(title, fontsize=9)
  apps.save_figure(fig, path)


def _scatter_figure(points_Nx2, labels, title: str, path: str) -> None:
  fig, ax = apps.figure(figsize=(6, 5))
  if labels is None:
    ax.scatter(points_Nx2[:, 0], points_Nx2[:, 1], s=4)
  elif labels.max() < 20:
    import matplotlib  # pylint: disable=g-import-not-at-top
    cmap = matplotlib.colormaps["tab10" if labels.max() < 10 else "tab20"]
    for c in np.unique(labels):
      at = labels == c
      ax.scatter(points_Nx2[at, 0], points_Nx2[at, 1], s=4, color=cmap(int(c)), label=str(c))
    ax.legend(title="label", markerscale=3, fontsize=7, loc="center left",
              bbox_to_anchor=(1.0, 0.5))
  else:
    dots = ax.scatter(points_Nx2[:, 0], points_Nx2[:, 1], s=4, c=labels, cmap="viridis")
    fig.colorbar(dots, ax=ax, label="label")
  ax.set_title(title, fontsize=9)
  apps.save_figure(fig, path)


def analyse(trained: apps.Trained, tag: str, outdir: str, pairs: int, steps: int, seed: int,
            embedding: str, num_points: int) -> dict:
  """Writes `tag`'s figures into `outdir`; returns its table row (see the module docstring)."""
  model = _Model(trained)
  config = trained.config
  rng = np.random.default_rng(seed)
  eval_x = trained.eval_data["image"]
  eval_y = np.asarray(trained.eval_data["label"]) if "label" in trained.eval_data else None
  row = {"workdir": trained.workdir, "tag": tag, "family": trained.family.name,
         "step": int(np.asarray(trained.state.step).reshape(-1)[0]), "knn_acc": None,
         "knn_pixels": None, "active_units": None, "figures": []}
  if model.conditional and eval_y is None:
    raise GenjaxError(f"{trained.workdir!r}: a conditional model needs a labelled eval set")

  t = np.linspace(0.0, 1.0, steps)
  if model.encoder:
    starts, ends = _pick_pairs(len(eval_x), eval_y if model.conditional else None, pairs, rng)
    y = eval_y[starts] if model.conditional else None
    z0 = model.encode(eval_x[starts], y)
    z1 = model.encode(eval_x[ends], eval_y[ends] if model.conditional else None)
    originals = np.asarray(pipeline.to_unit(eval_x, config.data.value_range))
    ends_images = (originals[starts], originals[ends])
    what = "eval images (posterior means; originals at the row ends)"
  else:
    key0, key1 = jax.random.split(jax.random.PRNGKey(seed))
    z0 = np.asarray(trained.family.predict["prior"](key0, pairs))
    z1 = np.asarray(trained.family.predict["prior"](key1, pairs))
    y = np.arange(pairs) % trained.family.num_classes if model.conditional else None
    ends_images, what = None, "prior draws"
  latent_dim = z0.shape[-1]
  row["latent_dim"] = latent_dim
  for name, path_fn, short in (("linear", lerp, "lin"), ("spherical", slerp, "slerp")):
    z = path_fn(z0, z1, t)
    frames = model.decode(z.reshape(pairs * steps, latent_dim),
                          None if y is None else np.repeat(y, steps))
    frames = frames.reshape((pairs, steps) + frames.shape[1:])
    row[f"{short}_step"], row[f"{short}_jump"] = path_smoothness(frames.reshape(pairs, steps, -1))
    if ends_images is not None:
      frames = np.concatenate([ends_images[0][:, None], frames, ends_images[1][:, None]], 1)
    file = f"{tag}_interp_{name}.png"
    _grid_figure(frames.reshape((-1,) + frames.shape[2:]), frames.shape[1],
                 f"{tag}: {name} interpolation between {what}", os.path.join(outdir, file))
    row["figures"].append(file)

  if latent_dim == 2:
    n = MANIFOLD_SIZE
    labels = None
    if model.conditional:
      labels = np.full(n * n, eval_y[0])
    images = model.decode(manifold_latents(n).reshape(-1, 2), labels)
    title = f"{tag}: decoded N(0, I) quantiles 0.05..0.95 (z_1 right, z_2 up)"
    if labels is not None:
      title += f", class {eval_y[0]}"
    file = f"{tag}_manifold.png"
    _grid_figure(images, n, title, os.path.join(outdir, file))
    row["figures"].append(file)

  if model.encoder:
    pick = rng.permutation(len(eval_x))[:num_points]
    pick.sort()
    z = model.encode(eval_x[pick], None if eval_y is None else eval_y[pick])
    row["active_units"] = int(np.sum(np.var(z, axis=0) > 0.01))
    labels = None if eval_y is None else eval_y[pick]
    if labels is not None:
      row["knn_acc"] = knn_accuracy(z, labels)
      row["knn_pixels"] = knn_accuracy(np.asarray(eval_x[pick]).reshape(len(pick), -1), labels)
    method = "the latents" if latent_dim == 2 else {"pca": "PCA", "tsne": "t-SNE"}[embedding]
    file = f"{tag}_scatter.png"
    _scatter_figure(embed(z, embedding, seed), labels,
                    f"{tag}: posterior means of {len(pick)} eval images ({method},"
                    f" latent_dim={latent_dim})", os.path.join(outdir, file))
    row["figures"].append(file)
  return row


def tags(paths: Sequence[str]) -> list:
  """A short distinct tag per workdir: its basename (suffixed _2, _3... when repeated)."""
  out = []
  for path in paths:
    base = os.path.basename(os.path.normpath(path)) or "run"
    tag, i = base, 1
    while tag in out:
      i += 1
      tag = f"{base}_{i}"
    out.append(tag)
  return out


def markdown(rows) -> str:
  cell = lambda v: "-" if v is None else v
  return apps.markdown_table(
      COLUMNS, [[cell(row["tag"] if c == "workdir" else row[c]) for c in COLUMNS] for row in rows])


def _models(config, workdir, workdir_list):
  """[(workdir, loader)] from the flags, each checked before anything loads or trains."""
  if (config is None) != (workdir is None):
    raise GenjaxError("--config and --workdir go together (train, or reuse, that run);"
                      " or give --workdirs=DIR1,DIR2 of trained runs")
  if (config is None) == (not workdir_list):
    raise GenjaxError("give either --workdirs=DIR1,DIR2 (trained runs, reused) or"
                      " --config=configs/X.py --workdir=DIR (trained first), not both" if
                      workdir_list else "nothing to analyse: give --workdirs=DIR1,DIR2 or"
                      " --config=configs/X.py --workdir=DIR")
  if config is not None:
    check_model(run_lib.family_of(config), "--config")
    return [(workdir, lambda: apps.train_or_reuse(config, workdir, NEEDS))]
  models = []
  for path in workdir_list:
    check_model(run_lib.open_run(path).family, f"workdir {path!r}")
    models.append((path, lambda path=path: apps.load(path, NEEDS)))
  return models
