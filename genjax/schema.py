"""The fields a config may have: each family's spec is `derive`d from its default config
(genjax/defaults/<family>.py, the one listing of its fields, each commented there), plus the
exceptions its module names (open sections, fields older configs lack, hyperparameters of
registered objectives).

A spec is a dict: field -> `LEAF` (a value the config must have), `MAYBE` (a value it may
leave out), `OPEN` (a section whose fields its reader checks, e.g. `evals`) or a nested spec
for a section (`optional(...)`: a section the config may leave out). `problems` lists every unknown, missing or misplaced field,
one line each, so a config with three typos is refused once with three lines.
"""
import ml_collections

from genjax.defaults import shared as shared_defaults  # (ml_collections only: no cycle)
from genjax.errors import GenjaxError

LEAF, MAYBE, OPEN = "leaf", "maybe", "open"


class Optional(dict):
  """A section a config may leave out (e.g. one network's optimizer overrides)."""


def leaves(*names: str, kind=LEAF) -> dict:
  return dict.fromkeys(names, kind)


def optional(spec: dict) -> Optional:
  return Optional(spec)


OPTIM_FIELDS = tuple(shared_defaults.get_config().optim)
OPTIM_TYPES = {"schedule": str, "warmup_steps": int}  # The others are floats.
# Every family's spec (`derive`): sections whose fields their readers check, and fields that
# configs written before them lack (read as their defaults).
OPEN_SECTIONS = ("evals",)
MAYBE_FIELDS = ("model.train_step",)


def derive(default, open_sections=(), maybe=()) -> dict:
  """The spec of configs with exactly the fields of `default` (a family's default config,
  genjax/defaults): each value a LEAF and each section a nested spec, except the dotted names
  in OPEN_SECTIONS + `open_sections` (OPEN) and MAYBE_FIELDS + `maybe` (a MAYBE leaf, or a
  section a config may leave out); a section of None values only (`net_optim`'s overrides) may
  be left out or hold any of its fields."""
  open_sections, maybe = OPEN_SECTIONS + tuple(open_sections), MAYBE_FIELDS + tuple(maybe)

  def walk(section, prefix: str) -> dict:
    spec = {}
    for key, value in section.items():
      name = prefix + key
      if name in open_sections:
        spec[key] = OPEN
      elif _is_section(value) and value and all(v is None for v in value.values()):
        spec[key] = optional(leaves(*value, kind=MAYBE))
      elif _is_section(value):
        sub = walk(value, name + ".")
        spec[key] = optional(sub) if name in maybe else sub
      else:
        spec[key] = MAYBE if name in maybe else LEAF
    return spec

  return walk(default, "")


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
        found.append(f"config lacks the field {name} (genjax/defaults/<family>.py lists"
                     " every field)")
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


def check(config, spec: dict) -> None:
  """Checks `config` against a family's `spec` (`derive`d from its default config)."""
  raise_if(problems(config, spec))


NEWER_DATA_FIELDS = {"eval_path": "", "eval_labels_path": "", "exclude_labels": "", "max_length": 0, "max_train": 0,
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
