"""The fields a config may have: shared ones here, each family's model/loss fields beside its
code (`FIELDS` in genjax/families/<name>.py). A misspelled or unknown field is refused with a
one-line error naming the valid ones, instead of being silently ignored."""
from genjax.errors import GenjaxError

TOP = ("seed", "num_seeds", "num_steps", "batch_size", "steps_per_call", "parallel", "dtype",
       "log_every", "eval_every", "checkpoint_every", "max_to_keep", "distributed", "data",
       "model", "loss", "optim", "eval", "evals", "skip_nonfinite")
DISTRIBUTED = ("num_processes", "process_id", "coordinator_address", "auto")
DATA = ("name", "path", "labels_path", "num_eval", "shuffle_split", "split_seed", "train_split",
        "eval_split", "tfds_data_dir", "image_size", "value_range", "dynamic_binarization",
        "radius", "spacing", "std", "placement", "device_limit_mb", "num_shards", "prefetch")
OPTIM = ("learning_rate", "schedule", "warmup_steps", "final_lr_fraction", "grad_clip_norm",
         "weight_decay", "b1", "b2")
EVAL = ("num_samples_png",)


def check_fields(section, valid, where: str) -> None:
  """Refuses a key of `section` (a ConfigDict or dict) that is not in `valid`."""
  unknown = sorted(set(section.keys()) - set(valid))
  if unknown:
    prefix = f"{where}." if where else ""
    raise GenjaxError(f"unknown config field {prefix}{unknown[0]}: valid {where or 'top-level'}"
                      f" fields are {tuple(sorted(valid))}")


def check(config, fields: dict) -> None:
  """Checks `config` against the shared fields plus a family's `fields`: {'top': extra
  top-level fields, 'model': ..., 'loss': ..., 'optim': extra optimizer fields}."""
  check_fields(config, TOP + tuple(fields.get("top", ())), "")
  check_fields(config.distributed, DISTRIBUTED, "distributed")
  check_fields(config.data, DATA, "data")
  check_fields(config.optim, OPTIM + tuple(fields.get("optim", ())), "optim")
  check_fields(config.eval, EVAL, "eval")
  check_fields(config.model, fields["model"], "model")
  check_fields(config.loss, fields["loss"], "loss")
