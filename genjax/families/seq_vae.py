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
import jax
import jax.numpy as jnp

from genjax import losses
from genjax import optim
from genjax import rng as rng_lib
from genjax import schema
from genjax.data import pipeline
from genjax.data import smiles
from genjax.families import common
from genjax.families.contract import DataInfo, Family, State
from genjax.models import gan as gan_models
from genjax.models import seq

NET, DISC = "seq_vae", "latent_disc"
OBJECTIVE = {**schema.leaves("kl_start", "kl_end", "kl_anneal_steps"),  # config.loss.seq_vae
             "adversarial": schema.MAYBE,   # Absent (configs before the AAE): 0.
             "adversarial_start": schema.MAYBE,   # Absent: 0.
             "adversarial_ramp": schema.MAYBE}    # Absent: 0.
SPEC = {
    "model": {**schema.leaves("name", "latent_dim", "embed_dim"),
              "encoder": {**schema.leaves("hidden", "bidirectional"),   # GRU (absent type)
                          **schema.leaves("type", "layers", "heads", kind=schema.MAYBE)},
              "decoder": schema.leaves("hidden", "layers"),
              "latent_discriminator": schema.optional(schema.leaves("hidden"))},
    "loss": {"seq_vae": OBJECTIVE},
    "optim": {NET: schema.optim_overrides(), DISC: schema.optim_overrides()},
}


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
  schema.check(config, SPEC)
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


def build(config, data_info: DataInfo) -> Family:
  """The seq_vae family of `config` for token sequences of `data_info` (shape (T,), vocab)."""
  check(config, data_info)
  vocab = smiles.Vocab(data_info.vocab)
  model = seq.build(config.model, len(vocab))
  rt = common.Runtime.of(config)
  opt = optim.make(config.optim, config.num_steps, NET)
  loss_cfg, latent_dim = config.loss.seq_vae, config.model.latent_dim
  (num_tokens,) = data_info.shape
  widths = step_widths(config, num_tokens)
  adversarial = adversarial_weight(config)
  if adversarial:
    disc = gan_models.MLPDiscriminator(tuple(config.model.latent_discriminator.hidden),
                                       act=jax.nn.elu)  # MOSES' AAE discriminator: ELU.
    disc_opt = optim.make(config.optim, config.num_steps, DISC)

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
    nets = {NET: common.init_net(model, rng_lib.purpose_key(root, "init"), opt, tokens,
                                 jnp.ones((1,), jnp.int32), z)}
    if adversarial:
      nets[DISC] = common.init_net(disc, rng_lib.purpose_key(root, "init_disc"), disc_opt, z)
    return State(jnp.zeros((), jnp.int32), root, nets, {})

  def train_step(state: State, batch, rng):
    key = rng_lib.purpose_key(rng, "reparam")
    tokens, length = batch["tokens"], batch["length"]
    weight = kl_weight(state.step, loss_cfg, config.num_steps)
    net = state.nets[NET]
    # MOSES pretrains the autoencoder alone: before adversarial_start D neither trains nor
    # acts on the encoder (a D trained meanwhile is so sure of itself at the switch that its
    # gradients wreck the autoencoder: measured, reconstruction 0.47 -> 2.6 nats/token).
    adversarial_on = state.step >= loss_cfg.get("adversarial_start", 0)
    kl_in_objective = not adversarial or loss_cfg.kl_start > 0 or loss_cfg.kl_end > 0

    def loss_fn(params, tokens, length, eps_BxZ, num_targets):   # Holds no collective.
      mean, log_std = apply(params, tokens, length, method="encode")
      # MOSES' AAE: deterministic codes (noise could satisfy D alone).
      z = mean if adversarial else mean + jnp.exp(log_std) * eps_BxZ
      log_px_B, _ = log_px(params, tokens, length, z)
      recon = -jnp.sum(log_px_B) / num_targets
      loss = recon
      metrics = {"reconstruction": recon, "reconstruction_mol": -jnp.mean(log_px_B)}
      if kl_in_objective:   # An AAE without a KL weight would log the KL of an unused q(z|x).
        kl = jnp.mean(losses.kl_diag_gaussian_standard_normal(mean, log_std))
        loss = loss + weight * kl
        metrics.update(kl=kl, kl_weight=weight)
      if adversarial:   # The encoder's codes should pass D as prior draws.
        fool = jnp.mean(jax.nn.softplus(-score(state.nets[DISC], z)))
        loss = loss + adversarial * adversarial_ramp(state.step, loss_cfg) * fool
        metrics["adversarial"] = fool
      return loss, ({"loss": loss, **metrics}, z)

    eps_BxZ = rt.draw(jax.random.normal, key, (tokens.shape[0], latent_dim))
    # Reconstruction per token over the global batch: the devices' sums over their mean
    # target count (BOS predicts nothing), so that pmap's gradient mean is the global one.
    num_targets = rt.mean(jnp.sum(length - 1).astype(jnp.float32))
    # The gradient is taken inside each width's branch: differentiating through the switch
    # would make every branch write (zeros for) the others' residuals.
    grads, (metrics, z_BxZ) = at_smallest_width(
        lambda *args: jax.grad(loss_fn, has_aux=True)(net.params, *args),
        widths, tokens, length, eps_BxZ, num_targets)
    nets = {NET: common.apply_gradients(net, opt, grads, state.step, rt)}
    if adversarial:
      prior_BxZ = rt.draw(jax.random.normal, rng_lib.purpose_key(rng, "prior"), z_BxZ.shape)
      codes_BxZ = jax.lax.stop_gradient(z_BxZ)

      def disc_loss_fn(params):
        d = state.nets[DISC].replace(params=params)
        d_prior, d_codes = score(d, prior_BxZ), score(d, codes_BxZ)
        # MOSES' discriminator loss: the mean of the two binary cross-entropies.
        loss = 0.5 * (jnp.mean(jax.nn.softplus(-d_prior)) + jnp.mean(jax.nn.softplus(d_codes)))
        accuracy = 0.5 * (jnp.mean(d_prior > 0) + jnp.mean(d_codes < 0))
        return loss, {"latent_disc_loss": loss, "latent_disc_accuracy": accuracy}

      d_grads, d_metrics = jax.grad(disc_loss_fn, has_aux=True)(state.nets[DISC].params)
      nets[DISC] = common.keep_if(adversarial_on, common.apply_gradients(
          state.nets[DISC], disc_opt, d_grads, state.step, rt), state.nets[DISC])
      metrics = {**metrics, **d_metrics}
    return state.replace(step=state.step + 1, nets=nets), rt.mean(metrics)

  def score(disc_net, z_BxZ):
    """D's logit float[B]: > 0 says 'a prior draw'."""
    return common.run(disc, rt, disc_net.variables, z_BxZ)

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
