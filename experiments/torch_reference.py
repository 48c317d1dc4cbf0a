"""pytorch/examples' DCGAN sized for 28x28x1 images, the reference the image GANs are measured
against (`experiments.torch_dcgan` is its main). Needs torch (the `fid` extra); defines no flags,
so tests and studies may import it beside any main.

G ConvT(nz, 4 ngf, 7) -> ConvT(2 ngf, 4, s2) -> ConvT(1, 4, s2) + tanh; D Conv(ndf, 4, s2) ->
Conv(2 ndf, 4, s2) -> Conv(1, 7), batch norm in G and in D after its first conv, BCE,
Adam(2e-4, b1=0.5), batch 64, reshuffled epochs.
"""
import os
import time

import numpy as np


def networks(nz: int = 100, ngf: int = 64, ndf: int = 64):
  from torch import nn  # pylint: disable=g-import-not-at-top
  g = nn.Sequential(
      nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
      nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2),
      nn.ReLU(True), nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())
  d = nn.Sequential(
      nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
      nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
      nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False), nn.Sigmoid())

  def init(m):  # pytorch/examples' weights_init.
    if "Conv" in type(m).__name__:
      nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in type(m).__name__:
      nn.init.normal_(m.weight, 1.0, 0.02)
      nn.init.zeros_(m.bias)
  return g.apply(init), d.apply(init)


def train(images01_NxHxWx1, out: str, epochs: int, num: int, snapshot_every_s: float,
          seed: int = 0, batch: int = 64, nz: int = 100, log=print) -> list:
  """Trains the reference DCGAN; returns [(seconds, samples file)] of its snapshots."""
  import torch  # pylint: disable=g-import-not-at-top
  torch.manual_seed(seed)
  torch.set_num_threads(len(os.sched_getaffinity(0)))
  g, d = networks(nz)
  opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
  opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
  bce = torch.nn.BCELoss()
  data = torch.from_numpy(np.asarray(images01_NxHxWx1, np.float32)).permute(0, 3, 1, 2) * 2 - 1
  fixed = torch.randn(num, nz, 1, 1, generator=torch.Generator().manual_seed(seed + 1))
  os.makedirs(out, exist_ok=True)
  snapshots, trained_s, next_snapshot = [], 0.0, snapshot_every_s

  def snapshot():
    g.eval()
    with torch.no_grad():
      x = (g(fixed).permute(0, 2, 3, 1).numpy() + 1) / 2
    g.train()
    path = os.path.join(out, f"samples_{trained_s:.0f}s.npy")
    np.save(path, np.clip(x, 0, 1))
    snapshots.append((trained_s, path))

  for epoch in range(epochs):
    start = time.time()
    for idx in torch.randperm(len(data)).split(batch):
      real = data[idx]
      fake = g(torch.randn(len(idx), nz, 1, 1))
      opt_d.zero_grad()
      d_loss = (bce(d(real).view(-1), torch.ones(len(idx)))
                + bce(d(fake.detach()).view(-1), torch.zeros(len(idx))))
      d_loss.backward()
      opt_d.step()
      opt_g.zero_grad()
      g_loss = bce(d(fake).view(-1), torch.ones(len(idx)))
      g_loss.backward()
      opt_g.step()
      if trained_s + time.time() - start >= next_snapshot:
        trained_s += time.time() - start
        snapshot()
        start, next_snapshot = time.time(), next_snapshot + snapshot_every_s
    trained_s += time.time() - start
    log(f"epoch {epoch + 1}/{epochs}: {trained_s:.0f} s training, d_loss {d_loss.item():.3f}"
        f" g_loss {g_loss.item():.3f}")
  snapshot()
  return snapshots
