"""The sequence VAE of MOSES (Gomez-Bombarelli et al. 2018; Polykovskiy et al. 2020): a GRU
encoder to q(z|x), an autoregressive GRU decoder p(x|z) over SMILES characters, trained on
batches {'tokens': int32[B, T], 'length': int32[B]} (`genjax.data.smiles`).

Objective (MOSES' VAE trainer): reconstruction in nats per token (the mean over every non-pad
target token of the global batch) + kl_weight * KL (nats per molecule, batch mean), with
kl_weight annealed linearly from loss.seq_vae.kl_start to kl_end over kl_anneal_steps train
steps (0: num_steps). Keys: the step's `rng` gives 'reparam'; sampling takes 'prior' and
'tokens' from its key. With data.length_buckets (batches grouped by length,
`genjax.data.pipeline.group_by_length`) a step runs at the smallest width holding its longest
row (`at_smallest_width`): the same loss and update, less padding.

Adversarial fusion (the AAE of Makhzani et al. 2016, MOSES' `aae` row): with
loss.seq_vae.adversarial = w > 0, an MLP discriminator D on the latent space
(model.latent_discriminator.hidden, its own optimizer net 'latent_disc') learns to tell prior
draws z ~ N(0, I) (label 1) from the batch's codes (label 0), and the encoder adds
w * softplus(-D(z)) (non-saturating; batch mean) to its loss: the codes' distribution is pushed
onto the prior, which sampling decodes. The codes are the posterior means, as MOSES' AAE's
deterministic encoder (with posterior draws, noise alone could satisfy D while the decoder
learns to ignore z); a KL weight, if any, still applies to q(z|x) (without one, no `kl` is
logged: its q(z|x) scale would be an untrained output). D's loss is the mean of
its two cross-entropies (as MOSES'). MOSES alternates autoencoder and discriminator batches;
here both nets update in every step from the same draws (D on the codes before the encoder's
update), which is a simultaneous GAN step. loss.seq_vae.adversarial_start steps of
autoencoder pretraining come first (MOSES: 2 epochs), with D frozen. The step's `rng` also
gives 'prior'.
"""
import dataclasses
import functools
from typing import Any, Tuple

import jax
import jax.numpy as jnp

from genjax import losses
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.defaults import seq_vae as defaults
from genjax.data import pipeline
from genjax.data import smiles
from genjax.families import common
from genjax.families.contract import DataInfo, Family, State
from genjax.models import gan as gan_models
from genjax.models import seq

NET, DISC = "seq_vae", "latent_disc"
# Fields configs written before the adversarial autoencoder and the transformer encoder lack
# (read as: no adversarial term, a GRU encoder).
OLDER_CONFIGS_LACK = ("loss.seq_vae.adversarial", "loss.seq_vae.adversarial_start",
                      "loss.seq_vae.adversarial_ramp", "model.encoder.type",
                      "model.encoder.layers", "model.encoder.heads", "model.latent_discriminator")


def spec_of(config) -> dict:
  """The fields a seq_vae config may have (genjax/defaults/seq_vae.py)."""
  del config
  return schema.derive(defaults.get_config(), maybe=OLDER_CONFIGS_LACK)


def adversarial_weight(config) -> float:
  return config.loss.seq_vae.get("adversarial", 0.0)


def objective_problems(cfg) -> list:
  found = [f"loss.seq_vae.{k}={cfg.get(k, 0.0)!r} must be a non-negative number"
           for k in ("kl_start", "kl_end", "adversarial")
           if not isinstance(cfg.get(k, 0.0), (int, float)) or cfg.get(k, 0.0) < 0]
  for k in ("kl_anneal_steps", "adversarial_start", "adversarial_ramp"):
    if not isinstance(cfg.get(k, 0), int) or cfg.get(k, 0) < 0:
      found.append(f"loss.seq_vae.{k}={cfg.get(k)!r} must be a non-negative integer"
                   + (" (0: num_steps)" if k == "kl_anneal_steps" else ""))
  return found


def discriminator_problems(config) -> list:
  """The discriminator an adversarial weight > 0 needs (a bad weight is objective_problems')."""
  weight = adversarial_weight(config)
  if not isinstance(weight, (int, float)) or weight <= 0:
    return []
  hidden = config.model.get("latent_discriminator", {}).get("hidden")
  if (not isinstance(hidden, (tuple, list)) or not hidden
      or not all(isinstance(h, int) and h > 0 for h in hidden)):
    return [f"loss.seq_vae.adversarial={weight} needs"
            f" model.latent_discriminator.hidden, a tuple of positive widths (got {hidden!r};"
            " configs/seq_aae_moses_cpu.py has one)"]
  return []


def check(config, data_info: DataInfo = None) -> None:
  """Every problem of a seq_vae config, one line each; the data check only with `data_info`."""
  found = (seq.problems(config.model) + objective_problems(config.loss.seq_vae)
           + discriminator_problems(config))
  if data_info is not None and not data_info.is_sequence:
    found.append(f"model.name='seq_vae' needs token sequences: data.name='smiles' (got"
                 f" data.name={config.data.name!r})")
  nets = (NET, DISC) if adversarial_weight(config) else (NET,)
  schema.raise_if(found + optim.problems(config.optim, nets))


def adversarial_ramp(step, cfg):
  """The fraction of loss.seq_vae.adversarial the encoder feels at train step `step`: 0 before
  adversarial_start, then linear to 1 over adversarial_ramp steps (0: at once)."""
  start, ramp = cfg.get("adversarial_start", 0), cfg.get("adversarial_ramp", 0)
  since = jnp.asarray(step, jnp.float32) - start
  return jnp.where(since < 0, 0.0, jnp.clip((since + 1) / max(ramp, 1), 0.0, 1.0))


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


def step_widths(config, num_tokens: int) -> tuple:
  """The token widths a train step may run at: data.length_buckets below T, then T. One
  width (T) with num_seeds > 1: vmapped over replicas, `lax.switch` would run every width."""
  if config.get("num_seeds", 1) > 1:
    return (num_tokens,)
  buckets = pipeline.length_buckets(config.data)
  return tuple(w for w in buckets if w < num_tokens) + (num_tokens,)


def at_smallest_width(fn, widths, tokens_BxT, length_B, *args):
  """fn(tokens_BxT[:, :w], length_B, *args) at the smallest of `widths` holding the batch's
  longest row (`lax.switch`: only that width runs). Exact: every row's tokens lie within w,
  and nothing of a row reads past its length. Under pmap each device picks its own width."""
  if len(widths) == 1:
    return fn(tokens_BxT, length_B, *args)
  index = jnp.minimum(jnp.searchsorted(jnp.asarray(widths), jnp.max(length_B)), len(widths) - 1)
  return jax.lax.switch(index, [lambda t, *a, w=w: fn(t[:, :w], *a) for w in widths],
                        tokens_BxT, length_B, *args)


@dataclasses.dataclass(frozen=True)
class Setup:
  """What a SMILES VAE/AAE step reads besides its state, built once from the config."""
  seq: Any                     # encode(tokens, length), decode(z, inputs), initial, step
  opt: optim.Optimizer
  disc: Any                    # the latent discriminator z_BxZ -> logit float[B] (AAE), or None
  disc_opt: Any                # its optimizer, or None
  rt: common.Runtime
  vocab: smiles.Vocab
  num_tokens: int              # T, the token width of the data
  widths: Tuple[int, ...]      # the step widths a batch may run at (data.length_buckets)
  latent_dim: int
  adversarial: float           # loss.seq_vae.adversarial (0: a VAE)
  loss: Any                    # config.loss.seq_vae (KL schedule, adversarial start and ramp)
  num_steps: int               # config.num_steps (the KL anneal's default length)


def make_setup(config, data_info: DataInfo) -> Setup:
  check(config, data_info)
  vocab = smiles.Vocab(data_info.vocab)
  (num_tokens,) = data_info.shape
  adversarial = adversarial_weight(config)
  disc = disc_opt = None
  if adversarial:
    disc = gan_models.MLPDiscriminator(tuple(config.model.latent_discriminator.hidden),
                                       act=jax.nn.elu)  # MOSES' AAE discriminator: ELU.
    disc_opt = optim.make(config.optim, config.num_steps, DISC)
  return Setup(
      seq=seq.build(config.model, len(vocab)), opt=optim.make(config.optim, config.num_steps, NET),
      disc=disc, disc_opt=disc_opt, rt=common.Runtime.of(config), vocab=vocab,
      num_tokens=num_tokens, widths=step_widths(config, num_tokens),
      latent_dim=config.model.latent_dim, adversarial=adversarial, loss=config.loss.seq_vae,
      num_steps=config.num_steps)


def run_seq(setup: Setup, params, *args, method, rt=None):
  """The sequence model's `method` with `params` (in the compute dtype)."""
  return common.run(setup.seq, rt or setup.rt, {"params": params}, *args, method=method)


def log_px(setup: Setup, params, tokens_BxT, length_B, z_BxZ):
  """(log p(x|z) float[B] in nats, target tokens per row float[B]), teacher-forced."""
  logits = run_seq(setup, params, z_BxZ, tokens_BxT[:, :-1], method="decode")
  logp, mask = token_log_probs(logits, tokens_BxT, length_B, setup.vocab)
  return logp.sum(-1), mask.sum(-1)


def score(setup: Setup, disc_net, z_BxZ):
  """The latent discriminator's logit float[B]: > 0 says 'a prior draw'."""
  return common.run(setup.disc, setup.rt, disc_net.variables, z_BxZ)


def init_state(setup: Setup, seed: int) -> State:
  """A fresh model ('init' key) and, for the AAE, latent discriminator ('init_disc'); no EMA."""
  s, root = setup, jax.random.PRNGKey(seed)
  tokens = jnp.full((1, s.num_tokens), s.vocab.pad, jnp.int32)
  z = jnp.zeros((1, s.latent_dim), jnp.float32)
  nets = {NET: common.init_net(s.seq, rng_lib.purpose_key(root, "init"), s.opt, tokens,
                               jnp.ones((1,), jnp.int32), z)}
  if s.adversarial:
    nets[DISC] = common.init_net(s.disc, rng_lib.purpose_key(root, "init_disc"), s.disc_opt, z)
  return State(jnp.zeros((), jnp.int32), root, nets, {})


def autoencoder_loss(setup: Setup, state: State, params, tokens, length, eps_BxZ, num_targets):
  """(loss, (metrics, codes z_BxZ)): reconstruction per target token of the global batch
  (`num_targets`), + the annealed KL weight x KL, + for the AAE the ramped adversarial term.
  Holds no collective (it runs inside `at_smallest_width`'s branches)."""
  s, cfg, step = setup, setup.loss, state.step
  mean, log_std = run_seq(s, params, tokens, length, method="encode")
  # MOSES' AAE: deterministic codes (noise could satisfy D alone).
  z = mean if s.adversarial else mean + jnp.exp(log_std) * eps_BxZ
  log_px_B, _ = log_px(s, params, tokens, length, z)
  recon = -jnp.sum(log_px_B) / num_targets
  loss = recon
  metrics = {"reconstruction": recon, "reconstruction_mol": -jnp.mean(log_px_B)}
  # An AAE without a KL weight would log the KL of an unused q(z|x).
  if not s.adversarial or cfg.kl_start > 0 or cfg.kl_end > 0:
    weight = kl_weight(step, cfg, s.num_steps)
    kl = jnp.mean(losses.kl_diag_gaussian_standard_normal(mean, log_std))
    loss = loss + weight * kl
    metrics.update(kl=kl, kl_weight=weight)
  if s.adversarial:   # The encoder's codes should pass D as prior draws.
    fool = jnp.mean(jax.nn.softplus(-score(s, state.nets[DISC], z)))
    loss = loss + s.adversarial * adversarial_ramp(step, cfg) * fool
    metrics["adversarial"] = fool
  return loss, ({"loss": loss, **metrics}, z)


def latent_disc_update(setup: Setup, state: State, codes_BxZ, rng):
  """(latent D, metrics) after its update on prior draws ('prior' key, label 1) against the
  codes (label 0); frozen before loss.adversarial_start (MOSES pretrains the autoencoder
  alone: a D trained meanwhile is so sure of itself at the switch that its gradients wreck
  the autoencoder; measured, reconstruction 0.47 -> 2.6 nats/token)."""
  s, disc = setup, state.nets[DISC]
  prior_BxZ = s.rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "prior"), codes_BxZ.shape)

  def disc_loss_fn(params):
    d = disc.replace(params=params)
    d_prior, d_codes = score(s, d, prior_BxZ), score(s, d, codes_BxZ)
    # MOSES' discriminator loss: the mean of the two binary cross-entropies.
    loss = 0.5 * (jnp.mean(jax.nn.softplus(-d_prior)) + jnp.mean(jax.nn.softplus(d_codes)))
    accuracy = 0.5 * (jnp.mean(d_prior > 0) + jnp.mean(d_codes < 0))
    return loss, {"latent_disc_loss": loss, "latent_disc_accuracy": accuracy}

  d_grads, d_metrics = jax.grad(disc_loss_fn, has_aux=True)(disc.params)
  adversarial_on = state.step >= s.loss.get("adversarial_start", 0)
  return common.keep_if(adversarial_on, common.apply_gradients(
      disc, s.disc_opt, d_grads, state.step, s.rt), disc), d_metrics


def train_step(setup: Setup, state: State, batch, rng):
  """One autoencoder update (posterior draws from 'reparam') at the smallest step width
  holding the batch's longest row, then for the AAE one latent discriminator update on the
  codes before it. Returns (state, metrics)."""
  s, net = setup, state.nets[NET]
  tokens, length = batch["tokens"], batch["length"]
  eps_BxZ = s.rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "reparam"),
                      (tokens.shape[0], s.latent_dim))
  # Reconstruction per token over the global batch: the devices' sums over their mean
  # target count (BOS predicts nothing), so that pmap's gradient mean is the global one.
  num_targets = s.rt.mean(jnp.sum(length - 1).astype(jnp.float32))
  # The gradient is taken inside each width's branch: differentiating through the switch
  # would make every branch write (zeros for) the others' residuals.
  loss_fn = functools.partial(autoencoder_loss, s, state)
  grads, (metrics, z_BxZ) = at_smallest_width(
      lambda *args: jax.grad(loss_fn, has_aux=True)(net.params, *args),
      s.widths, tokens, length, eps_BxZ, num_targets)
  nets = {NET: common.apply_gradients(net, s.opt, grads, state.step, s.rt)}
  if s.adversarial:
    nets[DISC], d_metrics = latent_disc_update(s, state, jax.lax.stop_gradient(z_BxZ), rng)
    metrics = {**metrics, **d_metrics}
  return state.replace(step=state.step + 1, nets=nets), s.rt.mean(metrics)


# --- predict functions (outside the train step: no pmap axis) -------------------------------
def prior(setup: Setup, key, num: int):
  return jax.random.normal(rng_lib.purpose_key(key, "prior"), (num, setup.latent_dim))


def generate(setup: Setup, state: State, z_NxZ, key, temperature: float = 1.0):
  """Tokens drawn one by one given z: {'tokens': int32[N, T] (BOS first; PAD after the
  first EOS), 'length': int32[N] (T when no EOS came), 'log_prob': float[N], nats of the
  drawn tokens under the tempered distribution}. temperature 0: the most likely token."""
  params, num, vocab, rt = state.nets[NET].params, z_NxZ.shape[0], setup.vocab, setup.rt.outside()

  def body(carry, t):
    h, token, done, log_prob = carry
    h, logits = run_seq(setup, params, z_NxZ, h, token, method="step", rt=rt)
    logp = next_token_log_probs(logits / max(temperature, 1e-6), vocab)
    if temperature > 0:
      new = jax.random.categorical(jax.random.fold_in(key, t), logp)
    else:
      new = jnp.argmax(logp, -1)
    new_logp = jnp.take_along_axis(logp, new[:, None], -1)[:, 0]
    log_prob = log_prob + jnp.where(done, 0.0, new_logp)
    new = jnp.where(done, vocab.pad, new).astype(jnp.int32)
    return (h, new, done | (new == vocab.eos), log_prob), new

  h = run_seq(setup, params, z_NxZ, method="initial", rt=rt)
  start = (h, jnp.full((num,), vocab.bos, jnp.int32), jnp.zeros((num,), bool),
           jnp.zeros((num,), jnp.float32))
  (_, _, done, log_prob), drawn_TxN = jax.lax.scan(body, start,
                                                   jnp.arange(1, setup.num_tokens))
  tokens = jnp.concatenate([start[1][:, None], drawn_TxN.T], 1)
  length = jnp.where(done, jnp.argmax(tokens == vocab.eos, 1) + 1, setup.num_tokens)
  return {"tokens": tokens, "length": length.astype(jnp.int32), "log_prob": log_prob}


def sample(setup: Setup, state: State, key, num: int, temperature: float = 1.0):
  """`num` molecules from the prior: int32[num, T] token rows (`smiles` decodes them)."""
  z = prior(setup, key, num)
  return generate(setup, state, z, rng_lib.purpose_key(key, "tokens"), temperature)["tokens"]


def encode(setup: Setup, state: State, tokens_BxT, length_B):
  """The posterior's (mean_BxZ, log_std_BxZ)."""
  return run_seq(setup, state.nets[NET].params, tokens_BxT, length_B, method="encode",
                 rt=setup.rt.outside())


def log_likelihood(setup: Setup, state: State, tokens_BxT, length_B, z_BxZ):
  """Teacher-forced log p(x|z), nats per molecule float[B]."""
  return log_px(setup, state.nets[NET].params, tokens_BxT, length_B, z_BxZ)[0]


def neg_elbo(setup: Setup, state: State, tokens_BxT, length_B, key):
  """-ELBO with one posterior draw, nats per molecule float[B]."""
  mean, log_std = encode(setup, state, tokens_BxT, length_B)
  z = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
  return (losses.kl_diag_gaussian_standard_normal(mean, log_std)
          - log_likelihood(setup, state, tokens_BxT, length_B, z))


def reconstruct(setup: Setup, state: State, tokens_BxT, length_B):
  """The most likely tokens, step by step, from the posterior mean: int32[B, T]."""
  mean, _ = encode(setup, state, tokens_BxT, length_B)
  return generate(setup, state, mean, jax.random.PRNGKey(0), 0.0)["tokens"]


def build(config, data_info: DataInfo) -> Family:
  """The seq_vae family of `config` for token sequences of `data_info` (shape (T,), vocab)."""
  setup = make_setup(config, data_info)
  bind = lambda fn: functools.partial(fn, setup)
  predict = {name: bind(fn) for name, fn in (
      ("sample", sample), ("prior", prior), ("generate", generate), ("encode", encode),
      ("log_likelihood", log_likelihood), ("neg_elbo", neg_elbo), ("reconstruct", reconstruct))}
  predict["smiles"] = setup.vocab.decode
  return Family(NET, bind(init_state), bind(train_step), predict, config.batch_size, data_info,
                0, setup)
