"""Data augmentation with conditional generators: does a classifier trained on N labelled
images per class gain from the samples of a conditional generator trained on the same N?

python -m experiments.augment --workdir=/tmp/genjax/augment            # digits, 3 generators
python -m experiments.augment --workdir=DIR --classifier_config=configs/classifier_mnist10k.py

Protocol, per labels-per-class N (--labels_per_class) and seed s (0..--seeds-1):
  * N images of each class are drawn with seed s from the classifier config's train split
    (the first 8,000 MNIST-10k images, or the 1,437 training digits); the eval split is the
    config's (2,000 MNIST-10k / 360 digits images), never drawn from.
  * Each conditional generator (--generators: cvae, cgan, cvaegan; --<name>_config to change
    one) trains, per --generator_data, on
      labelled: those N x classes labelled images only (it never sees the unlabelled rest of
                the train split); its rows are named after it ('real+cvae');
      pseudo:   the whole train split, the unlabelled rest labelled by the 'real' classifier
                of the same N and seed (its argmax; the drawn images keep their labels): a
                semi-supervised generator, rows 'real+cvae_pseudo'. The row 'pseudo' trains
                the classifier on that pseudo-labelled split itself (self-training), the
                control that says whether the generator adds anything beyond its labels.
  * The classifier config's CNN (its shifts included) trains, for the same config.num_steps
    whatever its train set, on: the labelled images ('real'); the labelled images plus the
    generator's samples, a fraction --mix of the train set ('real+GEN'); the samples only
    ('GEN only': the classification accuracy score, CAS, of Ravuri and Vinyals 2019, a
    quality metric of the generator). Samples: --samples_per_class per class, drawn once per
    generator, balanced over the classes, from the generator's prior (--generator_prior:
    'standard', its own N(0, I); 'gmm<K>', for autoencoders, a K-component mixture per class
    fitted to the codes of the generator's own training data, genjax.latent_prior; rows and
    files get the suffix '_gmm<K>').
Every model trains through the normal loop (checkpoints, resume): a rerun reuses finished
runs. --generator_workdirs=NAME=DIR reuses a conditional generator trained elsewhere for
every N and seed (its rows measure whatever data it was trained on).

The study folder holds the data as .npz files (images uint8, labels; the last rows are the
eval split), which the runs read with data.name='npz':
  subset_N<n>_seed<s>.npz           the labelled images, repeated to >= MIN_TRAIN rows
                                    (batches need that many), then the eval split
  pseudo_N<n>_seed<s>.npz           the whole train split, pseudo-labelled, then the eval split
  gen_<g>_s<k>_N<n>_seed<s>.npz     k samples per class of generator g, then the eval split
  mix<m>_<g>_s<k>_N<n>_seed<s>.npz  the labelled images repeated to make about 1 - m of the
                                    train rows, the samples, then the eval split
and the runs gen/<g>_N<n>_seed<s> and clf/{real,pseudo,mix<m>_<g>_s<k>,cas_<g>_s<k>}_N<n>_seed<s>
(<g> is e.g. 'cvae', or 'cvae_pseudo' for a generator trained on the pseudo-labelled split)
(a run's augment_run.json records its config and data: a rerun reuses a finished run as it
is and resumes a partial one; a run of another config or data moves to <run>.stale).
Into --out (default: the study folder) it writes augment.json, augment.md (eval accuracy,
mean +- sample std over seeds, and its change vs 'real' in points), augment.png (accuracy vs
labels per class) and augment_samples_<g>.png (seed 0's samples, one row per class, per N).
"""
import copy
import hashlib
import json
import math
import os
import shutil
import time
from absl import logging
import jax
import jax.numpy as jnp
import numpy as np
from genjax.applications import common as apps
from genjax import data as data_lib
from genjax import families
from genjax import latent_prior
from genjax import run as run_lib
from genjax import train
from genjax import workdirs
from genjax.data import pipeline
from genjax.errors import GenjaxError
from genjax.families import classifier


# name -> (family, conditioning it gets when its config has none). The shipped configs each
# trains by default ({name: {data kind: config builder}}) are the main's to pass
# (experiments/augment.py): the library does not import configs/.
GENERATORS = {
    "cvae": ("vae", "concat"),
    "cgan": ("gan", "projection"),
    "cvaegan": ("vaegan", "projection"),
}


MIN_TRAIN = 1000  # Train rows of a subset file: the labelled images repeated up to this.


GENERATOR_DATA = {  # --generator_data: what a trained generator sees -> its name's suffix.
    "labelled": "", "pseudo": "_pseudo"}
TRAINED_ON = {
    "labelled": "the N labelled images per class of each seed",
    "pseudo": "the whole train split: the N labelled images per class of each seed and the"
              " rest labelled by that seed's 'real' classifier"}


# --- data ------------------------------------------------------------------------------------
def draw_subset(labels, per_class: int, seed: int, num_classes: int) -> np.ndarray:
  """Sorted indices of `per_class` examples of each class 0..num_classes-1 of `labels`
  (int[N]), drawn without replacement with `seed`: int[per_class * num_classes]."""
  rng = np.random.RandomState(seed)
  labels = np.asarray(labels)
  picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
           for c in range(num_classes)]
  return np.sort(np.concatenate(picks))


def check_labels_per_class(values, labels, num_classes: int) -> list:
  """--labels_per_class as distinct ints in [1, the smallest class count] of `labels`."""
  try:
    ns = sorted({int(v) for v in values})
  except ValueError:
    raise GenjaxError(f"--labels_per_class={','.join(values)} must be integers") from None
  counts = np.bincount(np.asarray(labels), minlength=num_classes)
  if not ns or ns[0] < 1 or ns[-1] > counts.min():
    raise GenjaxError(f"--labels_per_class={','.join(map(str, values))}: each N must lie in"
                      f" [1, {counts.min()}] (the train split's smallest class, class"
                      f" {int(counts.argmin())}, has {counts.min()} images)")
  return ns


def write_npz(path: str, train_x01, train_y, eval_x01, eval_y) -> None:
  """Writes `path`: the train rows then the eval rows, images as uint8 (x01 in [0, 1]
  rounded to 1/255), labels int32."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  images = np.concatenate([train_x01, eval_x01])
  images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
  labels = np.concatenate([train_y, eval_y]).astype(np.int32)
  tmp = path + ".tmp.npz"
  np.savez_compressed(tmp, images=images, labels=labels)
  os.replace(tmp, path)


def read_train(path: str, num_eval: int):
  """(images x01 float32, labels int32) of the train rows of a `write_npz` file."""
  with np.load(path) as f:
    return f["images"][:-num_eval].astype(np.float32) / 255, f["labels"][:-num_eval]


def repeat_to(x, y, rows: int):
  """(x, y) repeated whole until they have at least `rows` rows."""
  times = max(1, math.ceil(rows / len(x)))
  return np.concatenate([x] * times), np.concatenate([y] * times)


def mixed(real_x, real_y, gen_x, gen_y, mix: float):
  """(x, y, fraction): the real examples repeated whole so that the generated ones make up
  about `mix` of the rows, and that fraction."""
  times = max(1, round(len(gen_x) * (1 - mix) / (mix * len(real_x))))
  x = np.concatenate([real_x] * times + [gen_x])
  y = np.concatenate([real_y] * times + [gen_y])
  return x, y, len(gen_x) / len(x)


def pseudo_labels(classifier_workdir: str, train_x01, pick, true_y):
  """int32[N]: the argmax of the classifier in `classifier_workdir` on `train_x01` (float
  [N, H, W, C] in [0, 1]), except at the labelled indices `pick`, which keep `true_y`."""
  fn, _ = run_lib.classifier(classifier_workdir)
  labels = fn(train_x01)["probs"].argmax(-1).astype(np.int32)
  labels[pick] = true_y
  jax.clear_caches()
  return labels


def npz_config(config, path: str, num_eval: int):
  """`config` (copied) reading `path` with data.name='npz' (its last num_eval rows eval)."""
  config = copy.deepcopy(config)
  config.unlock()
  config.data.update(name="npz", path=path, labels_path="", num_eval=num_eval,
                     shuffle_split=False, exclude_labels="", image_size=0)
  return config


# --- models ----------------------------------------------------------------------------------
def data_kind(classifier_config) -> str:
  """'digits' or 'mnist10k': which shipped generator configs fit the classifier's data."""
  data = classifier_config.data
  if data.name == "digits":
    return "digits"
  if data.name == "idx" and "mnist10k" in data.path:
    return "mnist10k"
  return ""


def generator_config(name: str, given, kind: str, shipped=None):
  """The config generator `name` trains (`given`, or `shipped[name][kind]()`, the shipped one
  for data of `kind`), made conditional; one-line errors for an unknown name or a config of
  another family."""
  if name not in GENERATORS:
    raise GenjaxError(f"unknown generator {name!r}: valid are {', '.join(GENERATORS)} (or"
                      " NAME=DIR in --generator_workdirs)")
  family, conditioning = GENERATORS[name]
  if given is None:
    builder = (shipped or {}).get(name, {}).get(kind)
    if builder is None:
      raise GenjaxError(f"no shipped {name} config fits the classifier's data: give"
                        f" --{name}_config")
    given = builder()
  config = copy.deepcopy(given)
  if config.model.name != family:
    raise GenjaxError(f"--{name}_config has model.name={config.model.name!r}: {name} is a"
                      f" {family!r} model")
  if config.model.conditioning == "none":
    config.model.conditioning = conditioning
  return config


def check_generator_workdir(name: str, path: str, shape, num_classes: int) -> None:
  """Refuses a reused generator that cannot sample the classifier's classes and images."""
  family = run_lib.open_run(path).family
  image_shape, classes = family.data_info.shape, family.data_info.num_classes
  if "sample" not in family.predict or not family.num_classes:
    raise GenjaxError(f"--generator_workdirs {name}={path}: its {family.name!r} model is not a"
                      " class-conditional generator (train one with model.conditioning set)")
  if tuple(image_shape) != tuple(shape) or classes != num_classes:
    raise GenjaxError(f"--generator_workdirs {name}={path}: it models {classes} classes of"
                      f" {tuple(image_shape)} images; the classifier's data has {num_classes}"
                      f" classes of {tuple(shape)}")


def parse_workdirs(items) -> dict:
  """{name: dir} from NAME=DIR items."""
  out = {}
  for item in items:
    name, sep, path = item.partition("=")
    if not sep or not name or not path or name in out:
      raise GenjaxError(f"--generator_workdirs: {item!r} must be NAME=DIR with distinct names")
    out[name] = path
  return out


def sample_classes(workdir: str, per_class: int, num_classes: int, seed: int,
                   prior: str = latent_prior.STANDARD):
  """(images x01 float32[K * per_class, H, W, C], labels int32[...]): `per_class` samples of
  each class from the latest checkpoint of `workdir` (replica 0), in [0, 1], drawn from
  `prior` (a latent_prior spec; a mixture is fitted to the run's own training data)."""
  run = run_lib.open_run(workdir)
  config, family, state = run.config, run.family, run.restore(0)
  fn = latent_prior.sampler(family, state, config.data, prior)
  key = jax.random.PRNGKey(seed)
  images = [fn(state, jax.random.fold_in(key, c), per_class, jnp.full((per_class,), c, jnp.int32))
            for c in range(num_classes)]
  x = pipeline.to_unit(np.concatenate([np.asarray(i) for i in images]), config.data.value_range)
  jax.clear_caches()
  return x, np.repeat(np.arange(num_classes), per_class).astype(np.int32)


def _fingerprint(config) -> dict:
  """What a finished run of `config` depends on: the config and its data file's digest."""
  digest = hashlib.sha256()
  with np.load(config.data.path) as f:
    for name in ("images", "labels"):
      digest.update(np.ascontiguousarray(f[name]).tobytes())
  return {"config": json.loads(config.to_json_best_effort()), "data_sha256": digest.hexdigest()}


def _same_run(record: dict, want: dict) -> bool:
  """Whether a run's record is of `want`'s config and data; where the data file lies does
  not count (its digest does), so a moved study folder keeps its runs."""
  def key(fingerprint):
    config = copy.deepcopy(fingerprint.get("config") or {})
    config.get("data", {}).pop("path", None)
    return config, fingerprint.get("data_sha256")
  return key(record) == key(want)


def trained(config, workdir: str, evaluate=None):
  """Trains `config` in `workdir` through the loop unless `workdir/augment_run.json` says a
  finished run of the same config and data is there: (that record, {'accuracy': ...} added by
  `evaluate(workdir)` when given; whether it ran). A partial run of the same config and data
  resumes; a run of another config or data (a changed flag, a relabelled split: the loop
  would resume it, the data path being the same) moves to `workdir.stale` first."""
  marker, want = os.path.join(workdir, "augment_run.json"), _fingerprint(config)
  if os.path.exists(marker):
    with open(marker) as f:
      record = json.load(f)
    if not _same_run(record, want):
      stale = workdir + ".stale"
      shutil.rmtree(stale, ignore_errors=True)
      os.replace(workdir, stale)
      logging.info("%s was trained on another config or data: moved to %s", workdir, stale)
    elif record.get("finished", True):   # Records before 'finished' existed were written last.
      return record, False
  os.makedirs(workdir, exist_ok=True)
  with open(marker, "w") as f:
    json.dump({**want, "finished": False}, f)
  train.train_and_evaluate(config, workdir)
  jax.clear_caches()
  record = {**want, "finished": True}
  if evaluate is not None:
    record["accuracy"] = evaluate(workdir)
    jax.clear_caches()
  with open(marker, "w") as f:
    json.dump(record, f)
  return record, True


def eval_accuracy(workdir: str) -> float:
  """The eval accuracy of the classifier in `workdir` (its latest checkpoint)."""
  _, metrics = workdirs.evaluate(workdir)
  return float(next(v for k, v in metrics.items() if k.endswith("accuracy")))


def accuracy(config, workdir: str) -> tuple[float, bool]:
  """Trains (or reuses) the classifier `config` in `workdir`: (its eval accuracy, whether it
  trained now)."""
  record, ran = trained(config, workdir, eval_accuracy)
  return float(record["accuracy"]), ran


# --- the study -------------------------------------------------------------------------------
def check_flags(seeds: int, mix: float, samples_per_class: int, generator_data=("labelled",)):
  unknown = [d for d in generator_data if d not in GENERATOR_DATA]
  if unknown or not generator_data:
    raise GenjaxError(f"--generator_data={','.join(generator_data)}: valid are"
                      f" {', '.join(GENERATOR_DATA)} (a comma-separated list)")
  if seeds < 1:
    raise GenjaxError(f"--seeds={seeds} must be >= 1")
  if not 0 < mix < 1:
    raise GenjaxError(f"--mix={mix} must lie in (0, 1): the generated fraction of a real+GEN"
                      " train set (the GEN-only rows are mix 1, the real rows mix 0)")
  if samples_per_class < 1:
    raise GenjaxError(f"--samples_per_class={samples_per_class} must be >= 1")


def check_prior(prior: str, to_train, reused, data_info) -> None:
  """Refuses a bad prior spec, and a fitted prior for a generator without an encoder (asked
  of the predict functions of each config to train, on `data_info`, and of each reused
  workdir's model), in one line."""
  latent_prior.components(prior)
  if prior == latent_prior.STANDARD:
    return
  no_encoder = [name for name, config in to_train.items()
                if "encode" not in families.build(config, data_info).predict]
  if no_encoder:
    raise GenjaxError(f"--generator_prior={prior} decodes a mixture fitted to the encoded"
                      f" training data: {', '.join(no_encoder)} has no encoder (use"
                      " --generators=cvae,cvaegan, or --generator_prior=standard)")
  for name, path in reused.items():
    try:
      latent_prior.check(run_lib.open_run(path).family, prior)
    except GenjaxError as e:
      raise GenjaxError(f"--generator_workdirs {name}={path}: {e}") from None


def plan(classifier_config, generators, gen_configs, gen_workdirs, shipped=None):
  """({name: config to train or None}, {name: reused dir}, dataset), every flag checked
  before anything trains (`shipped`: as `generator_config`'s)."""
  classifier.check_trainable(classifier_config, "--classifier_config: experiments.augment")
  dataset = data_lib.load(classifier_config.data)
  if dataset.train_labels is None or not dataset.num_classes:
    raise GenjaxError(f"data.name={classifier_config.data.name!r} has no labels to classify")
  kind = data_kind(classifier_config)
  to_train = {name: generator_config(name, gen_configs.get(name), kind, shipped)
              for name in generators}
  reused = parse_workdirs(gen_workdirs)
  for name, path in reused.items():
    if name in to_train:
      raise GenjaxError(f"--generator_workdirs {name}=...: {name} is also in --generators")
    check_generator_workdir(name, path, dataset.image_shape, dataset.num_classes)
  return to_train, reused, dataset


def run_seed(study_dir, classifier_config, to_train, reused, dataset, n: int, seed: int,
             mix: float, samples_per_class: int, generator_data=("labelled",),
             prior: str = latent_prior.STANDARD) -> dict:
  """{row name: eval accuracy} of one N and seed, the samples of each generator
  ({'samples': {g: (x, y)}}), its mix fraction and, with pseudo in `generator_data`, the
  pseudo-labels' accuracy on the unlabelled rest ('pseudo_label_accuracy')."""
  k, tag = dataset.num_classes, f"N{n}_seed{seed}"
  eval_x, eval_y = dataset.eval_images, dataset.eval_labels
  pick = draw_subset(dataset.train_labels, n, seed, k)
  real_x = data_lib.files.unit_float(dataset.train_images[pick])
  real_y = dataset.train_labels[pick]
  path = lambda name: os.path.join(study_dir, "data", f"{name}_{tag}.npz")
  if not os.path.exists(path("subset")):  # Drawn once: its runs' fingerprints keep it.
    write_npz(path("subset"), *repeat_to(real_x, real_y, MIN_TRAIN), eval_x, eval_y)

  def classify(name, file):
    config = npz_config(classifier_config, file, len(eval_x))
    config.seed = classifier_config.seed + seed
    return accuracy(config, os.path.join(study_dir, "clf", f"{name}_{tag}"))

  real_accuracy, real_trained = classify("real", path("subset"))
  result = {"real": real_accuracy, "samples": {}, "mix_fraction": {}}
  train_file = {"labelled": path("subset")}
  if "pseudo" in generator_data:
    # Labelled anew only when 'real' (the labeller) trained now; the runs that read the file
    # retrain when its digest changes (their fingerprints).
    if real_trained or not os.path.exists(path("pseudo")):
      train_x = data_lib.files.unit_float(dataset.train_images)
      labels = pseudo_labels(os.path.join(study_dir, "clf", f"real_{tag}"), train_x, pick,
                             real_y)
      write_npz(path("pseudo"), train_x, labels, eval_x, eval_y)
    train_file["pseudo"] = path("pseudo")
    labels = read_train(path("pseudo"), len(eval_x))[1]
    rest = np.setdiff1d(np.arange(len(labels)), pick)
    result["pseudo_label_accuracy"] = float(np.mean(labels[rest] == dataset.train_labels[rest]))
    result["pseudo"] = classify("pseudo", path("pseudo"))[0]
  generators = {g: (None, None) for g in reused}
  for data_name in generator_data:
    generators.update({g + GENERATOR_DATA[data_name]: (c, train_file[data_name])
                       for g, c in to_train.items()})
  suffix = "" if prior == latent_prior.STANDARD else f"_{prior}"
  for g, (config, file) in generators.items():
    row = g + suffix   # The rows, sample file and classifiers of g's samples from `prior`.
    gen_file = path(f"gen_{row}_s{samples_per_class}")
    workdir = reused.get(g)
    if workdir is None:
      workdir = os.path.join(study_dir, "gen", f"{g}_{tag}")
      config = npz_config(config, file, len(eval_x))
      config.seed = config.seed + seed
      retrained = trained(config, workdir)[1]
    if g in reused or retrained or not os.path.exists(gen_file):
      gen_x, gen_y = sample_classes(workdir, samples_per_class, k, seed, prior)
      write_npz(gen_file, gen_x, gen_y, eval_x, eval_y)
    else:  # The samples this generator's checkpoint gave before.
      gen_x, gen_y = read_train(gen_file, len(eval_x))
    mix_x, mix_y, fraction = mixed(real_x, real_y, gen_x, gen_y, mix)
    mix_file = path(f"mix{mix:g}_{row}_s{samples_per_class}")
    write_npz(mix_file, mix_x, mix_y, eval_x, eval_y)
    result[f"real+{row}"] = classify(f"mix{mix:g}_{row}_s{samples_per_class}", mix_file)[0]
    result[f"{row} only"] = classify(f"cas_{row}_s{samples_per_class}", gen_file)[0]
    result["samples"][row] = (gen_x, gen_y)
    result["mix_fraction"][row] = fraction
  return result


def summarize(name: str, accs, real) -> dict:
  """A report row: accuracies per seed, mean, sample std, change vs `real` (its row)."""
  accs = [float(a) for a in accs]
  std = float(np.std(accs, ddof=1)) if len(accs) > 1 else 0.0
  row = {"row": name, "accuracy": accs, "mean": float(np.mean(accs)), "std": std}
  if real is not None:
    delta = row["mean"] - real["mean"]
    row["delta_points"] = 100 * delta
    # Above the seed-to-seed spread of both rows (with one seed there is none to compare).
    row["above_2std"] = bool(len(accs) > 1 and delta > 2 * max(std, real["std"]))
  return row


def study(classifier_config, study_dir, generators, gen_configs, gen_workdirs, labels_per_class,
          seeds: int, mix: float, samples_per_class: int, generator_data=("labelled",),
          prior: str = latent_prior.STANDARD, shipped=None) -> dict:
  """Trains (or reuses) every run of the study; the report (and the figures' samples).
  `shipped`: {generator: {data kind: config builder}}, the configs trained where
  `gen_configs` names none (experiments/augment.py passes the shipped ones)."""
  started = time.perf_counter()
  check_flags(seeds, mix, samples_per_class, generator_data)
  to_train, reused, dataset = plan(classifier_config, generators, gen_configs, gen_workdirs,
                                   shipped)
  check_prior(prior, to_train, reused,
              families.DataInfo(dataset.image_shape, dataset.num_classes))
  ns = check_labels_per_class(labels_per_class, dataset.train_labels, dataset.num_classes)
  rows, samples, pseudo_accuracy = [], {}, {}
  for n in ns:
    per_seed = [run_seed(study_dir, classifier_config, to_train, reused, dataset, n, s, mix,
                         samples_per_class, generator_data, prior) for s in range(seeds)]
    samples[n] = per_seed[0]["samples"]
    real = summarize("real", [r["real"] for r in per_seed], None)
    rows.append({"labels_per_class": n, **real})
    if "pseudo" in generator_data:
      pseudo_accuracy[n] = [r["pseudo_label_accuracy"] for r in per_seed]
      rows.append({"labels_per_class": n,
                   **summarize("pseudo", [r["pseudo"] for r in per_seed], real)})
    for g in per_seed[0]["samples"]:
      for name in (f"real+{g}", f"{g} only"):
        rows.append({"labels_per_class": n,
                     **summarize(name, [r[name] for r in per_seed], real)})
    print(f"N={n}: " + ", ".join(f"{r['row']} {r['mean']:.3f}" for r in rows
                                 if r["labels_per_class"] == n), flush=True)
  report = {
      "labels_per_class": ns, "seeds": seeds, "mix": mix, "samples_per_class": samples_per_class,
      "mix_fraction": {g: per_seed[0]["mix_fraction"][g] for g in per_seed[0]["mix_fraction"]},
      "num_classes": dataset.num_classes, "train_split": int(len(dataset.train_labels)),
      "eval_split": int(len(dataset.eval_labels)),
      "generators": {**{g + GENERATOR_DATA[d]: {"trained_on": TRAINED_ON[d],
                                                "config": c.to_dict()}
                        for d in generator_data for g, c in to_train.items()},
                     **{g: {"trained_on": f"its own data (reused workdir {p})"}
                        for g, p in reused.items()}},
      "pseudo_label_accuracy": pseudo_accuracy, "generator_prior": prior,
      "classifier_config": classifier_config.to_dict(),
      "classifier_steps": int(classifier_config.num_steps),
      "rows": rows, "seconds": time.perf_counter() - started}
  return report, samples


# --- outputs ---------------------------------------------------------------------------------
def markdown(report) -> str:
  table = [[r["labels_per_class"], r["row"], f"{100 * r['mean']:.1f} +- {100 * r['std']:.1f}",
            "" if "delta_points" not in r else f"{r['delta_points']:+.1f}",
            "" if "above_2std" not in r else ("yes" if r["above_2std"] else "no")]
           for r in report["rows"]]
  text = apps.markdown_table(["labels/class", "train set", "eval accuracy % (mean +- std)",
                              "vs real (points)", "> 2 std"], table)
  for n, accs in report.get("pseudo_label_accuracy", {}).items():
    text += (f"\n\nN={n}: pseudo-labels of the unlabelled rest"
             f" {100 * np.mean(accs):.1f}% correct (per seed: "
             f"{', '.join(f'{100 * a:.1f}' for a in accs)})")
  return text


def goal(report) -> str:
  """Whether the issue's goal holds: at the smallest N the best real+GEN row gains >= 3 points
  above 2 std; at the largest it loses nothing."""
  rows = [r for r in report["rows"] if r["row"].startswith("real+")]
  if not rows:
    return "no generator: no goal to check"
  lines = []
  for n in report["labels_per_class"]:
    best = max((r for r in rows if r["labels_per_class"] == n), key=lambda r: r["mean"])
    lines.append(f"N={n}: best {best['row']} {best['delta_points']:+.1f} points"
                 f" ({'above' if best['above_2std'] else 'not above'} 2 std)")
  return "; ".join(lines)


def accuracy_figure(report, path: str) -> None:
  """Eval accuracy (mean, sample std as error bars) vs labels per class, one line per row."""
  fig, ax = apps.figure(figsize=(6, 4))
  ns = report["labels_per_class"]
  names = list(dict.fromkeys(r["row"] for r in report["rows"]))
  for i, name in enumerate(names):
    rows = {r["labels_per_class"]: r for r in report["rows"] if r["row"] == name}
    x = [n * (1 + 0.02 * (i - len(names) / 2)) for n in ns]  # Spread the error bars.
    ax.errorbar(x, [100 * rows[n]["mean"] for n in ns], [100 * rows[n]["std"] for n in ns],
                marker="o", capsize=3, label=name,
                linestyle="-" if name == "real" or name.startswith("real+") else ":",
                linewidth=2.5 if name == "real" else 1.5)
  ax.set(xscale="log", xticks=ns, xticklabels=[str(n) for n in ns],
         xlabel="labelled images per class", ylabel="eval accuracy (%)",
         title=f"{report['seeds']} seed(s); mix {report['mix']:g} generated")
  ax.minorticks_off()
  ax.legend(fontsize=7)
  apps.save_figure(fig, path)


def samples_figure(samples, name: str, path: str, columns: int = 10) -> None:
  """Seed 0's samples of generator `name`: per N a panel, one row per class."""
  ns = sorted(samples)
  fig, axes = apps.figure(1, len(ns), squeeze=False, figsize=(3.2 * len(ns), 3.4))
  for ax, n in zip(axes[0], ns):
    x, y = samples[n][name]
    rows = [x[y == c][:columns] for c in range(int(y.max()) + 1)]
    grid = np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{name}, N={n} (rows: classes)", fontsize=9)
    ax.axis("off")
  apps.save_figure(fig, path)


def write(report, samples, outdir: str) -> list:
  table = markdown(report) + "\n\n" + goal(report)
  apps.write_report(outdir, "augment", report, table)
  accuracy_figure(report, os.path.join(outdir, "augment.png"))
  files = ["augment.json", "augment.md", "augment.png"]
  for g in samples[min(samples)]:   # Row names: a generator, with the prior's suffix if any.
    files.append(f"augment_samples_{g}.png")
    samples_figure(samples, g, os.path.join(outdir, files[-1]))
  return files
