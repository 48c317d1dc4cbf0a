"""Metric writers (TensorBoard via tensorboardX), the progress line, and PNG image grids."""
import datetime
import logging as logging_std
import math
import os
import struct
import time

import numpy as np
from absl import logging
from PIL import Image

from genjax.data import pipeline


def image_grid(images_NxHxWxC, value_range: str = "0,1", columns: int = 0) -> np.ndarray:
  """Tiles N images into one uint8 HxWxC grid (1-pixel gaps), mapping the value range to 0..255."""
  x = pipeline.to_unit(images_NxHxWxC, value_range)
  n, h, w, c = x.shape
  columns = columns or math.ceil(math.sqrt(n))
  rows = math.ceil(n / columns)
  grid = np.ones((rows * (h + 1) + 1, columns * (w + 1) + 1, c), np.float32)
  for i in range(n):
    r, col = divmod(i, columns)
    grid[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + col * (w + 1): 1 + col * (w + 1) + w] = x[i]
  return np.round(grid * 255).astype(np.uint8)


def histogram_image(points_Nx2, size: int = 128, limit: float = 0.0) -> np.ndarray:
  """A size x size x 1 image in [0, 1] of where 2-D points fall (square root of counts).

  The view spans [-limit, limit]^2 (default: 1.1 x the largest coordinate)."""
  points = np.asarray(points_Nx2, np.float64)
  limit = limit or 1.1 * max(float(np.abs(points).max()), 1e-6)
  counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=size,
                                range=[[-limit, limit], [-limit, limit]])
  image = np.sqrt(counts[::-1]) / max(np.sqrt(counts.max()), 1.0)
  return image[..., None].astype(np.float32)


def save_png(path: str, grid_HxWxC: np.ndarray, upscale: int = 1) -> None:
  """Writes a uint8 grid as PNG, nearest-upscaled by an integer factor for small images."""
  image = Image.fromarray(grid_HxWxC[..., 0] if grid_HxWxC.shape[-1] == 1 else grid_HxWxC)
  if upscale > 1:
    image = image.resize((image.width * upscale, image.height * upscale), Image.NEAREST)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  image.save(path)


def save_image_grid(path: str, images_NxHxWxC, value_range: str) -> np.ndarray:
  """Writes `images` as one PNG grid, upscaled so that small images show at ~64 px; returns
  the (not upscaled) uint8 grid."""
  grid = image_grid(images_NxHxWxC, value_range)
  save_png(path, grid, max(1, 64 // np.shape(images_NxHxWxC)[1]))
  return grid


# genjax's own code: the package and, in a checkout, the mains beside it (not a virtual
# environment inside the checkout, whose libraries live under site-packages).
_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_ours(pathname: str) -> bool:
  path = os.path.abspath(pathname)
  if not path.startswith(_OURS + os.sep):
    return False
  inside = path[len(_OURS):]
  return "site-packages" not in inside and "dist-packages" not in inside


class _LibraryInfoFilter(logging_std.Filter):
  """Drops INFO (and below) records logged by any code but genjax's (orbax is chatty),
  wherever the checkout lives (its folder may well be called genjax)."""

  def filter(self, record):
    return record.levelno >= logging_std.WARNING or is_ours(record.pathname)


def quiet_libraries() -> None:
  """Keeps genjax's own INFO lines (progress, eval) and libraries' warnings only; with absl's
  --verbosity=1 (or higher) libraries' INFO records are shown too."""
  if logging.get_verbosity() >= 1:
    return
  # "NaN or Inf found in input tensor" for each such scalar: the eval line already shows it.
  logging_std.getLogger("tensorboardX.x2num").setLevel(logging_std.ERROR)
  for handler in logging_std.getLogger().handlers + [logging.get_absl_handler()]:
    if not any(isinstance(f, _LibraryInfoFilter) for f in handler.filters):
      handler.addFilter(_LibraryInfoFilter())


class Writer:
  """TensorBoard scalars and images in `logdir`; a no-op where `enabled` is False."""

  def __init__(self, logdir: str, enabled: bool = True):
    self._writer = None
    if enabled:
      from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
      self._writer = SummaryWriter(logdir)

  def scalars(self, step: int, values: dict) -> None:
    if self._writer:
      for name, value in values.items():
        self._writer.add_scalar(name, float(value), step)

  def image(self, step: int, name: str, grid_HxWxC: np.ndarray) -> None:
    if self._writer:
      self._writer.add_image(name, grid_HxWxC, step, dataformats="HWC")

  def flush(self) -> None:
    if self._writer:
      self._writer.flush()

  def close(self) -> None:
    if self._writer:
      self._writer.close()


def flat(section, prefix: str = "") -> dict:
  """{dotted.key: value} of the leaves of a (JSON) config section."""
  out = {}
  for key, value in section.items():
    if isinstance(value, dict):
      out.update(flat(value, f"{prefix}{key}."))
    else:
      out[prefix + key] = value
  return out


def config_diff(config, default) -> list:
  """'field=value' for every field of `config` (a ConfigDict) that `default` (its family's
  default config) lacks or holds another value of, in the config's order."""
  ours = flat(config.to_dict())
  theirs = flat(default.to_dict()) if default is not None else {}
  return [f"{k}={v!r}" for k, v in ours.items()
          if k not in theirs or theirs[k] != v and not (isinstance(v, (list, tuple))
                                                        and list(theirs[k] or []) == list(v))]


def log_config(config, default, source: str) -> None:
  """One console line per field `config` changes from its family's default."""
  changed = config_diff(config, default)
  where = f"genjax/defaults/{config.model.name}.py" if default is not None else "no default"
  logging.info("Config %s: %d fields differ from %s (the whole config goes to the workdir's"
               " config.json)%s", source, len(changed), where,
               "".join(f"\n  {line}" for line in changed))


def read_events(workdir: str):
  """(wall time of the run's first event, {tag: [(step, wall_time_s, value)]}) from every
  TensorBoard event file of a run, in order."""
  from tensorboardX.proto import event_pb2  # pylint: disable=import-outside-toplevel
  logdir = os.path.join(workdir, "tensorboard")
  start, found = float("inf"), {}
  for name in sorted(os.listdir(logdir)):
    with open(os.path.join(logdir, name), "rb") as f:
      data = f.read()
    pos = 0
    while pos + 12 <= len(data):  # TFRecord framing: length, its crc, payload, its crc.
      (length,) = struct.unpack("<Q", data[pos:pos + 8])
      event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
      start = min(start, event.wall_time)  # Any event: the first is the writer's own.
      for value in event.summary.value:
        found.setdefault(value.tag, []).append((event.step, event.wall_time, value.simple_value))
      pos += 12 + length + 4
  return start, found


def save_curves(workdir: str, path: str, max_panels: int = 12) -> None:
  """A PNG at `path` of the run's logged scalars over train steps (its event files), one
  panel per tag, train/* then eval/* (the first `max_panels`)."""
  import matplotlib  # pylint: disable=g-import-not-at-top,import-outside-toplevel
  matplotlib.use("Agg")
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top,import-outside-toplevel
  _, found = read_events(workdir)
  tags = sorted(t for t in found if t.startswith("train/") and not t.endswith("_std"))
  tags += sorted(t for t in found if t.startswith("eval/") and not t.endswith("_std"))
  tags = tags[:max_panels]
  if not tags:
    return
  columns = min(4, len(tags))
  rows = -(-len(tags) // columns)
  fig, axes = pyplot.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
  for ax, tag in zip(axes.flat, tags):
    steps, values = zip(*sorted({s: v for s, _, v in found[tag]}.items()))
    ax.plot(steps, values, marker="." if len(steps) < 30 else None)
    ax.set_title(tag, fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.tick_params(labelsize=7)
  for ax in list(axes.flat)[len(tags):]:
    ax.axis("off")
  fig.tight_layout()
  os.makedirs(os.path.dirname(path), exist_ok=True)
  fig.savefig(path, dpi=90)
  pyplot.close(fig)


def points_plot(points_Nx2, modes_Mx2=None, limit: float = 0.0) -> np.ndarray:
  """An RGB image HxWx3 in [0, 1] of 2-D samples as a scatter with axes, the mixture's true
  modes marked (red crosses) when given."""
  import matplotlib  # pylint: disable=g-import-not-at-top,import-outside-toplevel
  matplotlib.use("Agg")
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top,import-outside-toplevel
  points = np.asarray(points_Nx2, np.float64)
  extent = [points] + ([np.asarray(modes_Mx2)] if modes_Mx2 is not None else [])
  limit = limit or 1.15 * max(float(np.abs(np.concatenate(extent)).max()), 1e-6)
  fig, ax = pyplot.subplots(figsize=(4, 4))
  ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, label=f"{len(points)} samples")
  if modes_Mx2 is not None:
    modes = np.asarray(modes_Mx2)
    ax.scatter(modes[:, 0], modes[:, 1], marker="x", color="red", s=40, label="true modes")
  ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal")
  ax.legend(loc="upper right", fontsize=7)
  fig.tight_layout()
  fig.canvas.draw()
  image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(np.float32) / 255.0
  pyplot.close(fig)
  return image


class Progress:
  """The live progress line: step, metrics, steps/s (since the last line) and ETA."""

  def __init__(self, first_step: int, num_steps: int):
    self.num_steps = num_steps
    self._last = (first_step, time.perf_counter())

  def line(self, step: int, metrics: dict) -> str:
    now = time.perf_counter()
    rate = (step - self._last[0]) / max(now - self._last[1], 1e-9)
    self._last = (step, now)
    eta = datetime.timedelta(seconds=round((self.num_steps - step) / max(rate, 1e-9)))
    shown = " ".join(f"{k} {float(v):.4g}" for k, v in metrics.items())
    return f"step {step}/{self.num_steps} | {shown} | {rate:.1f} steps/s | ETA {eta}"

  def log(self, step: int, metrics: dict) -> None:
    logging.info("%s", self.line(step, metrics))

  def restart_clock(self, step: int) -> None:
    """Excludes time spent since the last line (eval, checkpoints) from the next rate."""
    self._last = (step, time.perf_counter())
