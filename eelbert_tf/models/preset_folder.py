"""Checks on a keras-hub preset folder before keras-hub's loader reads it, so that a folder that is missing a
file, cut short or damaged is refused with its name and the file, not with an h5py or JSON trace.

A preset folder (keras-hub's layout, written by `save_to_preset`): `config.json` and `metadata.json`,
`model.weights.h5` (or its shards and `model.weights.json`), the tokenizer's `tokenizer.json` and
`assets/tokenizer/*`, and for a task `task.json`, `task.weights.h5` and `preprocessor.json`.
"""

from __future__ import annotations

import json
import os
import pathlib

from eelbert_tf.models.presets import BACKBONE_PRESETS, pretrained_presets

REMOTE_SCHEMES = ("kaggle://", "hf://", "gs://", "modelscope://")


class PresetError(ValueError):
    """A preset that cannot be loaded; the message names the folder, the file and the problem."""


def _json(folder, name, required=True):
    path = folder / name
    if not path.is_file():
        if required:
            raise PresetError(f"Preset {folder} lacks {name}: a keras-hub preset folder (written by "
                              "`save_to_preset`) has config.json, metadata.json and model.weights.h5.")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise PresetError(f"Preset {folder}: {name} is not valid JSON ({e}); the file may be cut short.") from None


def _h5(folder, name):
    import h5py

    path = folder / name
    if not path.is_file() or path.stat().st_size == 0:
        raise PresetError(f"Preset {folder} lacks {name} (or it is empty).")
    try:
        with h5py.File(path, "r") as f:
            f.visit(lambda _: None)
    except (OSError, RuntimeError) as e:
        raise PresetError(f"Preset {folder}: {name} is not a readable HDF5 weights file ({e}); it may be cut "
                          "short or damaged.") from None


def check_preset_folder(preset) -> None:
    """Raises `PresetError` for a local preset folder that is incomplete or damaged, and `ValueError` for a
    name that is neither a shipped preset, a folder nor a remote handle. Remote handles (`kaggle://`,
    `hf://`) pass: keras-hub downloads and checks them."""
    if not isinstance(preset, (str, os.PathLike)):
        raise ValueError(f"A preset is a name, a folder or a handle. Received {type(preset).__name__}.")
    text = os.fspath(preset)
    if text.startswith(REMOTE_SCHEMES):
        return
    folder = pathlib.Path(text)
    if not folder.exists():
        raise ValueError(f"Unknown preset {text!r}: not a shipped preset ({', '.join(pretrained_presets())}), "
                         f"not an architecture ({', '.join(sorted(BACKBONE_PRESETS))}), and no folder of that "
                         "name exists.")
    if not folder.is_dir():
        raise PresetError(f"Preset {folder} is a file; a preset is a folder written by `save_to_preset`.")
    if (folder / "weights.npz").is_file() and not (folder / "metadata.json").is_file():
        raise PresetError(f"Preset {folder} is in eelbert_tf's former layout (config.json, weights.npz): load it "
                          "by its shipped name, or convert it with `eelbert_tf.models.preset_writer.to_keras_hub_preset`.")
    config = _json(folder, "config.json")
    _json(folder, "metadata.json")
    if not isinstance(config, dict) or "class_name" not in config:
        raise PresetError(f"Preset {folder}: config.json is not a keras-hub backbone config (no class_name).")
    if (folder / "model.weights.json").is_file():  # sharded weights
        for shard in _json(folder, "model.weights.json").get("weight_map", {}).values():
            for name in [shard] if isinstance(shard, str) else shard:
                _h5(folder, name)
    else:
        _h5(folder, "model.weights.h5")
    task = _json(folder, "task.json", required=False)
    if task is not None and (folder / "task.weights.h5").exists():
        _h5(folder, "task.weights.h5")
    tokenizer = _json(folder, "tokenizer.json", required=False)
    if tokenizer is not None:
        assets = folder / "assets" / "tokenizer"
        if tokenizer.get("class_name") == "EelbertTokenizer" and not (assets / "vocabulary.txt").is_file():
            raise PresetError(f"Preset {folder} lacks assets/tokenizer/vocabulary.txt, the tokenizer's vocabulary.")
    _json(folder, "preprocessor.json", required=False)
