"""Where the package finds data the user has: one place for the default paths.

The data directory is, in order: the `data_dir` argument, the `EELBERT_DATA_DIR`
environment variable, then `../shared/data` and `./shared/data` relative to the
working directory. Nothing is ever downloaded.

The BERT uncased WordPiece vocabulary (232 KB, the same bytes as the data
directory's `vocab/bert_uncased_vocab.txt` and as the official `bert-base-uncased`
vocab.txt) ships inside the package, as keras-hub presets ship theirs: the
shipped presets read it, so tokenizing, fine-tuning and exporting need no data
directory (GLUE and the pretraining corpus still do).
"""

from __future__ import annotations

import os
import pathlib

DATA_DIR_ENV = "EELBERT_DATA_DIR"
VOCABULARY_RELPATH = pathlib.Path("vocab") / "bert_uncased_vocab.txt"


def data_dir(data_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """The data directory (see module docstring); raises FileNotFoundError naming what was tried."""
    candidates = []
    if data_dir is not None:
        candidates.append(pathlib.Path(data_dir))
    elif os.environ.get(DATA_DIR_ENV):
        candidates.append(pathlib.Path(os.environ[DATA_DIR_ENV]))
    else:
        candidates += [pathlib.Path("../shared/data"), pathlib.Path("shared/data")]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    tried = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"No data directory found (tried: {tried}). Pass the path explicitly or set "
        f"{DATA_DIR_ENV} to the folder that holds glue/, vocab/ and corpus/."
    )


PACKAGED_VOCABULARY = pathlib.Path(__file__).resolve().parent / "presets" / "vocab" / "bert_uncased_vocab.txt"


def default_vocabulary_path(data_dir_: str | os.PathLike | None = None) -> pathlib.Path:
    """The vocabulary in the data directory `data_dir_` when one is given, else the packaged copy."""
    if data_dir_ is not None:
        return data_dir(data_dir_) / VOCABULARY_RELPATH
    return PACKAGED_VOCABULARY
