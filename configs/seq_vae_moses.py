"""The MOSES VAE (moses/vae, its default settings) on the MOSES training set: a GRU encoder
(256), a 3-layer GRU decoder (512) fed z at every step, latent 128, batch 512, Adam 3e-4,
gradients clipped at norm 50, KL weight annealed linearly 0 -> 0.05 over the 100 epochs
(MOSES' SGDR schedule runs from 3e-4 to 3e-4: a constant rate). Sized for a GPU.

Data: `data.path` names a folder of `train`/`test`/`test_scaffolds` split files (.csv.gz) or
the molsets wheel; the default is ../shared/data/moses, relative to the repository root where
mains run. Evaluated by the `moses` evaluator (valid, unique, novelty, FCD/SNN/Frag/Scaf
against test and test_scaffolds, IntDiv, filters, properties). Results: README / docs.
"""
import configs
from genjax.defaults import seq_vae

TRAIN_MOLECULES = 1_584_663
EPOCHS = 100


def get_config():
  config = seq_vae.get_config()
  config.data.update(name="smiles", path=configs.MOSES, train_split="train", eval_split="test",
                     num_eval=2000, max_length=0, max_train=0, dynamic_binarization=False)
  config.batch_size = 512
  config.num_steps = EPOCHS * (TRAIN_MOLECULES // config.batch_size)
  config.steps_per_call = 50
  config.log_every = 500
  config.eval_every = config.checkpoint_every = 10_000
  config.model.latent_dim = 128
  config.model.encoder.update(type="gru", hidden=256, bidirectional=False)
  config.model.decoder.update(hidden=512, layers=3)
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.05, kl_anneal_steps=0)  # 0: over num_steps.
  config.optim.update(learning_rate=3e-4, schedule="constant", grad_clip_norm=50.0)
  # The MOSES metrics of 1,000 samples every eval_every steps and at the end, against 10,000
  # molecules drawn from test and test_scaffolds. MOSES' own protocol, on a workdir:
  # experiments.evaluate --workdir=DIR --set=evals.moses.num_samples=30000
  # --set=evals.moses.num_reference=0. Needs RDKit and ChemNet's weights (README, "Molecules").
  config.evals.moses.update(every_steps=0, num_samples=1000, num_reference=10_000)
  return config
