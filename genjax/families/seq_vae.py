"""The sequence VAE of MOSES (Gomez-Bombarelli et al. 2018; Polykovskiy et al. 2020): a GRU
encoder to q(z|x), an autoregressive GRU decoder p(x|z) over SMILES characters, trained on
batches {'tokens': int32[B, T], 'length': int32[B]} (`genjax.data.smiles`).

Objective (MOSES' VAE trainer): reconstruction in nats per token (the mean over every non-pad
target token of the global batch) + kl_weight * KL (nats per molecule, batch mean), with
kl_weight annealed linearly from loss.seq_vae.kl_start to kl_end over kl_anneal_steps train
steps (0: num_steps). Keys: the step's `rng` gives 'reparam'; sampling takes 'prior' and
'tokens' from its key.
"""
import jax
import jax.numpy as jnp

from genjax import losses
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.data import smiles
from genjax.families import common
from genjax.families.contract import DataInfo, Family, State
from genjax.models import seq

NET = "seq_vae"
OBJECTIVE = schema.leaves("kl_start", "kl_end", "kl_anneal_steps")  # config.loss.seq_vae
SPEC = {
    "model": {**schema.leaves("name", "latent_dim", "embed_dim"),
              "encoder": schema.leaves("hidden", "bidirectional"),
              "decoder": schema.leaves("hidden", "layers")},
    "loss": {"seq_vae": OBJECTIVE},
    "optim": {NET: schema.optim_overrides()},
}


def objective_problems(cfg) -> list:
  found = [f"loss.seq_vae.{k}={cfg[k]!r} must be a non-negative number"
           for k in ("kl_start", "kl_end") if not isinstance(cfg[k], (int, float)) or cfg[k] < 0]
  if not isinstance(cfg.kl_anneal_steps, int) or cfg.kl_anneal_steps < 0:
    found.append(f"loss.seq_vae.kl_anneal_steps={cfg.kl_anneal_steps!r} must be a non-negative"
                 " integer (0: num_steps)")
  return found


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a seq_vae config, one line each; the data check only with `data_info`."""
  schema.check(config, SPEC)
  found = seq.problems(config.model) + objective_problems(config.loss.seq_vae)
  if data_info is not None and not data_info.is_sequence:
    found.append(f"model.name='seq_vae' needs token sequences: data.name='smiles' (got"
                 f" data.name={config.data.name!r})")
  schema.raise_if(found + optim.problems(config.optim, (NET,)))


def kl_weight(step, cfg, num_steps: int):
  """The KL weight of train step `step`: linear from kl_start to kl_end, then kl_end."""
  span = cfg.kl_anneal_steps or num_steps
  frac = jnp.clip(jnp.asarray(step, jnp.float32) / span, 0.0, 1.0)
  return cfg.kl_start + (cfg.kl_end - cfg.kl_start) * frac


def next_token_log_probs(logits_xV, vocab: smiles.Vocab):
  """log p of every next token: BOS and PAD, never a target, get none of the mass (else a
  sample could hold them mid-molecule)."""
  never = jnp.zeros(logits_xV.shape[-1], bool).at[jnp.array([vocab.bos, vocab.pad])].set(True)
  return jax.nn.log_softmax(jnp.where(never, -1e9, logits_xV))


def token_log_probs(logits_BxTxV, tokens_BxT, length_B, vocab: smiles.Vocab):
  """(log p of each target token float[B, T-1], mask float[B, T-1]): position t scores
  token t + 1; the mask keeps targets before each row's padding (EOS included)."""
  targets = tokens_BxT[:, 1:]
  logp = next_token_log_probs(logits_BxTxV, vocab)
  logp = jnp.take_along_axis(logp, targets[..., None], -1)[..., 0]
  mask = (jnp.arange(1, tokens_BxT.shape[1])[None] < length_B[:, None]).astype(jnp.float32)
  return logp * mask, mask


def build(config, data_info: DataInfo) -> Family:
  """The seq_vae family of `config` for token sequences of `data_info` (shape (T,), vocab)."""
  check(config, data_info)
  vocab = smiles.Vocab(data_info.vocab)
  model = seq.build(config.model, len(vocab))
  rt = common.Runtime.of(config)
  opt = optim.make(config.optim, config.num_steps, NET)
  loss_cfg, latent_dim = config.loss.seq_vae, config.model.latent_dim
  (num_tokens,) = data_info.shape

  def apply(params, *args, method):
    return common.run(model, rt, {"params": params}, *args, method=method)

  def log_px(params, tokens, length, z):
    """(log p(x|z) float[B] in nats, target tokens per row float[B]), teacher-forced."""
    logits = apply(params, z, tokens[:, :-1], method="decode")
    logp, mask = token_log_probs(logits, tokens, length, vocab)
    return logp.sum(-1), mask.sum(-1)

  def init_state(seed: int) -> State:
    root = jax.random.PRNGKey(seed)
    tokens = jnp.full((1, num_tokens), vocab.pad, jnp.int32)
    z = jnp.zeros((1, latent_dim), jnp.float32)
    net = common.init_net(model, rng_lib.purpose_key(root, "init"), opt, tokens,
                          jnp.ones((1,), jnp.int32), z)
    return State(jnp.zeros((), jnp.int32), root, {NET: net}, {})

  def train_step(state: State, batch, rng):
    key = rng_lib.purpose_key(rng, "reparam")
    tokens, length = batch["tokens"], batch["length"]
    weight = kl_weight(state.step, loss_cfg, config.num_steps)
    net = state.nets[NET]

    def loss_fn(params):
      mean, log_std = apply(params, tokens, length, method="encode")
      z = mean + jnp.exp(log_std) * rt.draw(jax.random.normal, key, mean.shape)
      log_px_B, count_B = log_px(params, tokens, length, z)
      # Per token over the global batch: the devices' sums over their mean token count, so
      # that pmap's gradient mean is the global one.
      recon = -jnp.sum(log_px_B) / rt.mean(jnp.sum(count_B))
      kl = jnp.mean(losses.kl_diag_gaussian_standard_normal(mean, log_std))
      loss = recon + weight * kl
      return loss, {"loss": loss, "reconstruction": recon, "kl": kl,
                    "reconstruction_mol": -jnp.mean(log_px_B), "kl_weight": weight}

    grads, metrics = jax.grad(loss_fn, has_aux=True)(net.params)
    net = common.apply_gradients(net, opt, grads, state.step, rt)
    return state.replace(step=state.step + 1, nets={NET: net}), rt.mean(metrics)

  outside = common.Runtime(rt.dtype)  # Predict functions run outside the step: no pmap axis.

  def run_outside(params, *args, method):
    return common.run(model, outside, {"params": params}, *args, method=method)

  def prior(key, num: int):
    return jax.random.normal(rng_lib.purpose_key(key, "prior"), (num, latent_dim))

  def generate(state, z_NxZ, key, temperature: float = 1.0):
    """Tokens drawn one by one given z: {'tokens': int32[N, T] (BOS first; PAD after the
    first EOS), 'length': int32[N] (T when no EOS came), 'log_prob': float[N], nats of the
    drawn tokens under the tempered distribution}. temperature 0: the most likely token."""
    params, num = state.nets[NET].params, z_NxZ.shape[0]

    def body(carry, t):
      h, token, done, log_prob = carry
      h, logits = run_outside(params, z_NxZ, h, token, method="step")
      logp = next_token_log_probs(logits / max(temperature, 1e-6), vocab)
      if temperature > 0:
        new = jax.random.categorical(jax.random.fold_in(key, t), logp)
      else:
        new = jnp.argmax(logp, -1)
      new_logp = jnp.take_along_axis(logp, new[:, None], -1)[:, 0]
      log_prob = log_prob + jnp.where(done, 0.0, new_logp)
      new = jnp.where(done, vocab.pad, new).astype(jnp.int32)
      return (h, new, done | (new == vocab.eos), log_prob), new

    h = run_outside(params, z_NxZ, method="initial")
    start = (h, jnp.full((num,), vocab.bos, jnp.int32), jnp.zeros((num,), bool),
             jnp.zeros((num,), jnp.float32))
    (_, _, done, log_prob), drawn_TxN = jax.lax.scan(body, start, jnp.arange(1, num_tokens))
    tokens = jnp.concatenate([start[1][:, None], drawn_TxN.T], 1)
    length = jnp.where(done, jnp.argmax(tokens == vocab.eos, 1) + 1, num_tokens)
    return {"tokens": tokens, "length": length.astype(jnp.int32), "log_prob": log_prob}

  def sample(state, key, num: int, temperature: float = 1.0):
    """`num` molecules from the prior: int32[num, T] token rows (`smiles` decodes them)."""
    z = prior(key, num)
    return generate(state, z, rng_lib.purpose_key(key, "tokens"), temperature)["tokens"]

  def encode(state, tokens_BxT, length_B):
    return run_outside(state.nets[NET].params, tokens_BxT, length_B, method="encode")

  def log_likelihood(state, tokens_BxT, length_B, z_BxZ):
    """Teacher-forced log p(x|z), nats per molecule float[B]."""
    return log_px(state.nets[NET].params, tokens_BxT, length_B, z_BxZ)[0]

  def neg_elbo(state, tokens_BxT, length_B, key):
    """-ELBO with one posterior draw, nats per molecule float[B]."""
    mean, log_std = encode(state, tokens_BxT, length_B)
    z = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return (losses.kl_diag_gaussian_standard_normal(mean, log_std)
            - log_likelihood(state, tokens_BxT, length_B, z))

  def reconstruct(state, tokens_BxT, length_B):
    """The most likely tokens, step by step, from the posterior mean: int32[B, T]."""
    mean, _ = encode(state, tokens_BxT, length_B)
    return generate(state, mean, jax.random.PRNGKey(0), 0.0)["tokens"]

  predict = {"sample": sample, "prior": prior, "generate": generate, "encode": encode,
             "log_likelihood": log_likelihood, "neg_elbo": neg_elbo,
             "reconstruct": reconstruct, "smiles": vocab.decode}
  return Family(NET, init_state, train_step, predict, config.batch_size, data_info)
