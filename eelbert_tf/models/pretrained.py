"""Pretrained presets shipped inside the package, loaded offline by name.

Each lives in `eelbert_tf/presets/<name>/`, in keras-hub's preset layout (what `save_to_preset` writes and
`keras_hub.models.Backbone.from_preset(folder)` reads), plus our evidence:

- `config.json` (the backbone's keras-hub config: class and constructor arguments) and `metadata.json`;
- `model.weights.h5`: every backbone variable, float32 (or float16 where that loses nothing measurable, as
  BERT-tiny's table; the record says which, and loading casts to the variables' float32);
- `tokenizer.json` and `assets/tokenizer/vocabulary.txt` (the WordPiece vocabulary; a words preset has none);
- `record.json`: how the weights were made (config, data and checksums, tokens seen, steps, wall time,
  losses, the commit), written by `preset_writer.export_preset`, and `loss_curve.png`.

Nothing is downloaded; a missing or damaged preset file raises an error naming it.
"""

from __future__ import annotations

import hashlib
import json
import pathlib

import keras_hub
import numpy as np

from eelbert_tf.io_utils import file_sha256
from eelbert_tf.models.preset_folder import PresetError, check_preset_folder
from eelbert_tf.models.presets import PRESETS_DIR, pretrained_presets  # noqa: F401 - the shipped presets' folders

WEIGHTS_FILE = "model.weights.h5"


def load_npz_weights(variables, path, what="Preset weights") -> None:
    """Assigns `variables` from an `.npz` written by `save_npz_weights`; errors name `what`, the file
    and the mismatch (unreadable file, missing or unexpected variables, wrong shapes)."""
    path = pathlib.Path(path)
    try:
        saved = np.load(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"{what} {path} cannot be read: {e}") from None
    names = {v.path for v in variables}
    if set(saved.files) != names:
        raise ValueError(
            f"{what} {path} do not fit the model: missing {sorted(names - set(saved.files))[:3]}, "
            f"unexpected {sorted(set(saved.files) - names)[:3]}."
        )
    for variable in variables:
        value = saved[variable.path]
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(f"{what} {path}: {variable.path} has shape {value.shape}, "
                             f"the model {tuple(variable.shape)}.")
        variable.assign(value.astype(variable.dtype))


def load_pretrained_backbone(name, presets_dir=None, **overrides):
    """A shipped preset's backbone, read by keras-hub's own preset loader from its folder (`overrides` update the
    config, e.g. `dropout=0.1`); the folder is checked first so that a damaged file is refused by name."""
    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r}. Shipped: {', '.join(presets) or 'none'}.")
    folder = presets[name]
    check_preset_folder(folder)
    expected = (json.loads((folder / "record.json").read_text()).get("shipped") or {}).get("weights_sha256")
    if expected and file_sha256(folder / WEIGHTS_FILE) != expected:
        raise PresetError(f"Preset {folder}: {WEIGHTS_FILE} does not match the sha256 its record.json holds "
                          f"({expected[:12]}...); the file is damaged or was replaced. Reinstall the package.")
    return keras_hub.models.Backbone.from_preset(str(folder), **overrides)


def weights_values_sha256(variables) -> str:
    """The sha256 of a model's weight values (path, shape and float32 bytes of each variable, in path order): the
    same for the same weights whatever file held them, so a conversion can be checked bit for bit."""
    digest = hashlib.sha256()
    for v in sorted(variables, key=lambda v: v.path):
        value = np.ascontiguousarray(np.asarray(v.numpy()))
        digest.update(f"{v.path}:{value.dtype}:{value.shape};".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def record_tokenizer(record: dict) -> str:
    """The tokenizer a pretraining run or preset `record` was pretrained on: `"wordpiece"`, or `"words"` for a
    backbone pretrained without a vocabulary (`eelbert pretrain --tokenizer words`)."""
    return record.get("config", {}).get("tokenizer", "wordpiece")


def _constructor_args(config: dict) -> dict:
    """A Keras backbone config less the layer's name and trainable flag: the arguments a preset ships."""
    return {k: v for k, v in config.items() if k not in ("name", "trainable")}


def backbone_fingerprint(config: dict, weights_file) -> str:
    """The sha256 of what a backbone is made of: its weights file and its config. Fine-tuning results are keyed
    by it, so the same weights shipped with another config (another dropout) count as another model."""
    digest = hashlib.sha256(file_sha256(weights_file).encode())
    digest.update(json.dumps(_constructor_args(config), sort_keys=True).encode())
    return digest.hexdigest()


def preset_fingerprint(folder) -> str:
    """`backbone_fingerprint` of a shipped preset folder."""
    folder = pathlib.Path(folder)
    return backbone_fingerprint(json.loads((folder / "config.json").read_text())["config"], folder / WEIGHTS_FILE)


