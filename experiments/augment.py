"""Data augmentation with conditional generators: does a classifier trained on N labelled
images per class gain from the samples of a conditional generator trained on the same N?

python -m experiments.augment --workdir=/tmp/genjax/augment            # digits, 3 generators
python -m experiments.augment --workdir=DIR --classifier_config=configs/classifier_mnist10k.py

The flags and the main; what it computes and writes is in genjax/applications/augment.py
(pure functions, importable by tests and forks).
"""
from absl import app
from absl import flags
from ml_collections import config_flags

import configs
from genjax import cli
from genjax import logs as log_lib
from genjax.applications.augment import (GENERATORS, goal, markdown, study, write)

_CLASSIFIER = config_flags.DEFINE_config_file(
    "classifier_config", "configs/classifier_digits.py", "The classifier every row trains.")


_GEN_CONFIGS = {name: config_flags.DEFINE_config_file(
    f"{name}_config", None, f"The {name} generator's config (default: the shipped one for the"
    " classifier's data, made conditional); its data fields are replaced.")
                for name in GENERATORS}


_WORKDIR = flags.DEFINE_string("workdir", None, "The study's folder.")


_OUT = flags.DEFINE_string("out", None, "Report folder (default: --workdir).")


_GENERATORS = flags.DEFINE_list("generators", list(GENERATORS), "Generators to train.")


_GEN_WORKDIRS = flags.DEFINE_list("generator_workdirs", [], "NAME=DIR of trained conditional"
                                  " generators, reused for every N and seed.")


_GEN_DATA = flags.DEFINE_list(
    "generator_data", ["labelled"], "What each trained generator sees: labelled (the N labelled"
    " images per class only) and/or pseudo (the whole train split, the rest labelled by the"
    " 'real' classifier; adds the self-training row 'pseudo').")


_PRIOR = flags.DEFINE_string(
    "generator_prior", "standard", "Latent prior the samples are drawn from: 'standard' (the"
    " generator's own) or, for autoencoders, 'gmm<K>' (K-component mixture per class fitted to"
    " the codes of the generator's training data; rows get the suffix _gmm<K>).")


_LABELS = flags.DEFINE_list("labels_per_class", ["10", "100"], "Values of N.")


_SEEDS = flags.DEFINE_integer("seeds", 3, "Seeds per N (subset draw and config.seed + s).")


_MIX = flags.DEFINE_float("mix", 0.5, "Fraction of a real+GEN train set that is generated.")


_SAMPLES = flags.DEFINE_integer("samples_per_class", 500, "Generated images per class.")


flags.mark_flags_as_required(["workdir"])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  log_lib.quiet_libraries()
  gen_configs = {name: flag.value for name, flag in _GEN_CONFIGS.items()}
  report, samples = study(_CLASSIFIER.value, _WORKDIR.value, _GENERATORS.value, gen_configs,
                          _GEN_WORKDIRS.value, _LABELS.value, _SEEDS.value, _MIX.value,
                          _SAMPLES.value, _GEN_DATA.value, _PRIOR.value,
                          configs.augment_generators())
  outdir = _OUT.value or _WORKDIR.value
  files = write(report, samples, outdir)
  print(markdown(report))
  print(goal(report))
  print(f"wrote {', '.join(files)} into {outdir}")


if __name__ == "__main__":
  cli.run(main)
