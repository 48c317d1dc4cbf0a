"""A plain PyTorch DCGAN on the same images as a genjax config, the reference the image
GANs are measured against (needs torch: the `fid` extra).

python -m experiments.torch_dcgan --config=configs/dcgan_mnist10k.py --out=/tmp/genjax/torch_dcgan

pytorch/examples' DCGAN (nz=100, ngf=ndf=64, batch norm in G and in D after its first conv,
BCE, Adam(2e-4, b1=0.5), batch 64, reshuffled epochs), its layers sized for 28x28: G
ConvT(nz, 4 ngf, 7) -> ConvT(2 ngf, 4, s2) -> ConvT(1, 4, s2) + tanh; D Conv(ndf, 4, s2) ->
Conv(2 ndf, 4, s2) -> Conv(1, 7). Every `--snapshot_every_s` seconds of training (and at the
end) it writes `--num` samples to OUT/samples_<seconds>s.npy (images in [0, 1], NxHxWx1),
which `python -m experiments.metric_baselines --samples=...` scores like genjax's samples.
"""
import importlib.util

import numpy as np
from absl import flags
from ml_collections import config_flags

from genjax import cli
from genjax import data as data_lib
from genjax import logs as log_lib
from genjax.errors import GenjaxError
from experiments.torch_reference import train

_CONFIG = config_flags.DEFINE_config_file("config", "configs/dcgan_mnist10k.py", "Its data.")
_OUT = flags.DEFINE_string("out", None, "Folder for the sample files.")
_EPOCHS = flags.DEFINE_integer("epochs", 20, "Passes over the training images.")
_NUM = flags.DEFINE_integer("num", 2000, "Samples per snapshot.")
_SNAPSHOT_EVERY_S = flags.DEFINE_float("snapshot_every_s", 60.0, "Seconds between snapshots.")
_SEED = flags.DEFINE_integer("seed", 0, "torch.manual_seed.")
_NUM_TRAIN = flags.DEFINE_integer("num_train", 0, "Train on the first N images only (0: all).")
flags.mark_flags_as_required(["out"])


def main(argv):
  del argv
  log_lib.quiet_libraries()
  if importlib.util.find_spec("torch") is None:
    raise GenjaxError("experiments.torch_dcgan needs PyTorch: pip install -e '.[fid]'")
  dataset = data_lib.load(_CONFIG.value.data)
  images = np.asarray(dataset.train_images, np.float32)[:_NUM_TRAIN.value or None]
  if images.shape[1:] != (28, 28, 1):
    raise GenjaxError(f"the reference DCGAN is sized for 28x28x1 images, the config's data has"
                      f" {images.shape[1:]}: use an MNIST config (configs/dcgan_mnist10k.py)")
  for seconds, path in train(images, _OUT.value, _EPOCHS.value, _NUM.value,
                             _SNAPSHOT_EVERY_S.value, _SEED.value):
    print(f"{seconds:.0f} s: {path}")


if __name__ == "__main__":
  cli.run(main)
