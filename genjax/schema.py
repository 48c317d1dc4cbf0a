"""The fields a config may have, one section per component: shared sections here, each
family's `model` / `loss` / `optim` sections beside its code (`SPEC` in
genjax/families/<name>.py).

A spec is a dict: field -> `LEAF` (a value the config must have), `MAYBE` (a value it may
leave out), `OPEN` (a section whose fields its reader checks, e.g. `evals`) or a nested spec
for a section (`optional(...)`: a section the config may leave out). `problems` lists every unknown, missing or misplaced field,
one line each, so a config with three typos is refused once with three lines.
"""
import ml_collections

from genjax.errors import GenjaxError

LEAF, MAYBE, OPEN = "leaf", "maybe", "open"


class Optional(dict):
  """A section a config may leave out (e.g. one network's optimizer overrides)."""


def leaves(*names: str, kind=LEAF) -> dict:
  return dict.fromkeys(names, kind)


def optional(spec: dict) -> Optional:
  return Optional(spec)


TOP = leaves("seed", "num_seeds", "num_steps", "batch_size", "steps_per_call", "parallel",
             "dtype", "log_every", "eval_every", "checkpoint_every", "max_to_keep",
             "skip_nonfinite", "init_from")
SHARED = {
    **TOP,
    "evals": OPEN,
    "distributed": leaves("num_processes", "process_id", "coordinator_address", "auto"),
    "data": leaves("name", "path", "labels_path", "num_eval", "shuffle_split", "split_seed",
                   "train_split", "eval_split", "tfds_data_dir", "image_size", "value_range",
                   "dynamic_binarization", "radius", "spacing", "std", "placement",
                   "device_limit_mb", "num_shards", "prefetch", "exclude_labels",
                   "max_length", "max_train", "mutation_rate", "pseudo_labels",
                   "length_buckets"),
    "optim": leaves("learning_rate", "schedule", "warmup_steps", "final_lr_fraction",
                    "grad_clip_norm", "weight_decay", "b1", "b2"),
    "eval": leaves("num_samples_png"),
    # '' (the family's own) or 'module.function': a forked train step (genjax.families).
    "model": leaves("train_step", kind=MAYBE),
}
OPTIM_FIELDS = tuple(SHARED["optim"])
OPTIM_TYPES = {"schedule": str, "warmup_steps": int}  # The others are floats.


def net_optim(**values) -> ml_collections.ConfigDict:
  """A config's optimizer section for one network: every shared optimizer field, None
  (inherit `config.optim`'s value) unless given, typed so `--config.optim.disc.b1=0.5` works."""
  section = ml_collections.ConfigDict()
  for field in OPTIM_FIELDS:
    kind = OPTIM_TYPES.get(field, float)
    section[field] = ml_collections.config_dict.placeholder(kind)
    if field in values:
      section[field] = kind(values.pop(field))
  if values:
    raise GenjaxError(f"unknown optimizer fields {tuple(values)}: valid are {OPTIM_FIELDS}")
  return section


def optim_overrides() -> Optional:
  """The spec of one network's optimizer section: any shared optimizer field, overriding it."""
  return optional(leaves(*OPTIM_FIELDS, kind=MAYBE))


def merge(*specs: dict) -> dict:
  """The union of `specs`, sections merged field by field."""
  out = {}
  for spec in specs:
    for key, value in spec.items():
      if isinstance(value, dict) and isinstance(out.get(key), dict):
        value = type(out[key])(merge(out[key], value))
      out[key] = value
  return out


def _is_section(value) -> bool:
  return hasattr(value, "keys")


def problems(config, spec: dict, where: str = "") -> list:
  """One line for each field of `config` that `spec` lacks, each field of `spec` that
  `config` lacks, and each value where a section belongs (or the reverse)."""
  found, prefix = [], f"{where}." if where else ""
  valid = tuple(sorted(spec))
  for key in sorted(set(config.keys()) - set(spec)):
    found.append(f"unknown config field {prefix}{key}: valid {where or 'top-level'} fields"
                 f" are {valid}")
  for key, sub in spec.items():
    name, value = prefix + key, config.get(key)
    if key not in config:
      if sub is not MAYBE and not isinstance(sub, Optional):
        found.append(f"config lacks the field {name} (configs/default.py and"
                     " configs/gan_ring8.py show every field)")
    elif sub in (LEAF, MAYBE):
      if _is_section(value):
        found.append(f"{name} must be a single value, not a section")
    elif not _is_section(value):
      fields = "" if sub == OPEN else f" with fields {tuple(sorted(sub))}"
      found.append(f"{name}={value!r} must be a section{fields} (older genjax configs had"
                   " a flat layout: see configs/default.py)")
    elif sub != OPEN:
      found.extend(problems(value, sub, name))
  return found


def comma_names(label: str, spec: str, valid) -> tuple:
  """The names of a comma-separated option (`label`=`spec`), each one of `valid`; spaces
  ignored; an unknown name or none at all is refused in one line naming the valid ones."""
  names = tuple(n for n in spec.replace(" ", "").split(",") if n)
  if not names or any(n not in valid for n in names):
    raise GenjaxError(f"{label}={spec!r}: valid are comma-separated {tuple(valid)}")
  return names


def raise_if(found: list) -> None:
  """Raises one GenjaxError holding every problem in `found`, one per line."""
  if found:
    raise GenjaxError("\n".join(found))


def check(config, family_spec: dict) -> None:
  """Checks `config` against the shared sections plus a family's `family_spec`."""
  raise_if(problems(config, merge(SHARED, family_spec)))


NEWER_DATA_FIELDS = {"exclude_labels": "", "max_length": 0, "max_train": 0,
                     "mutation_rate": 0.0, "pseudo_labels": "", "length_buckets": []}
NEWER_GAN_FIELDS = {"generator": {"noise_injection": 0.0},
                    "discriminator": {"pack": 1, "fourier_features": 0, "fourier_scale": 1.0}}


def upgrade(saved: dict) -> dict:
  """A config (as JSON) of the flat layout genjax wrote before per-component sections,
  in today's layout, with fields added since filled with their defaults (what those runs
  did); today's configs pass through unchanged. Only workdirs use this: their checkpoints
  are unchanged, so they resume, sample and evaluate as before."""
  saved = _upgrade_layout(saved)
  model = saved.get("model", {})
  if model.get("name") == "gan":
    model = {**model, **{part: {**fields, **model[part]} for part, fields
                         in NEWER_GAN_FIELDS.items() if _is_section(model.get(part))}}
    saved = {**saved, "model": model}
    loss = saved.get("loss", {})
    if _is_section(loss.get("gan")) and "generator_terms" not in loss["gan"]:
      saved = {**saved, "loss": {**loss, "gan": {**loss["gan"], "generator_terms": {}}}}
  return saved


def _upgrade_layout(saved: dict) -> dict:
  if "data" in saved:
    saved = {**saved, "data": {**NEWER_DATA_FIELDS, **saved["data"]}}
  model, loss, optim = (dict(saved.get(k, {})) for k in ("model", "loss", "optim"))
  if model.get("name") == "vae" and _is_section(model.get("encoder")):
    model.setdefault("conditioning", "none")  # Before the conditional VAE.
    return {**saved, "model": model}
  if _is_section(model.get("encoder", {})) and _is_section(model.get("generator", {})):
    return saved
  if model.get("name") == "vae":
    encoder = {"net": model.pop("encoder"), "hidden": list(model["hidden"]),
               "channels": list(model["channels"]), "activation": model["activation"]}
    decoder = {"net": model.pop("decoder"), "hidden": list(model.pop("hidden"))[::-1],
               "channels": list(model.pop("channels"))[::-1], "activation": model.pop("activation")}
    for key in ("likelihood", "learn_scale", "log_scale", "ar_channels", "ar_kernel",
                "ar_layers", "ar_features"):
      decoder[key] = model.pop(key)
    model.update(encoder=encoder, decoder=decoder, conditioning="none")
    loss = {"vae": loss}
  elif model.get("name") == "gan":
    hidden, width = list(model.pop("hidden")), model.pop("width")
    model["generator"] = {"net": model.pop("generator"), "hidden": hidden, "width": width}
    model["discriminator"] = {"net": model.pop("discriminator"), "hidden": hidden, "width": width,
                              "spectral_norm": model.pop("spectral_norm"),
                              "batch_norm": model.pop("disc_batch_norm", True),
                              "sigmoid_output": model.pop("sigmoid_output")}
    loss = {"gan": loss}
    d_rate = optim.pop("d_learning_rate", 0.0)
    optim["gen"] = dict.fromkeys(OPTIM_FIELDS)
    optim["disc"] = {**dict.fromkeys(OPTIM_FIELDS), "learning_rate": d_rate or None}
  else:
    return saved
  return {**saved, "model": model, "loss": loss, "optim": optim}
