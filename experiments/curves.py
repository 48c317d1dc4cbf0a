"""A logged metric of trained runs over wall time, as a table and a figure.

python -m experiments.curves --workdirs=DIR1,DIR2 [--tag=eval/classifier/fid] \
    [--reference="385.7=PyTorch DCGAN"] --out=DIR

Writes DIR/curves.md (every logged point: run, step, seconds, value), DIR/curves.json and
DIR/curves.png (the metric against wall time, log scale, references as dashed lines). The
maths is in genjax/applications/curves.py.
"""
import json
import os

from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax.applications import curves

_WORKDIRS = flags.DEFINE_list("workdirs", None, "Workdirs written by experiments.main.")
_TAG = flags.DEFINE_string("tag", "eval/classifier/fid", "The logged scalar to plot.")
_REFERENCES = flags.DEFINE_multi_string("reference", [], "VALUE=LABEL: a horizontal line, e.g."
                                        " '385.7=PyTorch DCGAN (20 epochs)'.")
_OUT = flags.DEFINE_string("out", None, "Output folder.")
flags.mark_flags_as_required(["workdirs", "out"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  references = curves.parse_references(_REFERENCES.value)
  runs = {os.path.basename(os.path.normpath(w)): curves.curve(w, _TAG.value)
          for w in _WORKDIRS.value}
  os.makedirs(_OUT.value, exist_ok=True)
  table = curves.markdown(runs, _TAG.value)
  with open(os.path.join(_OUT.value, "curves.md"), "w") as f:
    f.write(table)
  with open(os.path.join(_OUT.value, "curves.json"), "w") as f:
    json.dump({"tag": _TAG.value, "references": references, "runs": runs}, f, indent=1)
  curves.plot(runs, _TAG.value, references, os.path.join(_OUT.value, "curves.png"))
  print(table + f"wrote {_OUT.value}/curves.md, curves.json and curves.png")


if __name__ == "__main__":
  cli.run(main)
