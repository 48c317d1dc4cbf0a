"""experiments.augment: the per-class draw, the .npz files the runs read, the mix, and the
main end to end on the embedded digits (files, reuse, one-line errors)."""
import json
import os
import shutil

import numpy as np
import pytest

import configs
from configs import dcgan_digits
from genjax.applications import augment
from genjax import data as data_lib
from genjax import run as run_lib
from genjax.errors import GenjaxError
from tests.conftest import assert_one_line_error
from tests.conftest import run_main
from tests.conftest import TINY_FLAGS
from tests.conftest import tiny
from tests.conftest import tiny_classifier

pytestmark = pytest.mark.slow  # Trains models or runs mains: the full suite's.

CLASSIFIER_FLAGS = [  # tests/conftest.py's tiny_classifier() as flags.
    "--classifier_config=configs/classifier_digits.py", "--classifier_config.num_steps=20",
    "--classifier_config.log_every=10", "--classifier_config.eval_every=10",
    "--classifier_config.checkpoint_every=10", "--classifier_config.batch_size=32",
    "--classifier_config.model.net.channels=(8,16)",
    "--classifier_config.model.net.convs_per_stage=1", "--classifier_config.model.net.hidden=24",
    "--classifier_config.optim.warmup_steps=0"]
CVAE_FLAGS = [f.replace("--config", "--cvae_config", 1) for f in TINY_FLAGS]
STUDY_FLAGS = [*CLASSIFIER_FLAGS, *CVAE_FLAGS, "--generators=cvae", "--labels_per_class=5",
               "--seeds=1", "--samples_per_class=20"]
BOTH = "--generator_data=labelled,pseudo"  # The study fixture trains both kinds of generator.
ROWS = ["real", "pseudo", "real+cvae", "cvae only", "real+cvae_pseudo", "cvae_pseudo only"]


def _run(*args):
  return run_main("experiments.augment", *args)


def test_the_subset_holds_n_of_each_class_drawn_with_the_seed():
  labels = np.repeat(np.arange(3), [5, 7, 4])
  pick = augment.draw_subset(labels, 3, seed=0, num_classes=3)
  assert np.bincount(labels[pick]).tolist() == [3, 3, 3] and len(set(pick)) == 9
  np.testing.assert_array_equal(pick, augment.draw_subset(labels, 3, seed=0, num_classes=3))
  assert any(not np.array_equal(pick, augment.draw_subset(labels, 3, s, 3)) for s in (1, 2, 3))
  assert augment.check_labels_per_class(["3", "1"], labels, 3) == [1, 3]
  with pytest.raises(GenjaxError, match=r"each N must lie in \[1, 4\] \(the train split's"
                     r" smallest class, class 2, has 4 images\)"):
    augment.check_labels_per_class(["5"], labels, 3)


def test_npz_files_round_trip_through_the_loader_with_their_splits(tmp_path):
  dataset = data_lib.load(tiny().data)
  pick = augment.draw_subset(dataset.train_labels, 4, seed=1, num_classes=10)
  real_x, real_y = dataset.train_images[pick], dataset.train_labels[pick]
  path = str(tmp_path / "subset.npz")
  augment.write_npz(path, *augment.repeat_to(real_x, real_y, 100), dataset.eval_images,
                    dataset.eval_labels)
  config = augment.npz_config(tiny(), path, len(dataset.eval_images))
  loaded = data_lib.load(config.data)
  assert len(loaded.train_images) == 120 and loaded.num_classes == 10  # 3 copies of 40.
  np.testing.assert_array_equal(loaded.train_images[:40], real_x)  # Digits are uint8: exact.
  np.testing.assert_array_equal(loaded.train_labels[80:], real_y)
  np.testing.assert_array_equal(loaded.eval_images, dataset.eval_images)
  np.testing.assert_array_equal(loaded.eval_labels, dataset.eval_labels)
  # The mix: real examples repeated whole so that the generated ones are about `mix`.
  gen_x, gen_y = np.zeros((200, 8, 8, 1)), np.repeat(np.arange(10), 20)
  x, y, fraction = augment.mixed(real_x, real_y, gen_x, gen_y, 0.5)
  assert len(x) == 400 and fraction == 0.5 and (y[:40] == real_y).all()
  assert augment.mixed(real_x, real_y, gen_x, gen_y, 0.9)[2] == pytest.approx(200 / 240)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("augment") / "study"
  result = _run(*STUDY_FLAGS, BOTH, f"--workdir={workdir}")
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result


def test_a_study_trains_through_the_loop_and_writes_its_report(study):
  workdir, result = study
  for name in ("augment.json", "augment.md", "augment.png", "augment_samples_cvae.png",
               "gen/cvae_N5_seed0/checkpoints/20", "clf/real_N5_seed0/checkpoints/20",
               "clf/mix0.5_cvae_s20_N5_seed0/checkpoints/20", "clf/cas_cvae_s20_N5_seed0/checkpoints/20"):
    assert os.path.exists(workdir / name), name
  report = json.loads((workdir / "augment.json").read_text())
  assert [r["row"] for r in report["rows"]] == ROWS
  assert report["eval_split"] == 360 and report["labels_per_class"] == [5]
  for row in report["rows"]:
    assert len(row["accuracy"]) == 1 and 0 <= row["mean"] <= 1
  real, mixed = report["rows"][0]["mean"], report["rows"][2]
  assert mixed["delta_points"] == pytest.approx(100 * (mixed["mean"] - real))
  assert report["mix_fraction"]["cvae"] == pytest.approx(200 / 400)
  assert "labelled images per class" in report["generators"]["cvae"]["trained_on"] or "N labelled" in (
      report["generators"]["cvae"]["trained_on"])
  # The generator is conditional and trained on the 50 labelled images (repeated) only.
  gen_config = json.loads((workdir / "gen/cvae_N5_seed0/config.json").read_text())
  assert gen_config["model"]["conditioning"] == "concat"
  subset = data_lib.load(augment.npz_config(tiny(), gen_config["data"]["path"], 360).data)
  assert len(np.unique(subset.train_images.reshape(len(subset.train_images), -1), axis=0)) <= 50
  assert np.bincount(subset.train_labels).tolist() == [len(subset.train_labels) // 10] * 10
  assert "| 5 | real+cvae |" in (workdir / "augment.md").read_text()
  assert "wrote augment.json" in result.stdout


def test_a_rerun_reuses_every_run(study, tmp_path):
  workdir, _ = study
  before = {d: sorted(os.listdir(workdir / d)) for d in ("gen/cvae_N5_seed0/checkpoints",
                                                         "clf/real_N5_seed0/checkpoints")}
  report = json.loads((workdir / "augment.json").read_text())
  result = _run(*STUDY_FLAGS, BOTH, f"--workdir={workdir}", f"--out={tmp_path / 'again'}")
  assert result.returncode == 0, result.stderr[-3000:]
  assert "step 10/20" not in result.stderr and "Resumed" not in result.stderr  # Nothing trained.
  assert {d: sorted(os.listdir(workdir / d)) for d in before} == before
  again = json.loads((tmp_path / "again" / "augment.json").read_text())
  assert [r["accuracy"] for r in again["rows"]] == [r["accuracy"] for r in report["rows"]]


def test_pseudo_generators_train_on_the_whole_split_labelled_by_the_real_classifier(study):
  """--generator_data=labelled,pseudo adds the self-training row and a cvae trained on the
  pseudo-labelled train split."""
  workdir = study[0]
  report = json.loads((workdir / "augment.json").read_text())
  assert [r["row"] for r in report["rows"]] == ROWS
  assert "rest labelled by" in report["generators"]["cvae_pseudo"]["trained_on"]
  for name in ("clf/pseudo_N5_seed0", "gen/cvae_pseudo_N5_seed0",
               "clf/mix0.5_cvae_pseudo_s20_N5_seed0", "clf/cas_cvae_pseudo_s20_N5_seed0"):
    assert os.path.exists(workdir / name / "checkpoints/20"), name
  # The labels: the real classifier's argmax, except the drawn images keep theirs.
  digits = data_lib.load(tiny().data)
  gen_config = json.loads((workdir / "gen/cvae_pseudo_N5_seed0/config.json").read_text())
  split = data_lib.load(augment.npz_config(tiny(), gen_config["data"]["path"], 360).data)
  np.testing.assert_array_equal(split.train_images, digits.train_images)
  fn, _ = run_lib.classifier(str(workdir / "clf/real_N5_seed0"))
  predicted = fn(data_lib.files.unit_float(digits.train_images))["probs"].argmax(-1)
  pick = augment.draw_subset(digits.train_labels, 5, 0, 10)
  np.testing.assert_array_equal(split.train_labels[pick], digits.train_labels[pick])
  rest = np.setdiff1d(np.arange(len(predicted)), pick)
  np.testing.assert_array_equal(split.train_labels[rest], predicted[rest])
  assert report["pseudo_label_accuracy"]["5"] == [pytest.approx(
      np.mean(predicted[rest] == digits.train_labels[rest]))]
  assert "N=5: pseudo-labels of the unlabelled rest" in (workdir / "augment.md").read_text()


def _classifier_config():
  """CLASSIFIER_FLAGS' config, for in-process studies that reuse the fixture's runs."""
  config = tiny_classifier()
  config.loss.classifier.label_smoothing = 0.0   # The flags keep the shipped config's 0.
  return config


def test_a_retrained_real_classifier_relabels_the_pseudo_split(study, tmp_path):
  """The pseudo-labels are the 'real' classifier's: when it retrains (here a new seed), the
  pseudo-labelled split is labelled anew and what read it retrains from step 0 (the loop
  alone would resume the old runs: the data path is the same). In process, no generator."""
  workdir = tmp_path / "study"
  shutil.copytree(study[0], workdir)
  split = workdir / "data/pseudo_N5_seed0.npz"
  before = augment.read_train(str(split), 360)[1]
  config = _classifier_config()
  config.seed = 1   # The only change: 'real' retrains.
  _, _, digits = augment.plan(config, [], {}, [])
  augment.run_seed(str(workdir), config, {}, {}, digits, 5, 0, 0.5, 20, ("pseudo",))
  fn, _ = run_lib.classifier(str(workdir / "clf/real_N5_seed0"))
  predicted = fn(data_lib.files.unit_float(digits.train_images))["probs"].argmax(-1)
  rest = np.setdiff1d(np.arange(len(predicted)),
                      augment.draw_subset(digits.train_labels, 5, 0, 10))
  after = augment.read_train(str(split), 360)[1]
  np.testing.assert_array_equal(after[rest], predicted[rest])
  assert (after[rest] != before[rest]).any()   # The new labeller disagrees somewhere.
  for run in ("clf/real_N5_seed0", "clf/pseudo_N5_seed0"):
    assert (workdir / f"{run}.stale/checkpoints/20").exists(), run   # The old runs, set aside.
    assert json.loads((workdir / run / "augment_run.json").read_text())["finished"]


def test_samples_from_a_mixture_fitted_to_the_generators_codes_get_their_own_rows(
    study, tmp_path):
  """--generator_prior=gmm2: the trained cvae is reused (not retrained), its samples decoded
  from a per-class mixture of its encoded training data, in rows and files of their own."""
  workdir = tmp_path / "study"
  shutil.copytree(study[0], workdir)
  config = _classifier_config()
  report, samples = augment.study(config, str(workdir), ["cvae"], {"cvae": tiny()}, [], ["5"],
                                  1, 0.5, 20, ("labelled",), "gmm2")   # CVAE_FLAGS' cvae.
  assert not list(workdir.glob("*/*.stale"))   # Nothing retrained.
  assert [r["row"] for r in report["rows"]] == ["real", "real+cvae_gmm2", "cvae_gmm2 only"]
  for name in ("data/gen_cvae_gmm2_s20_N5_seed0.npz", "clf/cas_cvae_gmm2_s20_N5_seed0"):
    assert (workdir / name).exists(), name
  assert "augment_samples_cvae_gmm2.png" in augment.write(report, samples, str(tmp_path / "out"))
  assert (tmp_path / "out/augment_samples_cvae_gmm2.png").exists()
  x, y = samples[5]["cvae_gmm2"]
  standard = augment.read_train(str(workdir / "data/gen_cvae_s20_N5_seed0.npz"), 360)
  assert x.shape == standard[0].shape and (y == standard[1]).all()
  assert np.abs(x - standard[0]).max() > 0.1   # Other latents, other images.


def test_a_reused_generator_must_be_conditional(study):
  workdir, _ = study
  gen = str(workdir / "gen/cvae_N5_seed0")
  augment.check_generator_workdir("mine", gen, (8, 8, 1), 10)  # Accepted.
  with pytest.raises(GenjaxError, match=r"it models 10 classes of \(8, 8, 1\) images; the"
                     r" classifier's data has 10 classes of \(28, 28, 1\)"):
    augment.check_generator_workdir("mine", gen, (28, 28, 1), 10)
  with pytest.raises(GenjaxError, match="its 'classifier' model is not a class-conditional"):
    augment.check_generator_workdir("mine", str(workdir / "clf/real_N5_seed0"), (8, 8, 1), 10)


def test_an_unconditional_workdir_is_refused(study, tmp_path):
  workdir, _ = study
  config = json.loads((workdir / "gen/cvae_N5_seed0/config.json").read_text())
  config["model"]["conditioning"] = "none"
  (tmp_path / "config.json").write_text(json.dumps(config))
  (tmp_path / "data_info.json").write_text((workdir / "gen/cvae_N5_seed0/data_info.json").read_text())
  with pytest.raises(GenjaxError, match="its 'vae' model is not a class-conditional generator"):
    augment.check_generator_workdir("vae", str(tmp_path), (8, 8, 1), 10)


@pytest.mark.parametrize("flags,message", [
    (["--generators=cvae,pixelcnn"], "unknown generator 'pixelcnn': valid are cvae, cgan,"
     " cvaegan"),
    (["--labels_per_class=5,500"], "--labels_per_class=5,500: each N must lie in [1, "),
    (["--generator_data=labelled,all"], "--generator_data=labelled,all: valid are labelled,"
     " pseudo"),
])
def test_bad_flags_are_one_line_errors_before_training(tmp_path, flags, message):
  result = _run(*STUDY_FLAGS, f"--workdir={tmp_path / 'w'}", *flags)
  assert_one_line_error(result, message)
  assert not os.path.exists(tmp_path / "w")


@pytest.mark.parametrize("change,message", [
    (dict(seeds=0), "--seeds=0 must be >= 1"),
    (dict(mix=-0.5), "--mix=-0.5 must lie in (0, 1)"),
    (dict(mix=1.0), "--mix=1.0 must lie in (0, 1)"),
    (dict(gen_configs={"cvae": dcgan_digits.get_config()}),
     "--cvae_config has model.name='gan': cvae is a 'vae' model"),
    (dict(classifier_config=tiny()), "model.name='vae': --classifier_config: experiments.augment trains model.name='classifier'"),
    (dict(gen_workdirs=["cgan"]), "--generator_workdirs: 'cgan' must be NAME=DIR"),
    (dict(gen_workdirs=["cvae=/nowhere"]), "cvae is also in --generators"),
    (dict(gen_workdirs=["x=/nowhere"]), "workdir '/nowhere' has no readable config.json"),
    (dict(prior="gmm"), "prior='gmm'"),
    (dict(generators=["cvae", "cgan"], prior="gmm3"), "--generator_prior=gmm3 decodes a"
     " mixture fitted to the encoded training data: cgan has no encoder"),
])
def test_bad_settings_are_refused_before_anything_trains(tmp_path, change, message):
  args = dict(classifier_config=tiny_classifier(), study_dir=str(tmp_path / "w"),
              generators=["cvae"], gen_configs={}, gen_workdirs=[], labels_per_class=["5"],
              seeds=1, mix=0.5, samples_per_class=20, shipped=configs.augment_generators())
  with pytest.raises(GenjaxError) as error:
    augment.study(**{**args, **change})
  assert message in str(error.value) and "\n" not in str(error.value)
  assert not os.path.exists(tmp_path / "w")
