"""Writing presets (release tooling's side of `pretrained.py`): a finished pretraining run into a shipped preset
folder in keras-hub's layout with its record (`export_preset`), a former-layout folder converted in place
(`to_keras_hub_preset`), and the record's shipped config and evaluation. Each folder is swapped in whole."""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import numpy as np

from eelbert_tf.io_utils import file_sha256, replace_folder, write_json_atomically
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.presets import PRESETS_DIR, pretrained_presets
from eelbert_tf.models.pretrained import (
    WEIGHTS_FILE,
    _constructor_args,
    load_npz_weights,
    record_tokenizer,
    weights_values_sha256,
)
from eelbert_tf.models.saving import load_weights_file
from eelbert_tf.preprocessing.word_tokenizer import make_tokenizer


def save_npz_weights(variables, path, dtype="float32") -> None:
    """Variables by their path into an `.npz` file, cast to `dtype`."""
    np.savez_compressed(path, **{v.path: np.asarray(v.numpy()).astype(dtype) for v in variables})


def _store_weights_as(path, dtype) -> None:
    """Rewrites a Keras `.weights.h5` with its float arrays stored as `dtype` (a fresh file: HDF5 does not give
    back the space of deleted datasets). Only for weights that `dtype` holds exactly (a preset exported in it)."""
    import h5py

    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".cast")
    with h5py.File(path, "r") as src, h5py.File(tmp, "w") as dst:
        def copy(source, target):
            target.attrs.update(dict(source.attrs))
            for key, item in source.items():
                if isinstance(item, h5py.Group):
                    copy(item, target.create_group(key))
                else:
                    value = item[()]
                    if np.issubdtype(value.dtype, np.floating):
                        cast = value.astype(dtype)
                        if not np.array_equal(cast.astype(value.dtype), value):
                            raise ValueError(f"{path}: {item.name} is not exact in {dtype}.")
                        value = cast
                    target.create_dataset(key, data=value)
                    target[key].attrs.update(dict(item.attrs))
        copy(src, dst)
    os.replace(tmp, path)


def write_preset_folder(backbone, tokenizer, folder, dtype="float32") -> None:
    """`backbone` and `tokenizer` saved by keras-hub's `save_to_preset` into `folder` (new), the weights stored
    as `dtype`."""
    if dtype != "float32":
        for v in backbone.weights:  # the values the file will hold, so that loading gives them back exactly
            v.assign(np.asarray(v.numpy()).astype(dtype).astype(v.dtype))
    backbone.save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    if dtype != "float32":
        _store_weights_as(pathlib.Path(folder) / WEIGHTS_FILE, dtype)


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
    keras_config = json.loads((folder / "config.json").read_text())
    keras_config["config"] = {**{k: keras_config["config"][k] for k in ("name", "trainable")
                                 if k in keras_config["config"]}, **config}
    write_json_atomically(folder / "config.json", keras_config)
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
    (`bench/archive/finetune_diagnosis.py`).
    """
    run_dir = pathlib.Path(run_dir)
    record = json.loads((run_dir / "record.json").read_text())
    config = _shipped_config(record, config_updates)
    backbone = EelbertBackbone.from_config(record["backbone_config"])
    load_weights_file(backbone, run_dir / "backbone.weights.h5")
    if config_updates:
        shipped = EelbertBackbone.from_config(config)
        for target, source in zip(shipped.weights, backbone.weights):
            target.assign(source)
        backbone = shipped
    root = pathlib.Path(presets_dir or PRESETS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    folder, tmp = root / name, root / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    write_preset_folder(backbone, make_tokenizer(record_tokenizer(record)), tmp, dtype=dtype)
    record = dict(record)
    record["shipped"] = {
        "name": name, "weights_dtype": dtype, "parameters": int(backbone.count_params()),
        "weights_sha256": file_sha256(tmp / WEIGHTS_FILE), "weights_values_sha256": weights_values_sha256(backbone.weights),
        **({"config_updates": dict(config_updates)} if config_updates else {}),
    }
    (tmp / "record.json").write_text(json.dumps(record, indent=2) + "\n")
    if (run_dir / "loss_curve.png").exists():
        shutil.copy(run_dir / "loss_curve.png", tmp / "loss_curve.png")
    return replace_folder(tmp, folder)  # a kill leaves either the previous preset or the new one


def to_keras_hub_preset(folder) -> pathlib.Path:
    """Converts a preset folder of eelbert_tf's former layout (`config.json` of constructor arguments,
    `weights.npz`, `record.json`) into keras-hub's, in place and whole (a kill leaves the former folder): the same
    weight values bit for bit (`weights_values_sha256`, recorded under `shipped`), stored in the dtype the record
    names, with the tokenizer the record names. Returns the folder."""
    folder = pathlib.Path(folder)
    if not (folder / "weights.npz").is_file():
        raise ValueError(f"{folder} has no weights.npz: it is not a preset of the former layout.")
    config = json.loads((folder / "config.json").read_text())
    record_path = folder / "record.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"shipped": {}}
    backbone = EelbertBackbone.from_config(config)
    load_npz_weights(backbone.weights, folder / "weights.npz")
    values = weights_values_sha256(backbone.weights)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    dtype = (record.get("shipped") or {}).get("weights_dtype", "float32")
    write_preset_folder(backbone, make_tokenizer(record_tokenizer(record)), tmp, dtype=dtype)
    shipped = record.setdefault("shipped", {})
    shipped["converted_from"] = {"layout": "config.json + weights.npz", "weights_npz_sha256": file_sha256(folder / "weights.npz")}
    shipped.update(weights_sha256=file_sha256(tmp / WEIGHTS_FILE), weights_values_sha256=values)
    (tmp / "record.json").write_text(json.dumps(record, indent=2) + "\n")
    for extra in sorted(folder.iterdir()):  # the loss curve, a staged run's train log
        if extra.name not in ("config.json", "weights.npz", "record.json") and extra.is_file():
            shutil.copy2(extra, tmp / extra.name)
    return replace_folder(tmp, folder)
