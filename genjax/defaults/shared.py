"""The sections every family reads: run loop, devices, data, optimizer
and picture grids. Each family default (genjax/defaults/<family>.py) starts here and adds its
model, loss, per-network optimizer and evaluator sections."""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.num_seeds = 1  # S > 1 trains S replicas (seeds seed..seed+S-1) in one vmapped program.
  config.num_steps = 3000
  config.batch_size = 128
  config.steps_per_call = 50  # Train steps per compiled call (lax.scan).
  config.parallel = "jit"  # 'jit' (a sharded global step) or 'pmap' (per-device, pmean).
  config.dtype = "float32"  # Compute dtype: 'float32' or 'bfloat16' (params stay float32).
  config.log_every = 250
  config.eval_every = 1500
  config.checkpoint_every = 1500
  config.max_to_keep = 3
  config.skip_nonfinite = False  # True: a step with a NaN/inf loss or update leaves the state.
  # Workdirs (comma-separated) of trained runs whose networks start this one: each network
  # this model shares with one (encoder, decoder, disc, ...) is copied at step 0.
  config.init_from = ""
  # Multi-process runs: every process gets the same config except process_id.
  config.distributed = ml_collections.ConfigDict(dict(
      num_processes=1, process_id=0, coordinator_address="",  # 'host:port' of process 0.
      auto=False))  # True: jax.distributed.initialize() detects them (SLURM, TPU pods, ...).

  config.data = ml_collections.ConfigDict(dict(
      name="digits",            # 'digits', 'idx', 'npz', 'smiles', 'ring8', 'grid25' or a
                                # tfds image dataset ('mnist', ...).
      path="",                  # idx/npz: the images file; smiles: a .csv(.gz)/.smi file, a
                                # folder of split files or the molsets wheel.
      labels_path="",           # idx: optional labels file.
      eval_path="",             # idx/npz: a separate eval file (e.g. MNIST's t10k), with...
      eval_labels_path="",      # ...its idx labels: `path` all trains, and the eval split is
                                # the first num_eval images of eval_path (0: all of them).
      num_eval=2000,            # idx/npz/smiles file: the last num_eval examples are the
                                # eval split (smiles folder/wheel: the eval split's first)...
      shuffle_split=False,      # ...or a random num_eval, drawn with split_seed.
      split_seed=0,
      train_split="train",      # tfds split names (smiles: a folder's or wheel's files).
      eval_split="test",
      tfds_data_dir="",         # '' = tfds' default (~/tensorflow_datasets or $TFDS_DATA_DIR).
      image_size=0,             # 0 keeps the native size; else pad/resize to image_size^2.
      value_range="0,1",        # '0,1' or '-1,1'.
      dynamic_binarization=False,  # A fresh Bernoulli draw of every pixel per batch (the
                                # VAE's Bernoulli likelihood: genjax/defaults/vae.py sets it).
      radius=1.0,               # ring8: circle radius.
      spacing=2.0,              # grid25: distance between neighbouring modes.
      std=0.01,                 # ring8/grid25: standard deviation of each mode.
      # Where batches come from: 'device' (the train set on every device), 'host' (each
      # process holds its shards in host memory and feeds batches ahead of the steps), or
      # 'auto': host when the train set is over device_limit_mb, or with several processes
      # and num_shards > 1. Both give the same batches.
      placement="auto",
      device_limit_mb=1024,
      num_shards=1,             # Equal shards of the train set; every batch takes the same
                                # share of each. Processes split them: use a multiple of
                                # the process count. Changes the batch order.
      prefetch=2,               # host: train calls' batches prepared ahead.
      exclude_labels="",        # '3' or '3,5': train without these classes (the eval split
                                # keeps them), as in one-class-out anomaly detection.
      max_length=0,             # smiles: characters per molecule (0: the longest in train).
      max_train=0,              # smiles: keep a random draw of max_train training molecules
                                # (seed 0, file order kept; 0: all).
      length_buckets=(),        # smiles: token widths, e.g. (32, 36, 40, 44, 48): each step
                                # takes molecules of similar length and runs at the smallest
                                # width that holds its longest (same result, less padding).
      mutation_rate=0.0,        # train images only: each pixel replaced by U(0, 1) with this
                                # probability (Ren et al. 2019's background model).
      pseudo_labels="",         # 'kmeans<K>': balanced k-means clusters of the train images
                                # as classes (a self-conditioned GAN; genjax/data/pseudo_labels.py).
  ))
  # Every network's optimizer (genjax/optim.py); config.optim.<net> (a
  # schema.net_optim section, e.g. the GAN's optim.gen and optim.disc, added by the family
  # defaults) overrides any of these fields for one network.
  config.optim = ml_collections.ConfigDict(dict(
      learning_rate=1e-3,       # The peak rate.
      schedule="constant",      # 'constant' or 'cosine' (to final_lr_fraction x the rate at
                                # num_steps), both after the warm-up.
      warmup_steps=0,           # Linear warm-up from 0 over this many train steps.
      final_lr_fraction=0.0,    # cosine: the last step's rate as a fraction of the peak.
      grad_clip_norm=0.0,       # > 0 clips the global gradient norm (0: off).
      weight_decay=0.0,         # Decoupled (AdamW) weight decay (0: plain Adam).
      b1=0.9, b2=0.999,         # Adam's moment decays.
  ))
  config.eval = ml_collections.ConfigDict(dict(
      num_samples_png=64,       # Sample grid (and half as many reconstruction pairs) per eval;
                                # 0: no picture grids.
  ))
  # Evaluators (genjax/evaluators): name -> {type, every_steps (0: eval_every), options}.
  # Each family default adds its own (none where none fits every dataset).
  config.evals = ml_collections.ConfigDict()
  return config
