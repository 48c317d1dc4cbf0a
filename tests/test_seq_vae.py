"""SMILES data and the sequence VAE: the tokenizer, the decoder's causality, sampling's
log-probabilities and stopping, a short training run whose samples become valid molecules,
and one-line errors for bad files and characters."""
import gzip
import os
import re
import zipfile

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from configs import seq_aae_moses_cpu
from genjax import data as data_lib
from genjax import families
from genjax import run as run_lib
from genjax import train
from genjax import workdirs
from genjax.data import smiles
from genjax.errors import GenjaxError
from genjax.families import seq_vae
from tests.conftest import MOSES, assert_one_line_error, run_main, tiny_seq_vae


def data_config(path, **fields):
  config = ml_collections.ConfigDict(dict(path=path, num_eval=2, train_split="train",
                                          eval_split="test", max_length=0, max_train=0))
  config.update(fields)
  return config


# --- the tokenizer ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(MOSES), reason="needs ../shared/data/moses")
def test_the_whole_moses_test_split_round_trips_through_the_training_vocabulary():
  mols = smiles.load(data_config(MOSES, num_eval=1))  # Vocabulary of the 1.58M train SMILES.
  assert mols.vocab.chars == "#()-123456=BCFHNOS[]clnors" and len(mols.train_tokens) == 1584663
  test = smiles.read_smiles(os.path.join(MOSES, "test.csv.gz"))
  tokens, length = mols.vocab.encode(test, 57)
  assert tokens.shape == (176074, 59) and tokens.dtype == np.int32
  assert mols.vocab.decode(tokens) == test
  np.testing.assert_array_equal(length, [len(s) + 2 for s in test])
  rows = np.arange(len(test))
  assert (tokens[:, 0] == mols.vocab.bos).all() and (tokens[rows, length - 1] == mols.vocab.eos).all()
  assert ((np.arange(59)[None] >= length[:, None]) == (tokens == mols.vocab.pad)).all()


def test_a_molecule_is_bos_its_characters_eos_then_padding():
  vocab = smiles.Vocab.from_chars("CNOl()=1c")
  tokens, length = vocab.encode(["CCl", "c1ccccc1O"], 10)
  ids = {t: i for i, t in enumerate(vocab.tokens)}
  assert list(tokens[0]) == [ids[t] for t in ["<bos>", "C", "C", "l", "<eos>"] + ["<pad>"] * 7]
  assert list(length) == [5, 11] and tokens.shape == (2, 12)
  assert vocab.decode(tokens) == ["CCl", "c1ccccc1O"]


def test_sources_csv_columns_smi_names_folders_and_the_molsets_wheel(tmp_path):
  train = ["CCCl", "c1ccccc1", "CC(=O)N", "CCO", "OCC"]
  (tmp_path / "mols.csv").write_text("ID,SMILES,SPLIT\n" + "".join(
      f"{i},{s},train\n" for i, s in enumerate(train)))
  (tmp_path / "mols.smi").write_text("".join(f"{s}\tmol{i}\n" for i, s in enumerate(train)))
  for name in ("mols.csv", "mols.smi"):
    dataset = data_lib.load(ml_collections.ConfigDict({
        **data_config(str(tmp_path / name)).to_dict(), "name": "smiles", "image_size": 0,
        "exclude_labels": ""}))
    vocab = smiles.Vocab(dataset.vocab)
    assert vocab.decode(dataset.train_tokens) == train[:3] and vocab.decode(dataset.eval_tokens) == train[3:]
    assert dataset.image_shape == (len("c1ccccc1") + 2,) and dataset.num_train == 3
  folder = tmp_path / "splits"
  folder.mkdir()
  (folder / "train.csv.gz").write_bytes(gzip.compress(("SMILES\n" + "\n".join(train)).encode()))
  (folder / "test.csv").write_text("SMILES\nCCN\nCO\nCCC\n")
  wheel = tmp_path / "molsets-0.3.1-py3-none-any.whl"
  with zipfile.ZipFile(wheel, "w") as z:
    for f in folder.iterdir():
      z.write(f, f"{smiles.WHEEL_DIR}/{f.name}")
  for path in (folder, wheel):
    mols = smiles.load(data_config(str(path), max_length=12, max_train=4))
    assert mols.vocab.decode(mols.train_tokens) == smiles.subset(train, 4) and mols.train_total == 5
    # num_eval=2 of test's 3, drawn (seed 0), not its first two.
    assert mols.vocab.decode(mols.eval_tokens) == ["CO", "CCC"] and mols.train_tokens.shape[1] == 14


def test_subsets_are_seeded_draws_in_file_order_not_heads():
  molecules = [f"C{'C' * (i % 7)}O{i}" for i in range(100)]
  flat = np.frombuffer("\n".join(molecules).encode(), np.uint8)
  for num in (1, 10, 99, 100, 0, 150):
    drawn = smiles.subset(molecules, num)
    assert drawn == [molecules[i] for i in sorted(
        np.random.RandomState(0).permutation(100)[:num or 100])]
    assert smiles._strings(smiles._draw(flat, num or 100)) == drawn   # Same draw from bytes.
  assert smiles.subset(molecules, 10) != molecules[:10]


@pytest.mark.parametrize("content,message", [
    (None, "does not exist"),
    ("ID,smile\n1,CCO\n2,CCN\n", "has no SMILES column (its columns: ['ID', 'smile'])"),
    ("SMILES\nCCO\n\nCCN\nCO\n", "molecule 2 is an empty line"),
    ("SMILES\nCCO\nC[NH]CO\nC[Xe]\nCO\n", "molecule 1 has the character 'X', which is not"
                                         " in the vocabulary (valid: 'CHNO[]')"),
])
def test_bad_smiles_files_are_one_line_errors(tmp_path, content, message):
  path = tmp_path / "mols.csv"
  if content is not None:
    path.write_text(content)
  with pytest.raises(GenjaxError, match=r"^[^\n]*" + message.replace("(", r"\(").replace(
      ")", r"\)").replace("[", r"\[").replace("]", r"\]") + r"[^\n]*$"):
    smiles.load(data_config(str(path)))


def test_unknown_characters_long_molecules_and_bad_ids_are_refused_in_one_line(tmp_path):
  vocab = smiles.Vocab.from_chars("CNO()=1")
  with pytest.raises(GenjaxError, match=r"^SMILES: molecule 2 has the character 'l', which is not"
                                        r" in the vocabulary \(valid: '\(\)1=CNO'\)$"):
    vocab.encode(["CCO", "CCl"], 10)
  with pytest.raises(GenjaxError, match=r"molecule 1 has 5 characters, more than data.max_length=4"):
    vocab.encode(["CCCCO"], 4)
  with pytest.raises(GenjaxError, match=r"token ids must lie in \[0, 9\]"):
    vocab.decode(np.array([[7, 10]]))
  with pytest.raises(GenjaxError, match=r"holds no valid vocabulary"):
    smiles.Vocab.from_json('{"tokens": ["C", "Cl", "<bos>", "<eos>", "<pad>"]}')


@pytest.mark.slow
def test_main_refuses_a_smiles_file_without_a_smiles_column_in_one_line(tmp_path):
  path = tmp_path / "mols.csv"
  path.write_text("smiles\nCCO\nCCN\n")
  result = run_main("experiments.main", "--config=configs/seq_vae_moses_cpu.py",
                    f"--workdir={tmp_path / 'run'}", f"--config.data.path={path}")
  assert_one_line_error(result, "has no SMILES column")
  assert not os.path.exists(tmp_path / "run")


# --- the networks ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
  """(family, an untrained state, the tiny MOSES data) of the contract case."""
  config = tiny_seq_vae()
  dataset = data_lib.load(config.data)
  family = families.build(config, train.data_info(dataset))
  return family, family.init_state(0), dataset


@pytest.mark.slow
def test_the_decoder_is_causal(small):
  """Changing token k changes the logits of positions >= k only (position t predicts t+1)."""
  family, state, dataset = small
  model = seq_vae.seq.build(tiny_seq_vae().model, len(family.data_info.vocab))
  params = {"params": state.nets[seq_vae.NET].params}
  tokens = jnp.asarray(dataset.train_tokens[:4])
  z = jax.random.normal(jax.random.PRNGKey(0), (4, 6))
  logits = model.apply(params, z, tokens, method="decode")
  k = 7
  changed = tokens.at[:, k].set((tokens[:, k] + 1) % 20)
  new = model.apply(params, z, changed, method="decode")
  np.testing.assert_array_equal(new[:, :k], logits[:, :k])
  assert np.abs(new[:, k:] - logits[:, k:]).max(-1).min() > 1e-6  # Every later position moved.


@pytest.fixture(scope="module")
def small_transformer():
  """(family, an untrained state, the tiny data) with the transformer encoder."""
  config = tiny_seq_vae()
  config.model.encoder.update(type="transformer", hidden=16, layers=1, heads=2,
                              bidirectional=False)
  dataset = data_lib.load(config.data)
  family = families.build(config, train.data_info(dataset))
  return family, family.init_state(0), dataset


@pytest.mark.slow
@pytest.mark.parametrize("case", ["small", "small_transformer"])
def test_encoder_reads_each_row_up_to_its_length_only(case, request):
  family, state, dataset = request.getfixturevalue(case)
  tokens, length = dataset.train_tokens[:4], dataset.train_lengths[:4]
  noisy = np.where(np.arange(tokens.shape[1])[None] >= length[:, None], 3, tokens)  # Not PAD.
  for a, b in zip(family.predict["encode"](state, tokens, length),
                  family.predict["encode"](state, noisy, length)):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_a_transformer_encoder_learns_codes_the_decoder_uses():
  """KL off, 150 steps: the rows' own codes explain them far better than other rows' codes
  (the encoder carries information), and bad transformer settings are one line each."""
  config = _autoencoder(0.0)
  config.model.encoder.update(type="transformer", hidden=32, layers=1, heads=2)
  family, state, _ = _steps(config, 150)
  dataset = data_lib.load(config.data)
  tokens, length = dataset.eval_tokens[:64], dataset.eval_lengths[:64]
  mean, _ = family.predict["encode"](state, tokens, length)
  own = family.predict["log_likelihood"](state, tokens, length, mean)
  other = family.predict["log_likelihood"](state, tokens, length, jnp.roll(mean, 1, axis=0))
  assert float(jnp.mean(own)) > float(jnp.mean(other)) + 2.0, (jnp.mean(own), jnp.mean(other))
  for update, message in ((dict(type="lstm"), "model.encoder.type='lstm': valid are ('gru', 'transformer')"),
                          (dict(heads=3), "model.encoder.hidden=32 must be a multiple of model.encoder.heads=3"),
                          (dict(bidirectional=True), "bidirectional=True is for the GRU encoder")):
    bad = _autoencoder(0.0)
    bad.model.encoder.update(type="transformer", hidden=32, layers=1, heads=2)
    bad.model.encoder.update(update)
    with pytest.raises(GenjaxError, match=r"^[^\n]*" + re.escape(message)):
      seq_vae.check(bad)


@pytest.mark.slow
def test_a_step_runs_at_the_smallest_bucket_width_holding_its_longest_row_with_the_same_result():
  """at_smallest_width picks the smallest width >= the longest row (T past the last bucket);
  a step of short molecules with data.length_buckets equals the step without (loss, every
  updated parameter), and the widths fall back to T alone with num_seeds > 1."""
  width = lambda length, widths: int(seq_vae.at_smallest_width(
      lambda t, l: jnp.float32(t.shape[1]), widths, jnp.zeros((2, 48), jnp.int32),
      jnp.asarray(length, jnp.int32)))
  assert [width([10, l], (32, 36, 48)) for l in (20, 32, 33, 36, 37, 48)] == [32, 32, 36, 36, 48, 48]
  dataset = data_lib.load(tiny_seq_vae().data)
  short = np.argsort(dataset.train_lengths)[:32]   # Lengths up to ~30 of T = 48.
  batch = {"tokens": dataset.train_tokens[short], "length": dataset.train_lengths[short]}
  results = []
  for buckets in ((), (32, 36, 40)):
    config = _autoencoder(0.0)
    config.loss.seq_vae.kl_end = 0.1   # The KL term and the posterior draw are in the step.
    config.data.length_buckets = buckets
    family = families.build(config, train.data_info(dataset))
    assert seq_vae.step_widths(config, 48) == buckets + (48,)
    results.append(jax.jit(family.train_step)(family.init_state(0), batch, jax.random.PRNGKey(1)))
  (plain, plain_metrics), (bucketed, bucketed_metrics) = results
  assert float(plain_metrics["loss"]) == pytest.approx(float(bucketed_metrics["loss"]), rel=1e-5)
  for a, b in zip(jax.tree.leaves(plain.nets), jax.tree.leaves(bucketed.nets)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
  config.num_seeds = 2
  assert seq_vae.step_widths(config, 48) == (48,)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """(family, state, workdir, untrained state) of a short run on the 1,000 tiny molecules."""
  config = tiny_seq_vae()
  config.data.num_eval = 100
  config.num_steps, config.steps_per_call, config.batch_size = 400, 50, 64
  config.log_every = config.eval_every = config.checkpoint_every = 400
  config.model.update(latent_dim=8, embed_dim=16)
  config.model.encoder.update(hidden=64, bidirectional=False)
  config.model.decoder.update(hidden=128, layers=1)
  config.loss.seq_vae.kl_anneal_steps = 200
  config.optim.learning_rate = 3e-3
  workdir = str(tmp_path_factory.mktemp("seq") / "run")
  state = train.train_and_evaluate(config, workdir)
  family = families.build(config, run_lib.read_data_info(workdir))
  return family, state, workdir, family.init_state(0)


@pytest.mark.slow
def test_sampling_log_prob_is_the_teacher_forced_likelihood(trained):
  family, state, _, _ = trained
  z = family.predict["prior"](jax.random.PRNGKey(1), 64)
  drawn = jax.jit(family.predict["generate"])(state, z, jax.random.PRNGKey(2))
  assert 0 < int((drawn["length"] < drawn["tokens"].shape[1]).sum())  # Some stopped at EOS...
  assert float(drawn["length"].std()) > 1  # ...at different lengths.
  np.testing.assert_allclose(
      family.predict["log_likelihood"](state, drawn["tokens"], drawn["length"], z),
      drawn["log_prob"], rtol=1e-4, atol=1e-3)


@pytest.mark.slow
def test_sampling_stops_at_eos_and_respects_the_maximum_length(trained):
  family, state, _, _ = trained
  vocab = smiles.Vocab(family.data_info.vocab)
  num_tokens = family.data_info.shape[0]

  def draw(eos_bias):
    params = jax.tree.map(lambda x: x, state.nets[seq_vae.NET].params)
    bias = params["decoder"]["logits"]["bias"]
    params["decoder"]["logits"]["bias"] = bias.at[vocab.eos].add(eos_bias)
    biased = state.replace(nets={seq_vae.NET: state.nets[seq_vae.NET].replace(params=params)})
    z = family.predict["prior"](jax.random.PRNGKey(3), 32)
    return jax.device_get(family.predict["generate"](biased, z, jax.random.PRNGKey(4)))

  out = draw(0.0)
  t = np.arange(num_tokens)[None]
  tokens, length = out["tokens"], out["length"]
  assert tokens.shape == (32, num_tokens) and (tokens[:, 0] == vocab.bos).all()
  stopped = (tokens == vocab.eos).any(1)  # The others ran to the maximum length.
  assert stopped.mean() > 0.5 and (length[~stopped] == num_tokens).all()
  assert (tokens[stopped, length[stopped] - 1] == vocab.eos).all()
  assert ((t >= length[:, None]) == (tokens == vocab.pad)).all()  # PAD after EOS, only there.
  assert ((tokens == vocab.eos).sum(1) <= 1).all()
  never = draw(-1e9)  # EOS impossible: every row runs to the maximum length, unterminated.
  assert (never["length"] == num_tokens).all() and not (never["tokens"] == vocab.eos).any()
  assert all(len(s) == num_tokens - 1 for s in vocab.decode(never["tokens"]))
  always = draw(1e9)  # EOS first: empty molecules of length 2.
  assert (always["length"] == 2).all() and vocab.decode(always["tokens"]) == [""] * 32


def _validity(molecules):
  from rdkit import Chem, RDLogger  # pylint: disable=g-import-not-at-top
  RDLogger.DisableLog("rdApp.*")
  return np.mean([bool(m) and Chem.MolFromSmiles(m) is not None for m in molecules])


@pytest.mark.slow
def test_a_short_run_draws_far_more_valid_molecules_than_an_untrained_model(trained):
  pytest.importorskip("rdkit")
  family, state, _, untrained = trained
  sample = jax.jit(family.predict["sample"], static_argnums=(2, 3))  # At temperature 0.7:
  valid = lambda s: _validity(family.predict["smiles"](sample(s, jax.random.PRNGKey(0), 200, 0.7)))
  before, after = valid(untrained), valid(state)  # 400 steps: ~0.5 (0.61 after 500 steps).
  assert before < 0.1 and after > max(0.3, 3 * before + 0.1), (before, after)


@pytest.mark.slow
def test_sample_main_writes_smiles_deterministically(trained, tmp_path):
  family, _, workdir, _ = trained
  """.smi: one SMILES per line; .csv: a SMILES column; the same (checkpoint, seed), the same
  molecules (the .png refusal is checked before anything is sampled)."""
  outs = [str(tmp_path / name) for name in ("a.smi", "b.csv")]
  for out in outs:
    result = run_main("experiments.sample", f"--workdir={workdir}", "--num=20", f"--out={out}",
                      "--seed=5")
    assert result.returncode == 0, result.stderr[-2000:]
  lines = open(outs[0]).read().splitlines()
  assert open(outs[1]).read().splitlines() == ["SMILES"] + lines
  assert lines == family.predict["smiles"](workdirs.sample(workdir, 20, seed=5))
  assert lines != family.predict["smiles"](workdirs.sample(workdir, 20, seed=6))


# --- the adversarial autoencoder (loss.seq_vae.adversarial > 0) -------------------------------
def _autoencoder(adversarial: float, start: int = 0, ramp: int = 0):
  """A small seq_vae without KL, with or without the latent discriminator."""
  config = tiny_seq_vae()
  config.batch_size = 32
  config.model.update(latent_dim=4, embed_dim=8)
  config.model.encoder.update(hidden=32, bidirectional=False)
  config.model.decoder.update(hidden=32, layers=1)
  config.loss.seq_vae.update(kl_start=0.0, kl_end=0.0, adversarial=adversarial,
                             adversarial_start=start, adversarial_ramp=ramp)
  config.model.latent_discriminator = dict(hidden=(32, 32))
  config.optim.learning_rate = 3e-3
  return config


def _steps(config, num: int):
  """(family, state, last metrics) after `num` jitted steps on batches of the tiny molecules."""
  dataset = data_lib.load(config.data)
  family = families.build(config, train.data_info(dataset))
  state, step, order = family.init_state(0), jax.jit(family.train_step), np.random.RandomState(0)
  for i in range(num):
    pick = order.randint(0, len(dataset.train_tokens), config.batch_size)
    batch = {"tokens": dataset.train_tokens[pick], "length": dataset.train_lengths[pick]}
    state, metrics = step(state, batch, jax.random.PRNGKey(i))
  return family, state, jax.device_get(metrics)


@pytest.mark.slow
def test_the_adversarial_term_adds_to_the_same_step_loss_and_needs_a_discriminator():
  """One step, the same draws, D's term on (adversarial_start 0) or not yet (1000): loss(on)
  = loss(off) + w x the encoder's adversarial loss, the reconstruction unchanged, and the
  encoder's update differs; an untrained D's loss is about log 2; no hidden widths is one
  line."""
  (_, on_state, on), (_, off_state, off) = (_steps(_autoencoder(2.0, start), 1)
                                            for start in (0, 1000))
  assert on["reconstruction"] == pytest.approx(off["reconstruction"], rel=1e-6)
  assert on["loss"] == pytest.approx(off["loss"] + 2.0 * on["adversarial"], rel=1e-5)
  assert on["adversarial"] > 0 and 0 <= on["latent_disc_accuracy"] <= 1
  assert on["latent_disc_loss"] == pytest.approx(np.log(2), abs=0.1)
  moved = jax.tree.map(lambda a, b: float(np.abs(a - b).max()),
                       on_state.nets[seq_vae.NET].params["encoder"],
                       off_state.nets[seq_vae.NET].params["encoder"])
  assert max(jax.tree.leaves(moved)) > 1e-6   # D's gradient reaches the encoder.
  config = _autoencoder(1.0)
  del config.model["latent_discriminator"]
  with pytest.raises(GenjaxError, match=r"^loss.seq_vae.adversarial=1.0 needs"
                                        r" model.latent_discriminator.hidden, a tuple"):
    families.build(config, train.data_info(data_lib.load(config.data)))
  seq_vae.check(seq_aae_moses_cpu.get_config())   # The shipped AAE config is valid.


@pytest.mark.slow
def test_an_aae_logs_a_kl_only_when_its_objective_has_one():
  """Deterministic codes leave q(z|x)'s scale untrained: without a KL weight its KL is not
  logged; with one, the loss holds it (the reconstruction and adversarial terms as without)."""
  _, _, plain = _steps(_autoencoder(1.0), 1)
  assert "kl" not in plain and "kl_weight" not in plain
  config = _autoencoder(1.0)
  config.loss.seq_vae.update(kl_start=0.5, kl_end=0.5)
  _, _, with_kl = _steps(config, 1)
  assert with_kl["reconstruction"] == pytest.approx(plain["reconstruction"], rel=1e-6)
  assert with_kl["loss"] == pytest.approx(
      plain["loss"] + 0.5 * with_kl["kl"], rel=1e-5)
  assert with_kl["kl"] > 0 and with_kl["kl_weight"] == pytest.approx(0.5)


@pytest.mark.slow
def test_the_adversarial_weight_ramps_in_linearly_after_the_start():
  cfg = ml_collections.ConfigDict(dict(adversarial_start=10, adversarial_ramp=4))
  got = [float(seq_vae.adversarial_ramp(step, cfg)) for step in (0, 9, 10, 11, 12, 13, 14, 99)]
  assert got == [0, 0, 0.25, 0.5, 0.75, 1, 1, 1]
  cfg.adversarial_ramp = 0   # At once, as before the ramp existed (and when it is absent).
  assert [float(seq_vae.adversarial_ramp(s, cfg)) for s in (9, 10)] == [0, 1]
  # In a step: the encoder feels w / 4 of D's term at the ramp's first step.
  (_, _, ramped), (_, _, off) = (_steps(_autoencoder(2.0, start, ramp=4), 1) for start in (0, 1000))
  assert ramped["loss"] == pytest.approx(off["loss"] + 2.0 / 4 * ramped["adversarial"], rel=1e-5)


@pytest.mark.slow
def test_before_adversarial_start_the_autoencoder_trains_alone_then_d_learns():
  """Before adversarial_start (MOSES pretrains the autoencoder) the weight of D's term does
  not touch the autoencoder and D stays as initialised; from it on, D learns to tell the
  codes from prior draws (here w ~ 0, so that the encoder does not fight back)."""
  (family, a, _), (_, b, _) = (_steps(_autoencoder(w, start=1000), 60) for w in (1.0, 3.0))
  for x, y in zip(jax.tree.leaves(a.nets[seq_vae.NET].params),
                  jax.tree.leaves(b.nets[seq_vae.NET].params)):
    np.testing.assert_array_equal(x, y)
  for x, y in zip(jax.tree.leaves(a.nets[seq_vae.DISC].params),
                  jax.tree.leaves(family.init_state(0).nets[seq_vae.DISC].params)):
    np.testing.assert_array_equal(x, y)
  _, _, metrics = _steps(_autoencoder(1e-6, start=0), 60)
  assert metrics["latent_disc_accuracy"] > 0.9 and metrics["latent_disc_loss"] < 0.3, metrics
