"""The family contract, run over every family registered in `genjax.families.FAMILIES`:
exact resume, sampling determinism, num_seeds replicas, bf16 compute with float32 state,
golden one-step metrics, refusals. Device-count invariance (jit and pmap, 1 vs 8 devices)
is in test_parallel.py over the same cases. Registering a family enrols it: it then needs a
small config in `tests.conftest.CONTRACT_CASES`."""
import json
import logging
import os
import re
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as data_lib
from genjax import families
from genjax import seeds as seeds_lib
from genjax import schema
from genjax import train
from genjax import workdirs
from genjax.data import smiles
from genjax.errors import GenjaxError
from genjax.families import DataInfo
from tests.conftest import CONTRACT_CASES, eleven_step_epochs, tiny, tiny_dcgan_sn

FAMILIES = sorted(families.FAMILIES)


def _leaves(tree):
  return [np.asarray(x) for x in jax.tree.leaves(jax.device_get(tree))]


def _data_info(config):
  return train.data_info(data_lib.load(config.data))


def _batch(family, seed=0):
  """A fixed batch in the family's data shape (values in [0, 1]; labels 0..9), or of token
  rows (BOS, random characters, EOS, PAD...) of random lengths."""
  n, shape = family.examples_per_step, family.data_info.shape
  if family.data_info.is_sequence:
    vocab = smiles.Vocab(family.data_info.vocab)
    key_length, key_chars = jax.random.split(jax.random.PRNGKey(seed))
    length = jax.random.randint(key_length, (n,), 3, shape[0] + 1)
    chars = jax.random.randint(key_chars, (n,) + shape, 0, len(vocab.chars))
    t = jnp.arange(shape[0])[None]
    tokens = jnp.where(t == 0, vocab.bos, jnp.where(t < length[:, None] - 1, chars, jnp.where(
        t == length[:, None] - 1, vocab.eos, vocab.pad)))
    return {"tokens": tokens.astype(jnp.int32), "length": length}
  return {"image": jax.random.uniform(jax.random.PRNGKey(seed), (n,) + shape),
          "label": jnp.arange(n, dtype=jnp.int32) % 10}


def test_every_registered_family_has_a_contract_case():
  assert set(CONTRACT_CASES) == set(families.FAMILIES)


def test_unknown_family_lists_the_registered_ones():
  config = tiny()
  config.model.name = "vaegan9000"
  with pytest.raises(GenjaxError, match=re.escape(f"valid are {tuple(families.FAMILIES)}")):
    families.build(config, DataInfo((8, 8, 1)))


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("section", ["", "model", "loss", "optim", "data"])
def test_a_misspelled_field_is_refused_naming_the_valid_ones(name, section):
  config = CONTRACT_CASES[name]()
  (config[section] if section else config)["latnet_dim"] = 3
  where = f"{section}." if section else ""
  with pytest.raises(GenjaxError, match=rf"unknown config field {where}latnet_dim: valid "
                                        rf"{section or 'top-level'} fields are \(.*'"):
    families.build(config, _data_info(config))


def _sections(config, prefix=""):
  """The dotted names of every section below model, loss and optim (e.g. 'model.encoder')."""
  names = []
  for key, value in config.items():
    if hasattr(value, "keys") and (prefix or key in ("model", "loss", "optim")):
      names += [prefix + key] + _sections(value, f"{prefix}{key}.")
  return names


@pytest.mark.parametrize("name", FAMILIES)
def test_every_problem_of_a_config_is_one_line_of_one_error(name):
  """A typo in every component section, a section given as a value and a bad value: all
  reported at once, one line each."""
  config = CONTRACT_CASES[name]()
  sections = [s for s in _sections(config)  # (the weights sections: names checked apart)
              if not s.endswith(("penalties", "generator_terms"))]
  assert len(sections) >= 4, sections  # model, its networks, loss, an objective, optim...
  for section in sections:
    config[section].typo_field = 1
  config.num_steps = 0
  with pytest.raises(GenjaxError) as error:
    families.build(config, _data_info(config))
  lines = str(error.value).splitlines()
  assert sorted(lines) == sorted(
      l for l in lines if re.match(r"unknown config field [a-z_.]+\.typo_field: valid ", l))
  assert {l.split()[3].rsplit(".", 1)[0] for l in lines} == set(sections)
  with pytest.raises(GenjaxError, match="num_steps=0 must be a positive integer"):
    train.check_config(config)
  flat = CONTRACT_CASES[name]()
  network = next(s for s in _sections(flat) if s.startswith("model."))
  flat.model = {**flat.model.to_dict(), network.split(".")[1]: "mlp"}
  with pytest.raises(GenjaxError, match=rf"{network}='mlp' must be a section with fields \("
                                        r".*flat layout: see configs/default.py"):
    families.build(flat, _data_info(flat))


@pytest.fixture(scope="module", params=FAMILIES)
def trained(request, tmp_path_factory):
  """(family name, config, workdir, final state) of a 20-step run of 11-step epochs with
  checkpoints at 5, 10, 15, 20."""
  config = eleven_step_epochs(CONTRACT_CASES[request.param]())
  workdir = str(tmp_path_factory.mktemp(request.param) / "run")
  return request.param, config, workdir, train.train_and_evaluate(config, workdir)


def test_resume_restores_the_checkpoint_and_ends_bit_exact(trained, tmp_path, caplog):
  """Killed after step 15, in the second epoch: the resumed run draws that epoch's order
  again and ends where the uninterrupted one did."""
  name, config, workdir, straight = trained
  interrupted = str(tmp_path / "interrupted")
  shutil.copytree(workdir, interrupted)
  shutil.rmtree(os.path.join(interrupted, "checkpoints", "20"))  # As if killed after step 15.
  with caplog.at_level(logging.INFO):
    resumed = train.train_and_evaluate(config, interrupted)
  assert re.search(r"Resumed from .* at step 15\b", caplog.text), name
  for a, b in zip(_leaves(straight), _leaves(resumed), strict=True):
    np.testing.assert_array_equal(a, b)


def test_samples_are_a_function_of_checkpoint_and_seed(trained):
  name, config, workdir, _ = trained
  if "sample" not in families.build(config, _data_info(config)).predict:
    pytest.skip(f"{name} has no sample predict function")
  a, b = workdirs.sample(workdir, 6, seed=0), workdirs.sample(workdir, 6, seed=0)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, workdirs.sample(workdir, 6, seed=1))


def test_decode_of_prior_draws_is_sampling(trained):
  """prior(key, n) and decode(state, z) (what latent tools and image repair use) are the two
  halves of sample(state, key, n)."""
  name, config, workdir, state = trained
  family = families.build(config, _data_info(config))
  if "decode" not in family.predict:
    pytest.skip(f"{name} has no decode predict function")
  key = jax.random.PRNGKey(7)
  z = family.predict["prior"](key, 5)
  np.testing.assert_array_equal(family.predict["decode"](state, z),
                                family.predict["sample"](state, key, 5))
  assert z.shape[0] == 5 and not np.array_equal(z, family.predict["prior"](
      jax.random.PRNGKey(8), 5))


def _flat_layout(saved: dict) -> dict:
  """A config.json as genjax wrote it before per-component sections (one flat model and
  loss section, D's learning rate as optim.d_learning_rate)."""
  model, optim = saved["model"], dict(saved["optim"])
  flat = {k: v for k, v in model.items() if not isinstance(v, dict)}
  if model["name"] == "vae":
    enc, dec = model["encoder"], model["decoder"]
    flat.update(encoder=enc["net"], decoder=dec["net"], hidden=enc["hidden"],
                channels=enc["channels"], activation=enc["activation"],
                **{k: v for k, v in dec.items() if k not in ("net", "hidden", "channels",
                                                              "activation")})
    assert dec["hidden"] == enc["hidden"][::-1] and dec["channels"] == enc["channels"][::-1]
  else:
    g, d = model["generator"], model["discriminator"]
    flat.update(generator=g["net"], discriminator=d["net"], hidden=g["hidden"],
                width=g["width"], spectral_norm=d["spectral_norm"],
                disc_batch_norm=d["batch_norm"], sigmoid_output=d["sigmoid_output"])
    optim.pop("gen")
    optim["d_learning_rate"] = optim.pop("disc")["learning_rate"] or 0.0
  (loss,) = saved["loss"].values()
  return {**saved, "model": flat, "loss": loss, "optim": optim}


def test_a_workdir_of_the_flat_config_layout_still_samples_and_resumes(trained, tmp_path,
                                                                       caplog):
  name, config, workdir, _ = trained
  if name not in ("vae", "gan"):
    pytest.skip(f"the flat layout predates the {name!r} family")
  old = str(tmp_path / "old")
  shutil.copytree(workdir, old)
  with open(os.path.join(old, "config.json")) as f:
    saved = json.load(f)
  with open(os.path.join(old, "config.json"), "w") as f:
    json.dump(_flat_layout(saved), f)
  assert schema.upgrade(_flat_layout(saved)) == saved
  np.testing.assert_array_equal(workdirs.sample(old, 4, seed=0),
                                workdirs.sample(workdir, 4, seed=0))
  with caplog.at_level(logging.INFO):
    train.train_and_evaluate(config, old)  # Same model: no "was trained with" refusal.
  assert re.search(r"Resumed from .* at step 20\b", caplog.text), name


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_replica_i_of_num_seeds_is_the_run_of_seed_i(name, tmp_path):
  def short(num_seeds, seed):
    config = CONTRACT_CASES[name]()
    config.num_steps = config.log_every = config.eval_every = config.checkpoint_every = 10
    config.num_seeds, config.seed = num_seeds, seed
    return config
  config = short(3, 0)
  stacked = train.train_and_evaluate(config, str(tmp_path / "three"))
  single = train.train_and_evaluate(short(1, 2), str(tmp_path / "seed2"))
  assert not np.allclose(_leaves(seeds_lib.select(stacked, 0, config).nets)[0],
                         _leaves(seeds_lib.select(stacked, 2, config).nets)[0])
  for a, b in zip(_leaves(single), _leaves(seeds_lib.select(stacked, 2, config)), strict=True):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=1e-5, atol=1e-6)


BF16_CASES = {**{name: CONTRACT_CASES[name] for name in FAMILIES}, "gan_dcgan_sn": tiny_dcgan_sn}


def _two_steps(make_config, dtype):
  config = make_config()
  config.dtype = dtype
  family = families.build(config, _data_info(config))
  step = jax.jit(family.train_step)
  state, _ = step(family.init_state(0), _batch(family), jax.random.PRNGKey(2))
  jaxpr = str(jax.make_jaxpr(family.train_step)(state, _batch(family), jax.random.PRNGKey(3)))
  state, metrics = step(state, _batch(family), jax.random.PRNGKey(3))
  return state, metrics, jaxpr, config.batch_size


# The SMILES and VAE-GAN cases compile slowly: the full suite's.
@pytest.mark.parametrize("case", [pytest.param(case, marks=pytest.mark.slow)
                                  if case in ("seq_vae", "vaegan") else case
                                  for case in sorted(BF16_CASES)])
def test_bfloat16_computes_in_bf16_keeps_float32_state_and_matches_float32(case):
  state32, metrics32, jaxpr32, batch = _two_steps(BF16_CASES[case], "float32")
  state16, metrics16, jaxpr16, _ = _two_steps(BF16_CASES[case], "bfloat16")
  assert "bf16" not in jaxpr32
  # Every matmul/conv over the batch (leading dim B, or 2B where D scores real and fake at
  # once) runs in bf16; parameter-sized ones (spectral norm's power iteration) may not.
  outputs = re.findall(r":(\w+)\[(\d+)[,\]].*= (?:dot_general|conv_general)", jaxpr16)
  batched = [dtype for dtype, lead in outputs if int(lead) in (batch, 2 * batch)]
  assert len(batched) >= 4 and set(batched) == {"bf16"}, outputs
  assert [leaf.dtype for leaf in jax.tree.leaves(state16)] == [
      leaf.dtype for leaf in jax.tree.leaves(state32)]
  for key, value in metrics32.items():
    assert metrics16[key].dtype == jnp.float32
    np.testing.assert_allclose(metrics16[key], value, rtol=0.02, atol=0.02, err_msg=key)


def test_unknown_dtype_lists_the_valid_ones():
  config = tiny()
  config.dtype = "float16"
  with pytest.raises(GenjaxError, match=r"dtype='float16': valid are \('float32', 'bfloat16'\)"):
    families.build(config, DataInfo((8, 8, 1)))


# Two train steps from seed 0 (batches `_batch(family, 0)`, `_batch(family, 1)`, keys 1, 2):
# the metrics of each, and a checksum of every network's parameters and optimizer state
# after the second (Adam's moments record the gradients' sizes, so a wrong weight or sign
# in any loss moves them). A change that moves them changes what every run computes: if
# that is intended (a fix, a new default), rerun `python -m tests.test_contract` and paste
# the printed values here, saying why in the commit.
GOLDEN = {
    'classifier': {'step1/loss': 2.3430593013763428, 'step1/xent': 2.342829704284668, 'step2/loss':
        2.3636791706085205, 'step2/xent': 2.366788864135742, 'classifier/params':
        -5.341050184012994, 'classifier/opt_state': -0.04608408700222414},
    'gan': {'step1/d_fake': 0.012749083340168, 'step1/d_loss': 1.3800649642944336, 'step1/d_real':
        0.025471266359090805, 'step1/g_loss': 0.6882423758506775, 'step2/d_fake':
        0.016377970576286316, 'step2/d_loss': 1.3815654516220093, 'step2/d_real':
        0.026168085634708405, 'step2/g_loss': 0.682360053062439, 'disc/params': -1.5730963283563184,
        'disc/opt_state': 0.003505550813970298, 'gen/params': 1.9003436791590378, 'gen/opt_state':
        -0.0004417631604538326},
    'seq_vae': {'step1/kl': 0.4501752555370331, 'step1/kl_weight': 0.0, 'step1/loss': 3.385727643966675,
        'step1/reconstruction': 3.385727643966675, 'step1/reconstruction_mol': 61.57792282104492,
        'step2/kl': 0.4416632056236267, 'step2/kl_weight': 0.005000000353902578, 'step2/loss':
        3.3590948581695557, 'step2/reconstruction': 3.356886625289917, 'step2/reconstruction_mol':
        92.73399353027344, 'seq_vae/params': -9.485950223579763, 'seq_vae/opt_state':
        -0.02427571349107933},
    'superres': {'step1/d_fake': 0.3741656541824341, 'step1/d_loss': 1.7535576820373535,
        'step1/d_real': 0.6206082105636597, 'step1/g_loss': -0.3741656541824341,
        'step1/pixel_mse': 0.3699108958244324, 'step1/r1': 0.1253589391708374, 'step2/d_fake':
        0.3490689992904663, 'step2/d_loss': 1.777111291885376, 'step2/d_real': 0.5719575881958008,
        'step2/g_loss': -0.3490689992904663, 'step2/pixel_mse': 0.355700820684433, 'step2/r1':
        0.12649637460708618, 'disc/params': 0.8706359375673427, 'disc/opt_state':
        1.0298046143600323, 'gen/params': -2.9982606245360253, 'gen/opt_state':
        0.4360130392299184},
    'vae': {'step1/kl': 0.8809619545936584, 'step1/loss': 51.71768569946289, 'step1/reconstruction':
        50.83672332763672, 'step2/kl': 0.6604906320571899, 'step2/loss': 50.13759231567383,
        'step2/reconstruction': 49.47710037231445, 'vae/params': 13.410420318973907,
        'vae/opt_state': -0.6625610581252652},
    'vaegan': {'step1/d_fake': -0.8233180046081543, 'step1/d_loss': 1.5011937618255615, 'step1/d_real':
        -0.7443654537200928, 'step1/d_skipped': 0.0, 'step1/dec_skipped': 0.0, 'step1/fake_cost':
        0.36565953493118286, 'step1/g_loss': 1.1889774799346924, 'step1/kl': 0.8809620141983032,
        'step1/llike': 5.738568305969238, 'step1/real_cost': 1.1355340480804443, 'step2/d_fake':
        -0.8099335432052612, 'step2/d_loss': 1.5257518291473389, 'step2/d_real':
        -0.7739549279212952, 'step2/d_skipped': 0.0, 'step2/dec_skipped': 0.0, 'step2/fake_cost':
        0.36973336338996887, 'step2/g_loss': 1.1796669960021973, 'step2/kl': 0.7322283387184143,
        'step2/llike': 5.615079879760742, 'step2/real_cost': 1.156018614768982, 'dec/params':
        14.001907889963071, 'dec/opt_state': 0.2506771908120546, 'disc/params': 1.3113754487836093,
        'disc/opt_state': -0.36243628506274056, 'enc/params': 1.5980368054463274, 'enc/opt_state':
        2.2056292195946674},
}


def checksum(tree) -> float:
  """A fixed random projection of every float leaf of `tree` (float64): any change of any
  element moves it."""
  total = 0.0
  for i, leaf in enumerate(jax.tree.leaves(jax.device_get(tree))):
    leaf = np.asarray(leaf)
    if not np.issubdtype(leaf.dtype, np.floating):
      continue
    weights = np.cos(np.arange(leaf.size) * 0.7 + i)
    total += float(np.dot(leaf.astype(np.float64).ravel(), weights))
  return total


def golden_values(name):
  config = CONTRACT_CASES[name]()
  family = families.build(config, _data_info(config))
  step = jax.jit(family.train_step)
  state, first = step(family.init_state(0), _batch(family, 0), jax.random.PRNGKey(1))
  state, second = step(state, _batch(family, 1), jax.random.PRNGKey(2))
  out = {f"step{i}/{k}": float(v) for i, metrics in ((1, first), (2, second))
         for k, v in sorted(metrics.items())}
  for net_name, net in sorted(state.nets.items()):
    out[f"{net_name}/params"] = checksum(net.params)
    out[f"{net_name}/opt_state"] = checksum(net.opt_state)
  return out


@pytest.mark.parametrize("name", FAMILIES)
def test_two_steps_match_the_golden_metrics_and_parameters(name):
  assert name in GOLDEN, f"no golden values for {name!r}: run python -m tests.test_contract"
  got = golden_values(name)
  assert got.keys() == GOLDEN[name].keys()
  for key, value in GOLDEN[name].items():
    assert got[key] == pytest.approx(value, rel=1e-4, abs=1e-6), (
        f"{name}: {key} moved from {value} to {got[key]}; see the comment above GOLDEN")


@pytest.mark.parametrize("name", FAMILIES)
def test_every_ema_is_the_decayed_average_of_its_networks_variables(name):
  """ema_2 = d^2 ema_0 + d (1 - d) v_1 + (1 - d) v_2 after two steps, v_t the network's
  variables after step t (a family without EMA skips)."""
  config = CONTRACT_CASES[name]()
  family = families.build(config, _data_info(config))
  step = jax.jit(family.train_step)
  state0 = family.init_state(0)
  if not state0.ema:
    pytest.skip(f"{name} keeps no EMA")
  state1, _ = step(state0, _batch(family, 0), jax.random.PRNGKey(1))
  state2, _ = step(state1, _batch(family, 1), jax.random.PRNGKey(2))
  d = config.ema_decay
  assert 0 < d < 1
  for net_name, ema in state2.ema.items():
    want = jax.tree.map(lambda e0, v1, v2: d * d * e0 + d * (1 - d) * v1 + (1 - d) * v2,
                        state0.ema[net_name], state1.nets[net_name].variables,
                        state2.nets[net_name].variables)
    moved = False
    for got, expected, start in zip(_leaves(ema), _leaves(want), _leaves(state0.ema[net_name]),
                                     strict=True):
      np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=net_name)
      moved |= not np.array_equal(got, start)
    assert moved, f"{name}: the EMA of {net_name} never moved"


if __name__ == "__main__":
  for family_name in FAMILIES:
    print(f"    {family_name!r}: {golden_values(family_name)},")
