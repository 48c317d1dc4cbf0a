"""The SMILES VAE family's default (genjax/families/seq_vae.py; the MOSES VAE, moses/vae): the
shared sections (shared.py) reading SMILES from the MOSES splits, MOSES' default networks (a
GRU encoder of 256, a 3-layer GRU decoder of 512 fed z at every step, latent 128), the KL weight
annealed linearly 0 -> 0.05 over the run, and the MOSES metrics evaluator.

The adversarial autoencoder's fields are here, off (configs/seq_aae_moses_cpu.py turns
them on): model.latent_discriminator, loss.seq_vae.adversarial, adversarial_start and
adversarial_ramp, and the per-network optimizer sections optim.seq_vae and optim.latent_disc."""
import ml_collections

from genjax import schema

from genjax.defaults import shared


def get_config():
  config = shared.get_config()
  # data.path names a folder of `train`/`test`/`test_scaffolds` split files (.csv.gz) or the
  # molsets wheel (the shipped configs set it: configs.MOSES).
  config.data.update(name="smiles", path="", train_split="train", eval_split="test")
  config.model = ml_collections.ConfigDict(dict(
      name="seq_vae",
      train_step="",            # 'module.function': a forked step (README, "Extending it").
      latent_dim=128,
      embed_dim=0,              # Token embedding width (0: the vocabulary size, as MOSES'
                                # one-hot-initialised embedding).
      # type 'gru' (MOSES'), or 'transformer': `layers` pre-LN blocks of `heads` heads at
      # width `hidden`, mean-pooled (layers and heads are read by the transformer only).
      encoder=dict(type="gru", hidden=256, bidirectional=False, layers=2, heads=4),
      decoder=dict(hidden=512, layers=3),  # GRU width and depth.
      # The adversarial autoencoder's code discriminator (an MLP on z; read only when
      # loss.seq_vae.adversarial > 0): MOSES' aae widths.
      latent_discriminator=dict(hidden=(640, 256)),
  ))
  config.loss = ml_collections.ConfigDict(dict(
      # The KL weight, annealed linearly from kl_start to kl_end over kl_anneal_steps (0: over
      # num_steps), then held.
      seq_vae=dict(kl_start=0.0, kl_end=0.05, kl_anneal_steps=0,
                   # > 0: an adversarial autoencoder, the encoder adding this x the code
                   # discriminator's non-saturating loss from step adversarial_start, ramped
                   # in linearly over adversarial_ramp steps (0: at once).
                   adversarial=0.0, adversarial_start=0, adversarial_ramp=0),
  ))
  # Per-network optimizer overrides (None: inherit config.optim), e.g.
  # --config.optim.latent_disc.learning_rate=1e-4.
  config.optim.seq_vae = schema.net_optim()
  config.optim.latent_disc = schema.net_optim()
  # The MOSES metrics (genjax/evaluators/moses.py: valid, unique, novelty, FCD/SNN/Frag/Scaf
  # against test and test_scaffolds, IntDiv, filters, properties) of num_samples samples every
  # every_steps (0: eval_every) and at the end, against num_reference molecules drawn from
  # test and test_scaffolds (their statistics computed on the first evaluation, then cached
  # on disk; 0: all). Needs RDKit and ChemNet's weights (README, "Molecules").
  config.evals = ml_collections.ConfigDict(dict(
      moses=dict(type="moses", every_steps=0, metrics="all", num_samples=1000,
                 num_reference=10_000, scaffold_split="test_scaffolds"),
  ))
  return config
