"""Pretrained presets shipped inside the package, loaded offline by name.

Each lives in `eelbert_tf/presets/<name>/`:

- `config.json`: the backbone's constructor arguments;
- `weights.npz`: every backbone variable by path, float32 (or float16 where that
  loses nothing measurable; the record says which);
- `record.json`: how the weights were made (config, data and checksums, tokens
  seen, steps, wall time, losses, the commit), written by `export_preset`.

Nothing is downloaded; a missing or damaged preset file raises an error naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil

import numpy as np

from eelbert_tf.io_utils import file_sha256, write_json_atomically
from eelbert_tf.models.saving import load_weights_file

PRESETS_DIR = pathlib.Path(__file__).resolve().parents[1] / "presets"


def pretrained_presets(presets_dir=None) -> dict:
    """Name -> folder of every shipped pretrained preset."""
    root = pathlib.Path(presets_dir or PRESETS_DIR)
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / "config.json").is_file()}


def save_npz_weights(variables, path, dtype="float32") -> None:
    """Variables by their path into an `.npz` file, cast to `dtype`."""
    np.savez_compressed(path, **{v.path: np.asarray(v.numpy()).astype(dtype) for v in variables})


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
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone

    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r}. Shipped: {', '.join(presets) or 'none'}.")
    folder = presets[name]
    config = json.loads((folder / "config.json").read_text())
    backbone = EelbertBackbone.from_config({**config, **overrides})
    load_npz_weights(backbone.weights, folder / "weights.npz")
    return backbone


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
    return backbone_fingerprint(json.loads((folder / "config.json").read_text()), folder / "weights.npz")


def _shipped_config(record, config_updates):
    """A run's backbone config as a preset ships it: constructor arguments, with `config_updates` applied."""
    config = _constructor_args(record["backbone_config"])
    unknown = sorted(set(config_updates or {}) - set(config))
    if unknown:
        raise ValueError(f"config_updates {unknown} are not backbone settings ({sorted(config)}).")
    return {**config, **(config_updates or {})}


def set_shipped_config(name, config_updates=None, presets_dir=None) -> dict:
    """Rewrites a shipped preset's `config.json` as its run's backbone config with `config_updates` (None: exactly
    as pretrained), and names the updates in its record. The weights do not change; their fingerprint
    (`preset_fingerprint`) does, so fine-tuning results of the former config are not reused."""
    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r} in {presets_dir or PRESETS_DIR}. Shipped: "
                         f"{', '.join(presets) or 'none'}.")
    folder = presets[name]
    record = json.loads((folder / "record.json").read_text())
    config = _shipped_config(record, config_updates)
    record["shipped"].pop("config_updates", None)
    if config_updates:
        record["shipped"]["config_updates"] = dict(config_updates)
    write_json_atomically(folder / "config.json", config)
    write_json_atomically(folder / "record.json", record)
    return config


def record_shipped_evaluation(name, evaluation: dict, mlm_head_weights, presets_dir=None) -> dict:
    """Adds the held-out MLM figures of the weights as shipped (`evaluate_preset`) to a preset's record, and the
    MLM head that measures them (None for a backbone pretrained on words, whose head predicts training-only
    targets and is not shipped: its float32 weights are the run's own, evaluated by the run)."""
    folder = pretrained_presets(presets_dir)[name]
    record = json.loads((folder / "record.json").read_text())
    record["shipped"].update(heldout_mlm_loss=evaluation["loss"], heldout_mlm_accuracy=evaluation["accuracy"],
                             mlm_head_weights=None if mlm_head_weights is None else str(mlm_head_weights))
    write_json_atomically(folder / "record.json", record)
    return record


def export_preset(run_dir, name, presets_dir=None, dtype="float32", config_updates=None) -> pathlib.Path:
    """Copies a finished pretraining run into a shipped preset (backbone only, no optimizer).

    `config_updates` changes settings that do not touch the weights in the shipped config (a dropout, say); the
    record keeps the pretraining config and names the updates. The presets ship with none: fine-tuning a
    model pretrained without dropout with dropout 0.1 cost BERT-tiny most of its STS-B and CoLA
    (`bench/finetune_diagnosis.py`).
    """
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone

    run_dir = pathlib.Path(run_dir)
    record = json.loads((run_dir / "record.json").read_text())
    backbone = EelbertBackbone.from_config(record["backbone_config"])
    load_weights_file(backbone, run_dir / "backbone.weights.h5")
    root = pathlib.Path(presets_dir or PRESETS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    folder, tmp, old = root / name, root / f".{name}.tmp-{os.getpid()}", root / f".{name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    config = _shipped_config(record, config_updates)
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_npz_weights(backbone.weights, tmp / "weights.npz", dtype=dtype)
    record = dict(record)
    record["shipped"] = {
        "name": name, "weights_dtype": dtype, "parameters": int(backbone.count_params()),
        "weights_sha256": file_sha256(tmp / "weights.npz"),
        **({"config_updates": dict(config_updates)} if config_updates else {}),
    }
    (tmp / "record.json").write_text(json.dumps(record, indent=2) + "\n")
    if (run_dir / "loss_curve.png").exists():
        shutil.copy(run_dir / "loss_curve.png", tmp / "loss_curve.png")
    # Swap in whole: a kill leaves either the previous preset or the new one, never half of each.
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder
