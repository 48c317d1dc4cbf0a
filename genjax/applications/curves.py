"""A logged metric over wall time: the runs' TensorBoard scalars as a table and a figure.

python -m experiments.curves --workdirs=DIR1,DIR2 --tag=eval/classifier/fid \
    --reference="385.7=PyTorch DCGAN (20 epochs)" --out=DIR

Wall time counts from a run's first event (its writer starts after the data is loaded and the
workdir set up, so loading is not in it; a resumed run's idle time between its processes is).
"""
import os

import numpy as np

from genjax import logs as log_lib
from genjax.applications import common as apps
from genjax.errors import GenjaxError


def read_events(workdir: str):
  """As `genjax.logs.read_events`; a workdir without event files is refused in one line."""
  if not os.path.isdir(os.path.join(workdir, "tensorboard")):
    raise GenjaxError(f"workdir {workdir!r} has no tensorboard/ folder: is it a workdir"
                      " written by experiments.main?")
  return log_lib.read_events(workdir)


def curve(workdir: str, tag: str) -> list:
  """[(step, seconds since the run's first event, value)] of `tag` in `workdir`."""
  start, found = read_events(workdir)
  if tag not in found:
    logged = sorted(t for t in found if t.startswith("eval/")) or sorted(found)
    raise GenjaxError(f"workdir {workdir!r} logged no {tag!r}: it has {', '.join(logged)}")
  return [(step, wall - start, value) for step, wall, value in found[tag]]


def markdown(curves: dict, tag: str) -> str:
  lines = [f"| run | step | wall time (s) | {tag} |", "| --- | --- | --- | --- |"]
  for name, points in curves.items():
    lines += [f"| {name} | {step} | {seconds:.0f} | {value:.4g} |" for step, seconds, value in points]
  return "\n".join(lines) + "\n"


def plot(curves: dict, tag: str, references, path: str) -> None:
  """`tag` against wall time in minutes, one line per run, `references` [(value, label)] as
  horizontal lines."""
  fig, ax = apps.figure(figsize=(7, 4.5))
  for name, points in curves.items():
    seconds, values = np.array([p[1] for p in points]), np.array([p[2] for p in points])
    ax.plot(seconds / 60, values, marker="o", label=name)
  for i, (value, label) in enumerate(references):
    ax.axhline(value, color=f"C{len(curves) + i}", linestyle="--", label=label)
  ax.set_xlabel("wall time since the run's first event (min)")
  ax.set_ylabel(tag)
  ax.set_yscale("log")
  ax.grid(True, which="both", alpha=0.3)
  ax.legend(fontsize="small")
  apps.save_figure(fig, path)


def parse_references(items) -> list:
  """'VALUE=LABEL' items as [(float, str)]; a one-line error otherwise."""
  out = []
  for item in items:
    value, sep, label = item.partition("=")
    try:
      out.append((float(value), label if sep else value))
    except ValueError:
      raise GenjaxError(f"--reference={item!r} must be VALUE=LABEL, e.g. '385.7=PyTorch DCGAN'") from None
  return out
