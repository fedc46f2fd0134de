"""Saving and loading whole models as `.keras` files: atomically, and with errors that name the file.

`keras.saving.load_model` on a damaged file fails deep inside Keras or h5py (a
`BadZipFile`, an `OSError` from HDF5, a `KeyError` on a missing layer). These
helpers check the archive first and turn every failure into a `SavedModelError`
that says which file and what is wrong. `save_model` writes to a temporary
sibling and renames it over the target, so a kill during the write leaves the
previous file usable.
"""

from __future__ import annotations

import os
import pathlib
import warnings
import zipfile

from eelbert_tf.io_utils import write_atomically

KERAS_ARCHIVE_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")


class SavedModelError(ValueError):
    """A saved model that cannot be loaded; the message names the file and the problem."""


def save_model(model, path) -> pathlib.Path:
    """`model.save(path)` through a temporary file and an atomic rename."""
    path = pathlib.Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"save_model writes the Keras v3 format: the path must end in .keras. Received: {path}")
    return write_atomically(model.save, path, path.with_name(f".{path.stem}.tmp-{os.getpid()}.keras"))


def check_keras_archive(path) -> pathlib.Path:
    """Raises SavedModelError unless `path` is a complete `.keras` archive."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Saved model {path} does not exist.")
    if path.is_dir() or path.suffix != ".keras":
        raise SavedModelError(f"Saved model {path}: expected a .keras file written by save_model or model.save.")
    if path.stat().st_size == 0:
        raise SavedModelError(f"Saved model {path} is empty (0 bytes).")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [m for m in KERAS_ARCHIVE_MEMBERS if m not in names]
            if missing:
                raise SavedModelError(f"Saved model {path} lacks {missing}: it is not a complete .keras archive.")
            damaged = archive.testzip()
    except zipfile.BadZipFile as e:
        raise SavedModelError(f"Saved model {path} is not a readable .keras (zip) archive ({e}); "
                              "it may be truncated or not a Keras file.") from None
    if damaged is not None:
        raise SavedModelError(f"Saved model {path} is damaged: member {damaged} fails its CRC check.")
    return path


def load_model(path, compile: bool = False):
    """A model saved by `save_model` (or `model.save`), with named errors for damaged files."""
    import keras

    # The package's classes are registered with Keras by `eelbert_tf/__init__.py`, which Python runs before
    # this module.
    path = check_keras_archive(path)
    try:
        with warnings.catch_warnings():
            # A keras-hub task compiles itself when it is built, so Keras tries to fill that new optimizer from
            # the file's trained one and warns that their variables differ; a model loaded for inference (or to
            # be compiled anew, as fine-tuning does) never uses the saved optimizer state.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return keras.saving.load_model(path, compile=compile)
    except Exception as e:  # Keras and h5py raise many types; the cause is kept as __cause__
        raise SavedModelError(f"Saved model {path} cannot be loaded: {type(e).__name__}: {e}") from e


def save_weights_file(model, path) -> pathlib.Path:
    """`model.save_weights(path)` through a temporary file and an atomic rename."""
    path = pathlib.Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"Weights files end in .weights.h5. Received: {path}")
    tmp = path.with_name(f".{path.name[:-len('.weights.h5')]}.tmp-{os.getpid()}.weights.h5")
    return write_atomically(model.save_weights, path, tmp)


def load_weights_file(model, path) -> None:
    """`model.load_weights(path)` with a named error for a missing, damaged or mismatched file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Weights file {path} does not exist.")
    try:
        model.load_weights(path)
    except Exception as e:
        raise SavedModelError(f"Weights file {path} cannot be loaded into {model.name}: "
                              f"{type(e).__name__}: {e}") from e
