"""A logged metric over wall time: the runs' TensorBoard scalars as a table and a figure.

python -m experiments.curves --workdirs=DIR1,DIR2 --tag=eval/classifier/fid \
    --reference="385.7=PyTorch DCGAN (20 epochs)" --out=DIR

Wall time counts from a run's first event (its writer starts after the data is loaded and the
workdir set up, so loading is not in it; a resumed run's idle time between its processes is).
"""
import os
import struct

import numpy as np

from genjax.applications import common as apps
from genjax.errors import GenjaxError


def read_events(workdir: str):
  """(wall time of the run's first event, {tag: [(step, wall_time_s, value)]}) from every
  TensorBoard event file of a run, in order."""
  from tensorboardX.proto import event_pb2  # pylint: disable=import-outside-toplevel
  logdir = os.path.join(workdir, "tensorboard")
  if not os.path.isdir(logdir):
    raise GenjaxError(f"workdir {workdir!r} has no tensorboard/ folder: is it a workdir"
                      " written by experiments.main?")
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
