"""Sequence networks: a GRU encoder (optionally bidirectional; or a small transformer) to a
diagonal Gaussian, and an autoregressive GRU decoder conditioned on z, as in the MOSES VAE
(Polykovskiy et al. 2020).

Tokens are int32 [B, T] (BOS chars EOS PAD...), `length_B` the tokens before the padding.
The GRU is PyTorch's (r, z, n gates; n = tanh(W_n x + b_in + r * (U_n h + b_hn))). Its input
projections of all T steps are one matmul before the `lax.scan` over time, which then holds
only the recurrent matmul: on CPU most of a step's time.
"""
import flax.linen as nn
import jax
import jax.numpy as jnp


def gru_cell(xi_Bx3H, h_BxH, u_Hx3H, b_3H):
  """One GRU update from the input's projection `xi_Bx3H` (W x + b_i) and the state."""
  hh = h_BxH @ u_Hx3H + b_3H
  xr, xz, xn = jnp.split(xi_Bx3H, 3, axis=-1)
  hr, hz, hn = jnp.split(hh, 3, axis=-1)
  r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
  n = jnp.tanh(xn + r * hn)
  return (1.0 - z) * n + z * h_BxH


class GRU(nn.Module):
  """One GRU layer over time. `__call__(x_BxTxD, h_BxH, length_B=None)` -> (outputs_BxTxH,
  final h_BxH); with `length_B` the state stops changing after each row's last step, so the
  final h is that of step length - 1. `step(x_BxD, h_BxH)` -> h_BxH is one step."""
  hidden: int

  def setup(self):
    self.input = nn.Dense(3 * self.hidden, name="input")
    self.u = self.param("recurrent", nn.initializers.orthogonal(), (self.hidden, 3 * self.hidden))
    self.b = self.param("recurrent_bias", nn.initializers.zeros, (3 * self.hidden,))

  def __call__(self, x_BxTxD, h_BxH, length_B=None):
    xi_TxBx3H = jnp.swapaxes(self.input(x_BxTxD), 0, 1)
    u, b = self.u.astype(h_BxH.dtype), self.b.astype(h_BxH.dtype)

    def body(h, inputs):
      t, xi = inputs
      new = gru_cell(xi, h, u, b)
      if length_B is not None:
        new = jnp.where((t < length_B)[:, None], new, h)
      return new, new

    steps = jnp.arange(xi_TxBx3H.shape[0])
    h, out_TxBxH = jax.lax.scan(body, h_BxH, (steps, xi_TxBx3H))
    return jnp.swapaxes(out_TxBxH, 0, 1), h

  def step(self, x_BxD, h_BxH):
    return gru_cell(self.input(x_BxD), h_BxH, self.u.astype(h_BxH.dtype),
                    self.b.astype(h_BxH.dtype))


def reverse_within(x_BxTxD, length_B):
  """Each row's first length steps reversed (the padding stays at the end)."""
  t = jnp.arange(x_BxTxD.shape[1])
  idx = jnp.where(t[None] < length_B[:, None], length_B[:, None] - 1 - t[None], t[None])
  return jnp.take_along_axis(x_BxTxD, idx[..., None], axis=1)


class Encoder(nn.Module):
  """tokens -> (mean_BxZ, log_std_BxZ) from the GRU's final state(s) at each row's length."""
  hidden: int
  latent_dim: int
  bidirectional: bool = False

  @nn.compact
  def __call__(self, emb_BxTxE, length_B):
    h0 = jnp.zeros((emb_BxTxE.shape[0], self.hidden), emb_BxTxE.dtype)
    _, h = GRU(self.hidden, name="forward")(emb_BxTxE, h0, length_B)
    if self.bidirectional:
      _, back = GRU(self.hidden, name="backward")(reverse_within(emb_BxTxE, length_B), h0, length_B)
      h = jnp.concatenate([h, back], -1)
    # MOSES predicts log variance; log_std = log_var / 2 is the same layer, scaled.
    return nn.Dense(self.latent_dim, name="mean")(h), nn.Dense(self.latent_dim, name="log_std")(h)


def sinusoidal_positions(num: int, width: int):
  """float32 [num, width] sine/cosine position codes (Vaswani et al. 2017)."""
  pos = jnp.arange(num, dtype=jnp.float32)[:, None]
  freq = jnp.exp(-jnp.log(10_000.0) * jnp.arange(0, width, 2, dtype=jnp.float32) / width)
  codes = jnp.zeros((num, width), jnp.float32)
  codes = codes.at[:, 0::2].set(jnp.sin(pos * freq))
  return codes.at[:, 1::2].set(jnp.cos(pos * freq[:width // 2]))


class TransformerEncoder(nn.Module):
  """tokens -> (mean_BxZ, log_std_BxZ): `layers` pre-LayerNorm blocks of `heads`-head
  self-attention and a GELU MLP (4 x `hidden`) at width `hidden`, sine positions, keys past
  each row's length masked; then the mean over the row's first `length` positions."""
  hidden: int
  latent_dim: int
  layers: int = 2
  heads: int = 4

  @nn.compact
  def __call__(self, emb_BxTxE, length_B):
    num = emb_BxTxE.shape[1]
    x = nn.Dense(self.hidden, name="input")(emb_BxTxE)
    x = x + sinusoidal_positions(num, self.hidden).astype(x.dtype)
    valid_BxT = jnp.arange(num)[None] < length_B[:, None]
    mask = nn.make_attention_mask(valid_BxT, valid_BxT)
    for i in range(self.layers):
      h = nn.LayerNorm(name=f"ln_attn_{i}")(x)
      x = x + nn.MultiHeadDotProductAttention(self.heads, name=f"attn_{i}")(h, h, mask=mask)
      h = nn.LayerNorm(name=f"ln_mlp_{i}")(x)
      h = nn.Dense(4 * self.hidden, name=f"mlp_in_{i}")(h)
      x = x + nn.Dense(self.hidden, name=f"mlp_out_{i}")(nn.gelu(h))
    x = nn.LayerNorm(name="ln_out")(x)
    weights_BxT = valid_BxT.astype(x.dtype) / jnp.maximum(length_B, 1)[:, None].astype(x.dtype)
    h = jnp.einsum("bt,btd->bd", weights_BxT, x)
    return nn.Dense(self.latent_dim, name="mean")(h), nn.Dense(self.latent_dim, name="log_std")(h)


class Decoder(nn.Module):
  """p(x | z): a stack of GRUs whose every step reads the previous token's embedding and z,
  started from a linear map of z (the same for every layer, as MOSES)."""
  hidden: int
  layers: int
  vocab_size: int

  def setup(self):
    self.init_state = nn.Dense(self.hidden, name="latent")
    self.grus = [GRU(self.hidden, name=f"gru_{i}") for i in range(self.layers)]
    self.out = nn.Dense(self.vocab_size, name="logits")

  def initial(self, z_BxZ):
    """The GRU states before the first token: [layers, B, H]."""
    h = self.init_state(z_BxZ)
    return jnp.broadcast_to(h, (self.layers,) + h.shape)

  def __call__(self, z_BxZ, emb_BxTxE):
    """Teacher-forced logits_BxTxV: position t predicts token t + 1 from tokens 0..t."""
    zs = jnp.broadcast_to(z_BxZ[:, None], emb_BxTxE.shape[:2] + z_BxZ.shape[-1:])
    x = jnp.concatenate([emb_BxTxE, zs], -1)
    for gru, h in zip(self.grus, self.initial(z_BxZ)):
      x, _ = gru(x, h)
    return self.out(x)

  def step(self, z_BxZ, h_LxBxH, emb_BxE):
    """One step: (new states, logits_BxV of the next token)."""
    x, states = jnp.concatenate([emb_BxE, z_BxZ], -1), []
    for gru, h in zip(self.grus, h_LxBxH):
      x = gru.step(x, h)
      states.append(x)
    return jnp.stack(states), self.out(x)


class SeqVAE(nn.Module):
  """The encoder and decoder with one token embedding (shared, as MOSES')."""
  vocab_size: int
  embed_dim: int
  latent_dim: int
  encoder_hidden: int
  bidirectional: bool
  decoder_hidden: int
  decoder_layers: int
  encoder_type: str = "gru"
  encoder_layers: int = 2
  encoder_heads: int = 4

  def setup(self):
    self.embed = nn.Embed(self.vocab_size, self.embed_dim, name="embed")
    if self.encoder_type == "transformer":
      self.encoder = TransformerEncoder(self.encoder_hidden, self.latent_dim, self.encoder_layers,
                                        self.encoder_heads)
    else:
      self.encoder = Encoder(self.encoder_hidden, self.latent_dim, self.bidirectional)
    self.decoder = Decoder(self.decoder_hidden, self.decoder_layers, self.vocab_size)

  def __call__(self, tokens_BxT, length_B, z_BxZ):  # For init: every parameter.
    return self.encode(tokens_BxT, length_B), self.decode(z_BxZ, tokens_BxT)

  def encode(self, tokens_BxT, length_B):
    return self.encoder(self.embed(tokens_BxT), length_B)

  def decode(self, z_BxZ, tokens_BxT):
    """Teacher-forced logits_BxTxV (position t: the distribution of token t + 1)."""
    return self.decoder(z_BxZ, self.embed(tokens_BxT))

  def initial(self, z_BxZ):
    return self.decoder.initial(z_BxZ)

  def step(self, z_BxZ, h_LxBxH, token_B):
    return self.decoder.step(z_BxZ, h_LxBxH, self.embed(token_B))


def build(cfg, vocab_size: int) -> SeqVAE:
  """The SeqVAE of a `seq_vae` config's model section."""
  enc = cfg.encoder
  return SeqVAE(vocab_size, cfg.embed_dim or vocab_size, cfg.latent_dim, enc.hidden,
                enc.bidirectional, cfg.decoder.hidden, cfg.decoder.layers,
                enc.get("type", "gru"), enc.get("layers", 2), enc.get("heads", 4))


ENCODERS = ("gru", "transformer")


def problems(cfg) -> list:
  """One line per bad value of a seq_vae model section."""
  found = []
  for name, value in (("latent_dim", cfg.latent_dim), ("encoder.hidden", cfg.encoder.hidden),
                      ("decoder.hidden", cfg.decoder.hidden), ("decoder.layers", cfg.decoder.layers)):
    if not isinstance(value, int) or value <= 0:
      found.append(f"model.{name}={value!r} must be a positive integer")
  if not isinstance(cfg.embed_dim, int) or cfg.embed_dim < 0:
    found.append(f"model.embed_dim={cfg.embed_dim!r} must be a non-negative integer (0: the"
                 " vocabulary size)")
  enc = cfg.encoder
  if not isinstance(enc.bidirectional, bool):
    found.append(f"model.encoder.bidirectional={enc.bidirectional!r} must be True or False")
  kind = enc.get("type", "gru")
  if kind not in ENCODERS:
    found.append(f"model.encoder.type={kind!r}: valid are {ENCODERS}")
  elif kind == "transformer":
    layers, heads = enc.get("layers", 2), enc.get("heads", 4)
    for name, value in (("layers", layers), ("heads", heads)):
      if not isinstance(value, int) or value <= 0:
        found.append(f"model.encoder.{name}={value!r} must be a positive integer")
    if enc.bidirectional:
      found.append("model.encoder.bidirectional=True is for the GRU encoder: a transformer"
                   " reads both ways already (set it False)")
    if isinstance(heads, int) and heads > 0 and isinstance(enc.hidden, int) and enc.hidden % heads:
      found.append(f"model.encoder.hidden={enc.hidden} must be a multiple of"
                   f" model.encoder.heads={heads}")
  return found

