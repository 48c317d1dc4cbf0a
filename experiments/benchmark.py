"""Training speed of the real genjax train step on standard setups, as a Markdown table.

python -m experiments.benchmark [--only=vae_mlp,dcgan32_b64] [--dtypes=float32,bfloat16]
    [--feeds=device,host] [--steps=N] [--warmup_calls=K] [--min_seconds=S] [--torch] [--out=BENCHMARKS.md]

Each setup builds the trainer's own compiled call (`train.make_multi_step`: `--steps` train
steps in one `lax.scan`) on synthetic on-device data of the setup's shape, and reports
images/s (examples per step x steps per call / seconds of the median timed call, after
compilation and `--warmup_calls` untimed calls; calls repeat for `--min_seconds`), TFLOP/s and GFLOP per image (XLA's cost analysis), the compile time (lower +
compile) and the peak memory: the device's `peak_bytes_in_use` where it has one (GPU), else
the process's peak host RSS. Peaks are process high-water marks, so rows run smallest first.
It also reports the compile time of the first train call of the shipped default configs.
`--torch` adds PyTorch eager references (on CUDA when PyTorch sees a GPU) for the MLP VAE, for
DCGAN-64 (fp32; bf16 autocast + channels_last at batch 512) and, with `--only=seq_vae_moses_cpu`
(and/or `seq_vae_moses_cpu_buckets`, the same with `data.length_buckets`), MOSES' SMILES VAE at
that config's sizes (needs `pip install torch`).
"""
import datetime
import itertools
import os
import resource
import time

import flax
import jax
import jax.numpy as jnp
import numpy as np
from absl import app
from absl import flags

from configs import dcgan_digits
from configs import default
from configs import gan_ring8
from configs import seq_vae_moses_30min
from configs import seq_vae_moses_cpu
from configs import seq_vae_moses_gpu
from configs import wgan_gp_mnist10k
from genjax import cli
from genjax import logs as log_lib
from genjax import families
from genjax import parallel
from genjax import seeds as seeds_lib
from genjax import train
from genjax.data import feed as feed_lib
from genjax.data import smiles
from genjax.data import toy2d
from genjax.errors import GenjaxError
from genjax.families import gan as gan_family

# name: (image shape HxWxC, batch, steps per call on CPU, on accelerators), smallest first.
SETUPS = {
    "vae_mlp": ((28, 28, 1), 128, 100, 500),
    "dcgan32_b64": ((32, 32, 1), 64, 1, 50),
    "wgan_gp28_b64": ((28, 28, 1), 64, 1, 50),
    "dcgan64_b128": ((64, 64, 3), 128, 1, 20),
    "dcgan64_b512": ((64, 64, 3), 512, 1, 10),
    # configs/seq_vae_moses_cpu.py on MOSES-shaped token rows: (T,) = 57 characters + 2.
    "seq_vae_moses_cpu": ((59,), 128, 50, 200),
    # The same with data.length_buckets: steps of similar lengths at the width they need.
    "seq_vae_moses_cpu_buckets": ((59,), 128, 50, 200),
    # configs/seq_vae_moses_gpu.py: MOSES' VAE (3-layer GRU decoder 512, batch 512), buckets.
    "seq_vae_moses_gpu": ((59,), 512, 5, 100),
}
# MOSES' training vocabulary (the 26 characters of its train split) and SMILES lengths.
MOSES_CHARS = "#()-123456=BCFHNOS[]clnors"
MOSES_MEAN_LENGTH, MOSES_MAX_LENGTH = 35.9, 57
# DCGAN-64 takes minutes a step on CPU: name it.
CPU_DEFAULT = ("vae_mlp", "dcgan32_b64", "wgan_gp28_b64")
DTYPES = ("float32", "bfloat16")
FEEDS = ("device", "host")
SHIPPED = {"configs/default.py": (default, (8, 8, 1)), "configs/gan_ring8.py": (gan_ring8, (2,))}

_ONLY = flags.DEFINE_list("only", None, f"Setups to run (default: all; on CPU {CPU_DEFAULT}).")
_DTYPES = flags.DEFINE_list("dtypes", list(DTYPES), "Compute dtypes (config.dtype).")
_STEPS = flags.DEFINE_integer("steps", 0, "Train steps per compiled call (0: per setup).")
_WARMUP = flags.DEFINE_integer("warmup_calls", 1, "Untimed calls after compiling.")
_MIN_SECONDS = flags.DEFINE_float("min_seconds", 3.0, "Timed calls run at least this long.")
_EXAMPLES = flags.DEFINE_integer("num_examples", 60000, "Synthetic training set size (MNIST's);"
                                  " the pipeline's once-per-epoch permutation grows with it.")
_FEEDS = flags.DEFINE_list("feeds", ["device"], "Where batches come from: 'device' (the"
                           " train set on device) and/or 'host' (genjax.data.feed.HostFeed).")
_TORCH = flags.DEFINE_bool("torch", False, "Also time PyTorch eager references: the MLP VAE,"
                           " and MOSES' VAE when seq_vae_moses_cpu runs.")
_CRITIC_UNROLL = flags.DEFINE_integer(
    "critic_unroll", gan_family.CRITIC_UNROLL, "Critic loops up to this long are unrolled"
    " (genjax.families.gan.CRITIC_UNROLL; 1: every n_critic > 1 loop is a lax.scan).")
_OUT = flags.DEFINE_string("out", None, "Also write the Markdown report to this file.")
_FID = flags.DEFINE_integer("fid", 0, "Also time FID on this many 28x28 samples: Inception"
                            " features, Gaussian statistics, the Frechet distance.")
_FID_WEIGHTS = flags.DEFINE_string("fid_weights", "", "The FID Inception parameter file"
                                   " (default ~/.cache/genjax/fid_inception.msgpack).")


def setup_config(name: str, dtype: str = "float32"):
  """The setup's config: pytorch/examples' VAE (784-400-20, Adam 1e-3) or DCGAN (nz=100,
  ngf=ndf=64, non-saturating loss, Adam 2e-4 b1=0.5), or `configs/wgan_gp_mnist10k.py` as
  shipped (width 32, 5 critic updates with the gradient penalty per step), at the setup's
  batch size."""
  batch = SETUPS[name][1]
  if name == "vae_mlp":
    config = default.get_config()  # Bernoulli, dynamic binarization, Adam(1e-3).
    config.model.encoder.hidden = config.model.decoder.hidden = (400,)
    config.model.latent_dim = 20
  elif name.startswith("wgan_gp"):
    config = wgan_gp_mnist10k.get_config()
  elif name == "seq_vae_moses_gpu":
    config = seq_vae_moses_gpu.get_config()
  elif name.startswith("seq_vae"):
    config = seq_vae_moses_cpu.get_config()  # GRU 128 -> z 64 -> GRU 256, Adam 1e-3, clip 50.
    if name.endswith("_buckets"):
      config.data.length_buckets = seq_vae_moses_30min.LENGTH_BUCKETS
  else:
    config = dcgan_digits.get_config()  # Non-saturating, Adam(2e-4, b1=0.5), values in [-1, 1].
    config.model.generator.width = config.model.discriminator.width = 64
    config.model.latent_dim = 100
    config.ema_decay = 0.0  # pytorch/examples keeps no EMA (the update still runs).
  config.batch_size, config.dtype = batch, dtype
  return config


def synthetic_arrays(image_shape, num: int, seed: int = 0) -> dict:
  """{'image': float32[num, H, W, C] uniform in [0, 1]}, what `data.load` would give; for a
  (T,) shape `synthetic_molecules`."""
  if len(image_shape) == 1 and image_shape[0] == MOSES_MAX_LENGTH + 2:
    tokens, length = synthetic_molecules(num, seed)
    return {"tokens": jnp.asarray(tokens), "length": jnp.asarray(length)}
  return {"image": jax.random.uniform(jax.random.PRNGKey(seed), (num,) + tuple(image_shape))}


def molecule_vocab() -> smiles.Vocab:
  return smiles.Vocab.from_chars(MOSES_CHARS)


def synthetic_molecules(num: int, seed: int = 0) -> tuple:
  """(tokens int32[num, 59], length int32[num]) as `smiles.load` encodes MOSES: BOS, n random
  characters of MOSES' vocabulary, EOS, PAD; n ~ Normal(35.9, 7) clipped to [10, 57] (MOSES'
  mean and longest). Random characters cost what real ones do: every step runs the GRUs over
  each row's length (PyTorch) or over all 59 positions (genjax)."""
  rng = np.random.default_rng(seed)
  vocab = molecule_vocab()
  n = np.clip(np.round(rng.normal(MOSES_MEAN_LENGTH, 7, num)), 10, MOSES_MAX_LENGTH).astype(int)
  tokens = np.full((num, MOSES_MAX_LENGTH + 2), vocab.pad, np.int32)
  tokens[:, 0] = vocab.bos
  body = rng.integers(0, len(MOSES_CHARS), (num, MOSES_MAX_LENGTH))
  cols = np.arange(MOSES_MAX_LENGTH)[None]
  tokens[:, 1:-1] = np.where(cols < n[:, None], body, vocab.pad)
  tokens[np.arange(num), n + 1] = vocab.eos
  return tokens, (n + 2).astype(np.int32)


def data_info(image_shape) -> families.DataInfo:
  if len(image_shape) == 1 and image_shape[0] == MOSES_MAX_LENGTH + 2:
    return families.DataInfo(image_shape, vocab=molecule_vocab().tokens)
  return families.DataInfo(image_shape)


def flops_of(compiled) -> float:
  """FLOPs XLA's cost analysis counts (a dict, a list of dicts or None): 0.0 if unknown."""
  cost = compiled.cost_analysis()
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else None
  return float((cost or {}).get("flops", 0.0))


def trips_counted(length: int) -> int:
  """How many of a `length`-step scan's iterations the cost analysis counts: XLA counts a
  while loop's body once (CPU today); a backend that knows trip counts may count all."""
  body = lambda x, _: (jnp.tanh(x @ x), None)
  cost = lambda n: flops_of(jax.jit(lambda x: jax.lax.scan(body, x, None, length=n)[0]).lower(
      jnp.ones((64, 64))).compile())
  return max(1, round(cost(length) / max(cost(1), 1.0)))


def peak_memory() -> str:
  """Device 0's peak bytes in use (GPU/TPU), else the process's peak host RSS, as text."""
  stats = jax.devices()[0].memory_stats() or {}
  if "peak_bytes_in_use" in stats:
    return f"{stats['peak_bytes_in_use'] / 2**30:.2f} GiB"
  return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB host RSS"


def compile_call(config, image_shape, arrays, length: int, feed: str = "device"):
  """The trainer's `length`-step call, compiled: (compiled, state, inputs, seconds to lower +
  compile, examples per train step). `inputs(step)` gives the call's input: a `DeviceFeed`'s
  on-device arrays and epoch order (feed 'device'), or the next batches of a `HostFeed` over
  `arrays` kept in host memory (feed 'host'); close it with `inputs.close()`."""
  family = families.build(config, data_info(image_shape))
  mesh = parallel.data_mesh()
  parallel.check_batch(config.batch_size, mesh)
  state = parallel.replicate(seeds_lib.init(family, config), mesh)
  sampling = train.arrays_sampling(family, config, arrays)
  if feed == "host":
    calls = ((i * length, length) for i in itertools.count())
    host = feed_lib.HostFeed(jax.device_get(arrays), sampling, None, jax.device_get(state.rng),
                             mesh, calls, config.data.prefetch)
    pending = {0: host.inputs(0, length)}  # Lowered with, then trained on.
    inputs = lambda step: pending.pop(step) if step in pending else host.inputs(step, length)
    inputs.close, example = host.close, pending[0]
  else:
    device = feed_lib.DeviceFeed(arrays, parallel.Placement(config, mesh), sampling,
                                 jax.device_get(state.rng))
    inputs = lambda step: device.inputs(step, length)
    inputs.close, example = device.close, inputs(0)
  jax.block_until_ready(state)
  start = time.perf_counter()
  compiled = train.make_multi_step(family, config, mesh, length, feed).lower(
      state, example).compile()
  return compiled, state, inputs, time.perf_counter() - start, family.examples_per_step


def measure(name: str, dtype: str = "float32", steps: int = 0, warmup_calls: int = 1,
            min_seconds: float = 3.0, num_examples: int = 60000, feed: str = "device") -> dict:
  """One row: images/s, FLOP/s, FLOPs per image, compile seconds and peak memory of setup
  `name` at `dtype`, `steps` train steps per compiled call (0: the setup's default), on
  `num_examples` synthetic images, on device or fed from the host (`feed`). Rates use the
  median timed call (calls run for at least `min_seconds`; with the host feed a call's time
  includes waiting for its batches, so it shows whether prefetching keeps up)."""
  image_shape, batch, cpu_steps, accel_steps = SETUPS[name]
  steps = steps or (cpu_steps if jax.default_backend() == "cpu" else accel_steps)
  config = setup_config(name, dtype)
  arrays = synthetic_arrays(image_shape, max(num_examples, batch))
  compiled, state, inputs, compile_s, per_step = compile_call(config, image_shape, arrays, steps,
                                                              feed)
  call_seconds, calls = [], 0
  try:
    for calls in range(1, warmup_calls + 1):
      state, _ = compiled(state, inputs((calls - 1) * steps))
    jax.block_until_ready(state)
    start = time.perf_counter()
    while not call_seconds or time.perf_counter() - start < min_seconds:
      call_start = time.perf_counter()
      state, metrics = jax.block_until_ready(compiled(state, inputs(calls * steps)))
      call_seconds.append(time.perf_counter() - call_start)
      calls += 1
  finally:
    inputs.close()
  if bool(jax.device_get(metrics["diverged"])):
    raise GenjaxError(f"{name} ({dtype}) diverged on the synthetic data: metrics {metrics}")
  seconds = float(np.median(call_seconds))  # Robust to other jobs sharing the machine.
  step_flops = flops_of(compiled) / trips_counted(steps)
  if name.startswith("seq_"):   # The GRUs' time loops are scans too, whose bodies XLA counts
    step_flops = float("nan")   # once (CPU): their FLOPs would be undercounted ~59x.
  return {"setup": name, "feed": feed, "dtype": dtype, "batch": batch, "steps": steps,
          "calls": len(call_seconds),
          "images_per_s": per_step * steps / seconds, "tflops": step_flops * steps / seconds / 1e12,
          "gflop_per_image": step_flops / per_step / 1e9, "compile_s": compile_s,
          "peak_memory": peak_memory()}


def shipped_compile_seconds(path: str) -> float:
  """Seconds to lower + compile the first train call of a shipped config, as the trainer does
  (data of its dataset's shape: digits 1,437 x 8x8x1, ring8 its mixture means)."""
  module, image_shape = SHIPPED[path]
  config = module.get_config()
  if config.data.name in toy2d.DEFAULTS:
    arrays = {"means": toy2d.means(config.data.name, config.data.radius, config.data.spacing)}
  else:
    arrays = synthetic_arrays(image_shape, 1437)
  compiled, _, inputs, seconds, _ = compile_call(config, image_shape, arrays, config.steps_per_call)
  inputs.close()
  return seconds


def median_chunk_seconds(step, chunk: int, min_seconds: float, sync=lambda: None) -> float:
  """Median seconds of `chunk` calls of `step()`, after one untimed chunk; chunks repeat for
  at least `min_seconds`. `sync()` waits for queued device work (CUDA) before each clock."""
  for _ in range(chunk):
    step()
  sync()
  chunk_seconds, start = [], time.perf_counter()
  while not chunk_seconds or time.perf_counter() - start < min_seconds:
    chunk_start = time.perf_counter()
    for _ in range(chunk):
      step()
    sync()
    chunk_seconds.append(time.perf_counter() - chunk_start)
  return float(np.median(chunk_seconds))


def torch_device(cpu_only: bool = False):
  """(device, sync, where): CUDA when PyTorch sees a GPU (and not `cpu_only`), else the CPU
  with one thread per CPU this process may run on."""
  import torch  # pylint: disable=g-import-not-at-top
  if torch.cuda.is_available() and not cpu_only:
    return torch.device("cuda"), torch.cuda.synchronize, torch.cuda.get_device_name()
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  return torch.device("cpu"), lambda: None, f"{torch.get_num_threads()} CPU threads"


def torch_dcgan64_images_per_s(batch: int = 128, chunk: int = 10, min_seconds: float = 3.0,
                               num_examples: int = 60000, amp: bool = False,
                               losses: list = None) -> float:
  """Images/s of pytorch/examples' DCGAN (64x64 RGB, nz=100, ngf=ndf=64, BCE on D's logits,
  Adam 2e-4 b1=0.5; one D and one G update per step) in eager PyTorch, on the GPU when there
  is one; `amp`: bf16 autocast and channels_last. Real images: a random batch of up to 4,096
  uniform [-1, 1] images held on the device. `losses` (tests): a list to append each step's
  D loss to (a sync per step: not for timing)."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  device, sync, _ = torch_device()
  torch.manual_seed(0)

  def block(conv, c_in, c_out, norm=True, act=None):
    layers = [conv(c_in, c_out, 4, 2, 1, bias=False)]
    return layers + ([nn.BatchNorm2d(c_out)] if norm else []) + [act or nn.ReLU(True)]

  up, down, leaky = nn.ConvTranspose2d, nn.Conv2d, nn.LeakyReLU(0.2, True)
  g = nn.Sequential(nn.ConvTranspose2d(100, 512, 4, 1, 0, bias=False), nn.BatchNorm2d(512),
                    nn.ReLU(True), *block(up, 512, 256), *block(up, 256, 128),
                    *block(up, 128, 64), nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())
  d = nn.Sequential(*block(down, 3, 64, norm=False, act=leaky), *block(down, 64, 128, act=leaky),
                    *block(down, 128, 256, act=leaky), *block(down, 256, 512, act=leaky),
                    nn.Conv2d(512, 1, 4, 1, 0, bias=False), nn.Flatten())
  layout = torch.channels_last if amp else torch.contiguous_format
  g, d = g.to(device, memory_format=layout), d.to(device, memory_format=layout)
  opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
  data = (torch.rand(min(num_examples, 4096), 3, 64, 64, device=device) * 2 - 1).contiguous(
      memory_format=layout)
  bce = nn.functional.binary_cross_entropy_with_logits
  ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)

  def step():
    with torch.autocast(device.type, torch.bfloat16, enabled=amp):
      real = data[torch.randint(0, len(data), (batch,), device=device)]
      fake = g(torch.randn(batch, 100, 1, 1, device=device))
      loss_d = bce(d(real).float(), ones) + bce(d(fake.detach()).float(), zeros)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    with torch.autocast(device.type, torch.bfloat16, enabled=amp):
      loss_g = bce(d(fake).float(), ones)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    if losses is not None:
      losses.append(loss_d.item())

  return batch * chunk / median_chunk_seconds(step, chunk, min_seconds, sync)


def torch_vae_images_per_s(batch: int = 128, chunk: int = 50, min_seconds: float = 3.0,
                           num_examples: int = 60000, losses: list = None) -> float:
  """Images/s of pytorch/examples' VAE (784-400-20, Adam 1e-3) in eager PyTorch (on the GPU
  when there is one, else one thread per CPU this process may run on): per step a batch of an
  epoch's shuffle, dynamically binarized, Bernoulli BCE-with-logits summed per image + KL,
  averaged over the batch. The median over `chunk`-step timings (after one untimed chunk).
  `losses` (tests): a list to append each step's loss to (a sync per step: not for timing)."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  device, sync, _ = torch_device()
  torch.manual_seed(0)
  encoder, mean, log_std = nn.Sequential(nn.Linear(784, 400), nn.ReLU()), nn.Linear(400, 20), nn.Linear(400, 20)
  decoder = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))
  for module in (encoder, mean, log_std, decoder):
    module.to(device)
  params = [p for m in (encoder, mean, log_std, decoder) for p in m.parameters()]
  opt = torch.optim.Adam(params, lr=1e-3)
  data = torch.rand(num_examples, 784, device=device)
  order, cursor = torch.randperm(num_examples, device=device), 0

  def step():
    nonlocal order, cursor
    if cursor + batch > num_examples:
      order, cursor = torch.randperm(num_examples, device=device), 0
    x = torch.bernoulli(data[order[cursor:cursor + batch]])
    cursor += batch
    h = encoder(x)
    mu, ls = mean(h), log_std(h)
    z = mu + ls.exp() * torch.randn_like(mu)
    rec = nn.functional.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").sum(1)
    kl = 0.5 * (mu**2 + (2 * ls).exp() - 1 - 2 * ls).sum(1)
    loss = (rec + kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if losses is not None:
      losses.append(loss.item())

  return batch * chunk / median_chunk_seconds(step, chunk, min_seconds, sync)


def torch_seq_vae_molecules_per_s(batch: int = 128, chunk: int = 20, min_seconds: float = 3.0,
                                  num_examples: int = 60000, losses: list = None) -> float:
  """Molecules/s of MOSES' VAE (moses/vae/model.py: embedding initialised one-hot, GRU
  encoder on packed sequences -> mean, log variance; z fed to every step of a GRU decoder
  started from a linear map of z; cross-entropy ignoring PAD + KL weight x KL; Adam, gradients
  clipped at 50) at configs/seq_vae_moses_cpu.py's sizes (encoder 128, latent 64, one decoder
  layer of 256, Adam 1e-3), in eager PyTorch on CPU, on `synthetic_molecules` in random batches
  sorted by length as MOSES' collate does; one thread per usable CPU. The median over
  `chunk`-step timings (after one untimed chunk). `losses` (tests): a list to append each
  step's loss to."""
  import torch  # pylint: disable=g-import-not-at-top
  from torch import nn  # pylint: disable=g-import-not-at-top
  torch_device(cpu_only=True)
  torch.manual_seed(0)
  vocab = molecule_vocab()
  size, pad = len(vocab.tokens), vocab.pad
  config = seq_vae_moses_cpu.get_config()
  enc_h, latent = config.model.encoder.hidden, config.model.latent_dim
  dec_h, layers = config.model.decoder.hidden, config.model.decoder.layers
  embed = nn.Embedding(size, size, padding_idx=pad)
  embed.weight.data.copy_(torch.eye(size))
  encoder = nn.GRU(size, enc_h, batch_first=True)
  q_mu, q_logvar = nn.Linear(enc_h, latent), nn.Linear(enc_h, latent)
  decoder_lat = nn.Linear(latent, dec_h)
  decoder = nn.GRU(size + latent, dec_h, num_layers=layers, batch_first=True)
  decoder_fc = nn.Linear(dec_h, size)
  modules = (embed, encoder, q_mu, q_logvar, decoder_lat, decoder, decoder_fc)
  params = [p for m in modules for p in m.parameters()]
  opt = torch.optim.Adam(params, lr=config.optim.learning_rate)
  tokens, length = synthetic_molecules(num_examples)
  rows = [torch.as_tensor(t[:n], dtype=torch.long) for t, n in zip(tokens, length)]
  gen = np.random.default_rng(1)

  def step():
    x = sorted((rows[i] for i in gen.integers(0, num_examples, batch)), key=len, reverse=True)
    lengths = [len(r) for r in x]
    _, h = encoder(nn.utils.rnn.pack_sequence([embed(r) for r in x]))
    mu, logvar = q_mu(h[-1]), q_logvar(h[-1])
    z = mu + (logvar / 2).exp() * torch.randn_like(mu)
    kl = 0.5 * (logvar.exp() + mu**2 - 1 - logvar).sum(1).mean()
    padded = nn.utils.rnn.pad_sequence(x, batch_first=True, padding_value=pad)
    emb = embed(padded)
    inputs = torch.cat([emb, z.unsqueeze(1).repeat(1, emb.size(1), 1)], -1)
    h0 = decoder_lat(z).unsqueeze(0).repeat(layers, 1, 1)
    out, _ = decoder(nn.utils.rnn.pack_padded_sequence(inputs, lengths, batch_first=True), h0)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    logits = decoder_fc(out)
    recon = nn.functional.cross_entropy(logits[:, :-1].reshape(-1, size), padded[:, 1:].reshape(-1),
                                        ignore_index=pad)
    loss = 0.05 * kl + recon
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(params, config.optim.grad_clip_norm)
    opt.step()
    if losses is not None:
      losses.append(loss.item())

  return batch * chunk / median_chunk_seconds(step, chunk, min_seconds)


def fid_seconds(num: int, weights: str, batch_size: int = 100) -> dict:
  """Seconds of FID on `num` random 28x28x1 images against a reference of as many: the
  Inception features (after one untimed compile batch), the statistics and the distance."""
  from genjax.metrics import frechet  # pylint: disable=g-import-not-at-top
  from genjax.feature_nets import inception  # pylint: disable=g-import-not-at-top
  features = inception.features_fn(weights or inception.DEFAULT_PATH, batch_size)
  rng = np.random.default_rng(0)
  images = rng.random((num, 28, 28, 1), dtype=np.float32)
  features(images[:batch_size])  # Compile.
  start = time.perf_counter()
  fake = features(images)
  timed = {"features": time.perf_counter() - start}
  start = time.perf_counter()
  stats = frechet.gaussian_stats(fake), frechet.gaussian_stats(fake[::-1] + 1e-3)
  frechet.frechet_distance(*stats[0], *stats[1])
  timed["frechet"] = time.perf_counter() - start
  return timed


def header() -> str:
  devices = jax.devices()
  return (f"Machine: {len(devices)} x {devices[0].device_kind} ({jax.default_backend()}),"
          f" {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable); jax {jax.__version__},"
          f" flax {flax.__version__}; {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")


def _or_na(value: float, spec: str) -> str:
  return "n/a" if value != value else format(value, spec)


def markdown(rows: list) -> str:
  """The rows (from `measure`) as a Markdown table."""
  lines = ["| setup | feed | dtype | batch | examples/s | TFLOP/s | GFLOP/example | compile s |"
           " peak memory |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
  for r in rows:
    lines.append(f"| {r['setup']} | {r['feed']} | {r['dtype']} | {r['batch']} |"
                 f" {r['images_per_s']:,.0f} |"
                 f" {_or_na(r['tflops'], '.3f')} | {_or_na(r['gflop_per_image'], '.4f')} |"
                 f" {r['compile_s']:.1f} |"
                 f" {r['peak_memory']} |")
  return "\n".join(lines)


def parse_choices(values, valid, flag: str) -> list:
  for value in values:
    if value not in valid:
      raise GenjaxError(f"unknown {flag} {value!r}: valid are {', '.join(valid)}")
  return list(dict.fromkeys(values))  # In order, once each.


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  try:
    cpu = jax.default_backend() == "cpu"
    names = parse_choices(_ONLY.value or (CPU_DEFAULT if cpu else SETUPS), SETUPS, "--only name")
    dtypes = parse_choices(_DTYPES.value, DTYPES, "--dtypes value")
    feeds = parse_choices(_FEEDS.value, FEEDS, "--feeds value")
    if _CRITIC_UNROLL.value < 1:
      raise GenjaxError(f"--critic_unroll={_CRITIC_UNROLL.value} must be >= 1")
    gan_family.CRITIC_UNROLL = _CRITIC_UNROLL.value
    if _STEPS.value < 0 or _WARMUP.value < 0 or _MIN_SECONDS.value < 0 or _EXAMPLES.value <= 0:
      raise GenjaxError("--steps, --warmup_calls, --min_seconds must be >= 0, --num_examples > 0")
    if _TORCH.value:
      try:
        import torch  # pylint: disable=g-import-not-at-top
      except ImportError:
        raise GenjaxError("--torch needs PyTorch, an optional extra of the benchmark: "
                          "pip install torch") from None
    notes = []
    if cpu and not _ONLY.value:
      notes.append(f"On CPU the default runs {', '.join(CPU_DEFAULT)}; name others with --only.")
    compiles = {path: shipped_compile_seconds(path) for path in SHIPPED}  # A fresh process first.
    dtypes.sort(key=("bfloat16", "float32").index)  # Smaller peak first: peaks are high-water marks.
    rows = [measure(name, dtype, _STEPS.value, _WARMUP.value, _MIN_SECONDS.value, _EXAMPLES.value,
                    feed) for name in names for dtype in dtypes for feed in feeds]
  except GenjaxError as e:
    cli.fail(e)
  report = [header(), "", markdown(rows), "",
            f"{_EXAMPLES.value} synthetic training examples; examples/s from the median timed call of"
            " (steps per call): " + ", ".join(f"{r['setup']} {r['dtype']} {r['calls']} x {r['steps']}"
                                              for r in rows) + "."]
  amp = lambda *a, **k: torch_dcgan64_images_per_s(*a, amp=True, **k)
  # (setup, its PyTorch reference's rate, what it is, unit, genjax dtype, CPU only)
  references = (
      ("seq_vae_moses_cpu", torch_seq_vae_molecules_per_s, "eager MOSES VAE at"
       " seq_vae_moses_cpu's sizes (batch 128, packed sequences", "molecules/s", "float32", True),
      ("vae_mlp", torch_vae_images_per_s, "eager MLP VAE (batch 128, float32", "img/s", "float32",
       False),
      ("dcgan64_b128", torch_dcgan64_images_per_s, "eager DCGAN-64 (batch 128, float32", "img/s",
       "float32", False),
      ("dcgan64_b512", torch_dcgan64_images_per_s, "eager DCGAN-64 (batch 512, float32", "img/s",
       "float32", False),
      ("dcgan64_b512", amp, "eager DCGAN-64 (batch 512, bf16 autocast, channels_last", "img/s",
       "bfloat16", False))
  for setup, rate, what, unit, dtype, cpu_only in references:
    variants = [n for n in names if n == setup or n.startswith(setup + "_")]
    if not _TORCH.value or not variants:
      continue
    reference = rate(SETUPS[setup][1], min_seconds=_MIN_SECONDS.value, num_examples=_EXAMPLES.value)
    mine = [f"{r['images_per_s'] / reference:.2f}x" + (f" ({r['setup']})" if len(variants) > 1 else "")
            for r in rows if r["setup"] in variants and (r["dtype"], r["feed"]) == (dtype, "device")]
    ratio = ", ".join(mine) or f"n/a (no {setup} {dtype} device row)"
    report.append(f"PyTorch {torch.__version__} {what}, {torch_device(cpu_only)[2]}):"
                  f" {reference:,.0f} {unit}; genjax {dtype}/PyTorch: {ratio}.")
  if _FID.value:
    timed = fid_seconds(_FID.value, _FID_WEIGHTS.value)
    report.append(f"FID on {_FID.value:,} samples (28x28, resized to 299; reference features"
                  f" cached): Inception features {timed['features']:.1f} s"
                  f" ({_FID.value / timed['features']:,.1f} img/s, batch 100), statistics and"
                  f" Frechet distance {timed['frechet']:.1f} s,"
                  f" {timed['features'] + timed['frechet']:.1f} s in all.")
  report.append("Compile time of the first train call: " + ", ".join(
      f"{path} {seconds:.1f} s" for path, seconds in compiles.items()) + ".")
  report += notes
  text = "\n".join(report) + "\n"
  print(text, end="")
  if _OUT.value:
    with open(_OUT.value, "w") as f:
      f.write(text)


if __name__ == "__main__":
  cli.run(main)
