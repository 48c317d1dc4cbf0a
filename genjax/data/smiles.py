"""SMILES molecules as token sequences: files, the character vocabulary, encoding.

Sources (`data.name='smiles'`, `data.path`):
  a CSV file (.csv or .csv.gz) with a `SMILES` column, or a .smi file (one SMILES per line,
    optionally followed by whitespace and a name): the last `data.num_eval` molecules are
    the eval split;
  a folder holding `<split>.csv(.gz)` or `<split>.smi` files, or the molsets wheel (a zip
    whose `moses/dataset/data/` holds them): splits `data.train_split` and `data.eval_split`
    ('train', 'test', 'test_scaffolds'), `data.num_eval` molecules of the eval split drawn at
    random (seed 0, in file order: `subset_indices`; MOSES' files are ordered).

The vocabulary is MOSES' `CharVocab` (moses/utils.py): one token per character of the
training file (so 'Cl' is 'C', 'l', as in MOSES), sorted, then '<bos>', '<eos>', '<pad>'
(no '<unk>': a character outside the vocabulary is an error, not a silent token). It is
built from the whole training file even when `data.max_train` keeps a random draw of it,
so a quick run and a full one share it, and a workdir stores it (`vocab.json`) so sampling
needs no dataset.

A molecule of n characters becomes n + 2 tokens, BOS chars EOS, padded with PAD to
T = max_length + 2 (`data.max_length`, 0: the training file's longest); `length` counts the
tokens before the padding (n + 2). Encoding is vectorised numpy: the 1.58M MOSES training
molecules read and encode in a few seconds.
"""
import gzip
import json
import os
import zipfile
from typing import NamedTuple, Sequence, Tuple

import numpy as np

from genjax.errors import GenjaxError

BOS, EOS, PAD = "<bos>", "<eos>", "<pad>"
SPECIALS = (BOS, EOS, PAD)
WHEEL_DIR = "moses/dataset/data"  # Where the molsets wheel keeps its splits.
EXTENSIONS = (".csv.gz", ".csv", ".smi", ".smi.gz")
VOCAB_FILE = "vocab.json"


class Vocab(NamedTuple):
  """Token strings in id order: the characters, then BOS, EOS, PAD."""
  tokens: Tuple[str, ...]

  @classmethod
  def from_chars(cls, chars) -> "Vocab":
    return cls(tuple(sorted(chars)) + SPECIALS)

  @property
  def bos(self) -> int:
    return self.tokens.index(BOS)

  @property
  def eos(self) -> int:
    return self.tokens.index(EOS)

  @property
  def pad(self) -> int:
    return self.tokens.index(PAD)

  @property
  def chars(self) -> str:
    return "".join(t for t in self.tokens if t not in SPECIALS)

  def __len__(self):
    return len(self.tokens)

  def encode(self, smiles: Sequence[str], max_length: int, where: str = "SMILES"):
    """(tokens int32[N, max_length + 2], length int32[N]) of a list of SMILES strings."""
    data = "\n".join(smiles).encode("ascii", errors="replace")
    return encode_bytes(np.frombuffer(data, np.uint8), self, max_length, where)

  def decode(self, tokens_NxT) -> list:
    """The SMILES of token rows: the characters after BOS up to the first EOS or PAD (an
    unterminated row gives all its characters)."""
    tokens = np.asarray(tokens_NxT)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= len(self)):
      raise GenjaxError(f"token ids must lie in [0, {len(self) - 1}] (this vocabulary's"
                        f" {len(self)} tokens), got [{tokens.min()}, {tokens.max()}]")
    table = np.array([t if t not in SPECIALS else "" for t in self.tokens], dtype=object)
    stop = (tokens == self.eos) | (tokens == self.pad)
    stop[:, 0] = False  # The BOS slot.
    ends = np.where(stop.any(1), stop.argmax(1), tokens.shape[1])
    return ["".join(table[row[1:end]]) for row, end in zip(tokens, ends)]

  def to_json(self) -> str:
    return json.dumps({"tokens": list(self.tokens)})

  @classmethod
  def from_json(cls, text: str, where: str = VOCAB_FILE) -> "Vocab":
    try:
      tokens = tuple(json.loads(text)["tokens"])
    except (ValueError, KeyError, TypeError) as e:
      raise GenjaxError(f"{where} is not a vocabulary file ({type(e).__name__}: {e})") from None
    chars = [t for t in tokens if t not in SPECIALS]
    if (sorted(set(SPECIALS) & set(tokens)) != sorted(SPECIALS) or
        any(not isinstance(t, str) or len(t) != 1 for t in chars) or len(set(tokens)) != len(tokens)):
      raise GenjaxError(f"{where} holds no valid vocabulary: expected distinct one-character"
                        f" tokens plus {SPECIALS}, got {list(tokens)[:40]}")
    return cls(tokens)


def encode_bytes(flat, vocab: Vocab, max_length: int, where: str, chunk: int = 65536):
  """(tokens int32[N, max_length + 2], length int32[N]) of newline-separated ASCII SMILES
  `flat` (uint8). Raises one line for an unknown character or a molecule over max_length."""
  lut = np.full(256, -1, np.int32)
  for i, token in enumerate(vocab.tokens):
    if token not in SPECIALS:
      lut[ord(token)] = i
  lut[ord("\n")] = vocab.pad  # What a molecule's row reads past its end (masked anyway).
  newline = np.flatnonzero(flat == ord("\n")).astype(np.int64)
  starts = np.concatenate([[0], newline + 1])
  lengths = np.concatenate([newline, [len(flat)]]) - starts
  if len(lengths) and lengths.max() > max_length:
    row = int(lengths.argmax())
    raise GenjaxError(f"{where}: molecule {row + 1} has {lengths[row]} characters, more than"
                      f" data.max_length={max_length} (0: the training file's longest)")
  num, width = len(lengths), max_length + 2
  tokens = np.empty((num, width), np.int32)
  tokens[:, 0] = vocab.bos
  padded = np.concatenate([flat, np.full(width, ord("\n"), np.uint8)])
  offsets = np.arange(width - 1, dtype=np.int64)
  for first in range(0, num, chunk):  # In chunks: [chunk, T] index arrays stay small.
    rows = slice(first, first + chunk)
    ids = lut[padded[starts[rows, None] + offsets]]
    inside = offsets < lengths[rows, None]
    if (ids[inside] < 0).any():
      row, col = np.argwhere((ids < 0) & inside)[0]
      byte = padded[starts[first + row] + col]
      bad = chr(byte) if byte < 128 else f"byte {byte}"
      raise GenjaxError(f"{where}: molecule {first + row + 1} has the character {bad!r}, which is"
                        f" not in the vocabulary (valid: {vocab.chars!r})")
    ids = np.where(inside, ids, vocab.pad)
    ids[np.arange(len(ids)), lengths[rows]] = vocab.eos
    tokens[rows, 1:] = ids
  return tokens, (lengths + 2).astype(np.int32)


# --- reading files ---------------------------------------------------------------------------
def _decompress(raw: bytes, name: str) -> bytes:
  if raw[:2] == b"\x1f\x8b":
    try:
      return gzip.decompress(raw)
    except (OSError, EOFError) as e:
      raise GenjaxError(f"SMILES file {name!r} is not readable gzip: {e}") from None
  return raw


def parse(raw: bytes, name: str) -> np.ndarray:
  """The SMILES of a file's bytes (CSV with a `SMILES` column, or .smi) as newline-separated
  ASCII, uint8 (see `encode_bytes`)."""
  raw = _decompress(raw, name).replace(b"\r", b"")
  lines = raw.split(b"\n")
  while lines and not lines[-1].strip():
    lines.pop()
  if ".csv" in os.path.basename(name):
    if not lines:
      raise GenjaxError(f"SMILES file {name!r} is empty: expected a CSV with a SMILES column")
    header = [h.strip().strip(b'"').decode("ascii", "replace") for h in lines[0].split(b",")]
    if "SMILES" not in header:
      raise GenjaxError(f"SMILES file {name!r} has no SMILES column (its columns:"
                        f" {header[:10]})")
    column = header.index("SMILES")
    lines = lines[1:]
    if len(header) > 1:
      lines = [line.split(b",")[column] for line in lines]
  elif any(b" " in line or b"\t" in line for line in lines[:1000]) or b"\t" in raw:
    lines = [line.split()[0] if line.strip() else b"" for line in lines]  # SMILES [name]
  if not lines:
    raise GenjaxError(f"SMILES file {name!r} holds no molecules")
  if not all(lines):
    raise GenjaxError(f"SMILES file {name!r}: molecule {lines.index(b'') + 1} is an empty line")
  return np.frombuffer(b"\n".join(lines), np.uint8)


def _read(path: str) -> bytes:
  try:
    with open(path, "rb") as f:
      return f.read()
  except OSError as e:
    raise GenjaxError(f"SMILES file {path!r} is unreadable: {e.strerror}") from None


def _split_file(names, split: str, where: str):
  for ext in EXTENSIONS:
    if split + ext in names:
      return split + ext
  raise GenjaxError(f"{where} has no split {split!r}: expected one of"
                    f" {[split + e for e in EXTENSIONS]} (splits there:"
                    f" {sorted({n.split('.')[0] for n in names if n.endswith(EXTENSIONS)})})")


def read_split(path: str, split: str) -> np.ndarray:
  """Split `split` of a folder or molsets wheel (zip) as `parse` returns it."""
  if os.path.isdir(path):
    name = _split_file(os.listdir(path), split, f"folder {path!r}")
    return parse(_read(os.path.join(path, name)), os.path.join(path, name))
  try:
    with zipfile.ZipFile(path) as wheel:
      names = [n[len(WHEEL_DIR) + 1:] for n in wheel.namelist() if n.startswith(WHEEL_DIR + "/")]
      name = _split_file(names, split, f"{path!r} ({WHEEL_DIR}/)")
      return parse(wheel.read(f"{WHEEL_DIR}/{name}"), f"{path}:{WHEEL_DIR}/{name}")
  except (zipfile.BadZipFile, OSError) as e:
    raise GenjaxError(f"data.path={path!r} is not a readable zip (the molsets wheel): {e}") from None


def _molecules(flat: np.ndarray) -> int:
  return int((flat == ord("\n")).sum()) + 1 if len(flat) else 0


def subset_indices(total: int, num: int) -> np.ndarray:
  """Sorted indices of `num` of `total` molecules drawn uniformly without replacement with
  numpy's RandomState(0) (the MOSES known answers' draw, docs/molecules.md), all of them when
  num is 0 or >= total. A draw, not the first `num`: MOSES' split files are ordered (the
  first 10,000 test molecules lie FCD 3.5 from a random 10,000, two random 10,000s 0.25)."""
  if not num or num >= total:
    return np.arange(total)
  return np.sort(np.random.RandomState(0).permutation(total)[:num])


def subset(smiles_list: Sequence[str], num: int) -> list:
  """The molecules `subset_indices(len(smiles_list), num)` picks, in list order."""
  return [smiles_list[i] for i in subset_indices(len(smiles_list), num)]


def _draw(flat: np.ndarray, num: int) -> np.ndarray:
  """The `num` molecules of `flat` that `subset_indices` picks, in file order."""
  is_newline = flat == ord("\n")
  total = int(is_newline.sum()) + 1
  if num >= total:
    return flat
  chosen = np.zeros(total, bool)
  chosen[subset_indices(total, num)] = True
  molecule_of_byte = np.cumsum(is_newline) - is_newline   # A newline ends its molecule.
  out = flat[chosen[molecule_of_byte]]
  return out[:-1] if len(out) and out[-1] == ord("\n") else out


def _tail(flat: np.ndarray, num: int) -> Tuple[np.ndarray, np.ndarray]:
  """(all but the last `num` molecules, the last `num`)."""
  newline = np.flatnonzero(flat == ord("\n"))
  cut = newline[len(newline) - num]
  return flat[:cut], flat[cut + 1:]


class Molecules(NamedTuple):
  """Encoded splits: tokens int32[N, T], lengths int32[N], and the vocabulary."""
  train_tokens: np.ndarray
  train_lengths: np.ndarray
  eval_tokens: np.ndarray
  eval_lengths: np.ndarray
  vocab: Vocab
  train_total: int  # Molecules in the training file (before data.max_train).


def load(data_config) -> Molecules:
  """The `smiles` source of `data_config` (see the module docstring), encoded."""
  path = data_config.path
  if not path:
    raise GenjaxError("data.path is empty: set it to a SMILES file (.csv, .csv.gz, .smi), a"
                      " folder of split files or the molsets wheel (.whl)")
  if not os.path.exists(path):
    raise GenjaxError(f"data.path={path!r} does not exist: give a SMILES file (.csv, .csv.gz,"
                      " .smi), a folder of split files or the molsets wheel (.whl)")
  num_eval = data_config.num_eval
  if not isinstance(num_eval, int) or num_eval <= 0:
    raise GenjaxError(f"data.num_eval={num_eval!r} must be a positive integer")
  if os.path.isfile(path) and not zipfile.is_zipfile(path):
    if not path.endswith(EXTENSIONS):
      raise GenjaxError(f"data.path={path!r}: a SMILES file must end in one of {EXTENSIONS}"
                        " (or be a folder or the molsets wheel)")
    flat = parse(_read(path), path)
    total = _molecules(flat)
    if not 0 < num_eval < total:
      raise GenjaxError(f"data.num_eval={num_eval} must lie in [1, {total - 1}] for {path!r}")
    train, evals = _tail(flat, num_eval)
    where = (path, path)
  else:
    train = read_split(path, data_config.train_split)
    evals = _draw(read_split(path, data_config.eval_split), num_eval)
    where = (f"{path} split {data_config.train_split!r}", f"{path} split {data_config.eval_split!r}")
  vocab = Vocab.from_chars({chr(c) for c in np.flatnonzero(np.bincount(train, minlength=256))
                            if c != ord("\n")})
  bad = [c for c in vocab.chars if not (33 <= ord(c) < 127)]
  if bad:
    raise GenjaxError(f"{where[0]}: the character {bad[0]!r} is no SMILES character (non-ASCII"
                      " or whitespace inside a molecule)")
  total = _molecules(train)
  lengths = np.diff(np.concatenate([[-1], np.flatnonzero(train == ord("\n")), [len(train)]])) - 1
  max_length = data_config.max_length or int(lengths.max())
  if not isinstance(max_length, int) or max_length < 0:
    raise GenjaxError(f"data.max_length={max_length!r} must be a non-negative integer")
  max_train = data_config.max_train
  if not isinstance(max_train, int) or max_train < 0:
    raise GenjaxError(f"data.max_train={max_train!r} must be a non-negative integer (0: all)")
  if max_train:
    train = _draw(train, max_train)
  train_tokens, train_lengths = encode_bytes(train, vocab, max_length, where[0])
  eval_tokens, eval_lengths = encode_bytes(evals, vocab, max_length, where[1])
  return Molecules(train_tokens, train_lengths, eval_tokens, eval_lengths, vocab, total)


def read_smiles(path: str) -> list:
  """The SMILES strings of a CSV or .smi file (tests, benchmarks: e.g. novelty sets)."""
  return _strings(parse(_read(path), path))


def _strings(flat: np.ndarray) -> list:
  return flat.tobytes().decode("ascii", errors="replace").split("\n") if len(flat) else []


def _one_file(path: str) -> bool:
  return os.path.isfile(path) and not zipfile.is_zipfile(path)


def split_names(path: str) -> list:
  """The splits a folder or molsets wheel at `path` holds (sorted); [] for one SMILES file."""
  if _one_file(path):
    return []
  if os.path.isdir(path):
    names = os.listdir(path)
  else:
    try:
      with zipfile.ZipFile(path) as wheel:
        names = [n[len(WHEEL_DIR) + 1:] for n in wheel.namelist() if n.startswith(WHEEL_DIR + "/")]
    except (zipfile.BadZipFile, OSError) as e:
      raise GenjaxError(f"data.path={path!r} is not a readable zip (the molsets wheel): {e}") from None
  return sorted({n.split(".")[0] for n in names if n.endswith(EXTENSIONS)})


def split_smiles(data_config, split: str) -> list:
  """The SMILES strings of a split of the `smiles` source, as the file gives them: 'train' and
  'eval' are data.train_split and data.eval_split whole (cut neither to data.max_train nor to
  data.num_eval), or, of one SMILES file, all but its last data.num_eval molecules and those;
  any other name is that split of a folder or molsets wheel (e.g. 'test_scaffolds')."""
  path = data_config.path
  if _one_file(path):
    if split not in ("train", "eval"):
      raise GenjaxError(f"data.path={path!r} is one SMILES file: it has no split {split!r}")
    train, evals = _tail(parse(_read(path), path), data_config.num_eval)
    return _strings(train if split == "train" else evals)
  name = {"train": data_config.train_split, "eval": data_config.eval_split}.get(split, split)
  return _strings(read_split(path, name))
