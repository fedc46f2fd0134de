"""Presets: architectures by size, for EELBERT (hash embedding) and BERT (table), and the folders of the shipped
pretrained presets (`pretrained_presets`).

Sizes follow BERT's small models (Turc et al., 2019) plus EELBERT's one-layer
`uno`. Names are `<family>_<size>`: `eelbert_uno`, `bert_tiny`,
`random_hash_tiny` (the paper's hash ablation).
"""

from __future__ import annotations

import json
import pathlib

PRESETS_DIR = pathlib.Path(__file__).resolve().parents[1] / "presets"

SIZES = {
    "uno": dict(num_layers=1, hidden_dim=128, num_heads=2, intermediate_dim=512),
    "tiny": dict(num_layers=2, hidden_dim=128, num_heads=2, intermediate_dim=512),
    "mini": dict(num_layers=4, hidden_dim=256, num_heads=4, intermediate_dim=1024),
    "small": dict(num_layers=4, hidden_dim=512, num_heads=8, intermediate_dim=2048),
    "base": dict(num_layers=12, hidden_dim=768, num_heads=12, intermediate_dim=3072),
}
FAMILIES = {"eelbert": "ngram_hash", "random_hash": "random_hash", "bert": "table"}
COMMON = dict(vocabulary_size=30522, max_sequence_length=512, num_segments=2, dropout=0.1)

BACKBONE_PRESETS = {
    f"{family}_{size}": {**COMMON, **arch, "embedding_type": embedding_type}
    for family, embedding_type in FAMILIES.items()
    for size, arch in SIZES.items()
}


def backbone_config(preset: str) -> dict:
    """The backbone constructor arguments of a preset; ValueError lists the known names."""
    if preset not in BACKBONE_PRESETS:
        shipped = ", ".join(pretrained_presets()) or "none yet"
        raise ValueError(
            f"Unknown preset {preset!r}. Known presets: {', '.join(sorted(BACKBONE_PRESETS))}; "
            f"pretrained: {shipped}."
        )
    return dict(BACKBONE_PRESETS[preset])


def pretrained_presets(presets_dir=None) -> dict:
    """Name -> folder of every shipped pretrained preset."""
    root = pathlib.Path(presets_dir or PRESETS_DIR)
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / "config.json").is_file() and (p / "record.json").is_file()}


# A shipped preset's MLM head (float16 `.npz`, `pretraining.evaluation.export_mlm_head`) lies beside its weights,
# as its record's `shipped.mlm_head_weights` names it. It is a training-only file: in a checkout, not in the wheel
# (pyproject's package-data takes the presets' .json, .h5, .png and .txt files only).
MLM_HEAD_FILE = "mlm_head.npz"


def shipped_mlm_head(name: str, presets_dir=None) -> pathlib.Path:
    """The MLM head of shipped preset `name` (`eelbert evaluate-mlm --preset`, a preset as a pretraining
    teacher). ValueError names why there is none: a preset pretrained on words ships none (its output layer
    predicts training-only targets), and an installed wheel carries none (they are in a checkout)."""
    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r}. Shipped: {', '.join(presets) or 'none'}.")
    record = json.loads((presets[name] / "record.json").read_text())
    head = (record.get("shipped") or {}).get("mlm_head_weights")
    if head is None:
        raise ValueError(f"The record of {name} names no MLM head (a preset pretrained on words ships none).")
    path = presets[name] / head
    if not path.is_file():
        raise ValueError(f"{path} is missing: the presets' MLM heads are training-only files of a checkout of the "
                         "repository, not of the installed package; pass the head's .npz (--mlm-head-weights).")
    return path


def keras_hub_presets(presets_dir=None) -> dict:
    """The shipped presets as keras-hub's registry holds its own (`register_presets`): metadata (description,
    parameters, path) and the handle its loader reads, here the installed folder."""
    entries = {}
    for name, folder in pretrained_presets(presets_dir).items():
        record = json.loads((folder / "record.json").read_text())
        metadata = json.loads((folder / "metadata.json").read_text()) if (folder / "metadata.json").is_file() else {}
        config = json.loads((folder / "config.json").read_text())["config"]
        tokens = (record.get("tokens_seen") or record.get("config", {}).get("tokens") or 0)
        description = (f"EELBERT, {config['num_layers']} layer(s), hidden {config['hidden_dim']}, "
                       f"{config['embedding_type']} embedding, pretrained (masked LM) on "
                       f"{tokens / 1e6:.1f}M tokens of English Wikipedia and books"
                       if config["embedding_type"] != "table" else
                       f"BERT, {config['num_layers']} layer(s), hidden {config['hidden_dim']}, with its token table; "
                       f"pretrained (masked LM) on {tokens / 1e6:.1f}M tokens of English Wikipedia and books")
        entries[name] = {"metadata": {"description": description,
                                      "params": metadata.get("parameter_count"), "path": name},
                         "kaggle_handle": str(folder)}
    return entries
