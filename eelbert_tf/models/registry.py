"""What `--model` names, and how to load it: one home for model resolution.

A model is a pretraining run folder (`record.json` + `backbone.weights.h5`, from `eelbert pretrain`), a shipped
pretrained preset (`eelbert_tf/presets/<name>/`), or an architecture preset (random initialization). Fine-tuning,
GLUE, the masked LM and the classifier's `from_preset` all resolve names here.
"""

from __future__ import annotations

import json
import pathlib

from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.presets import BACKBONE_PRESETS
from eelbert_tf.models.pretrained import backbone_fingerprint, preset_fingerprint, pretrained_presets, record_tokenizer
from eelbert_tf.models.saving import load_weights_file
from eelbert_tf.preprocessing.word_tokenizer import make_tokenizer


def model_source(model: str):
    """What `--model` names, as `(kind, folder)`: `("run", folder)` for a pretraining run folder (`record.json` +
    `backbone.weights.h5`), `("preset", folder)` for a shipped pretrained preset, `("architecture", None)` for an
    architecture preset (random initialization: "no pretraining"). Anything else is refused by name."""
    path = pathlib.Path(model)
    if (path / "record.json").is_file():
        if not (path / "backbone.weights.h5").is_file():
            raise ValueError(f"--model {model!r} has a record.json but no backbone.weights.h5: the run is not "
                             "finished.")
        return "run", path
    preset = pretrained_presets().get(model)
    if preset is not None:
        return "preset", preset
    if model in BACKBONE_PRESETS:
        return "architecture", None
    raise ValueError(f"--model {model!r} is neither a pretraining run folder (with record.json), a shipped "
                     f"pretrained preset ({', '.join(pretrained_presets()) or 'none'}) nor an architecture "
                     f"({', '.join(BACKBONE_PRESETS)}).")


def load_backbone(model: str):
    """The backbone `model` names (`model_source`), with its weights."""
    kind, folder = model_source(model)
    if kind == "run":
        record = json.loads((folder / "record.json").read_text())
        backbone = EelbertBackbone.from_config(record["backbone_config"])
        load_weights_file(backbone, folder / "backbone.weights.h5")
        return backbone
    return EelbertBackbone.from_preset(model)  # shipped weights, or a fresh architecture


def pretraining_tokenizer(model: str) -> str:
    """The tokenizer `model` was pretrained on, which fine-tuning uses unless told otherwise: `"words"` for a
    backbone pretrained without a vocabulary (`eelbert pretrain --tokenizer words`), else `"wordpiece"`
    (WordPiece presets and runs, and architecture presets, which are not pretrained)."""
    kind, folder = model_source(model)
    if kind == "architecture":
        return "wordpiece"
    return record_tokenizer(json.loads((folder / "record.json").read_text()))


def model_fingerprint(model: str) -> str | None:
    """The `backbone_fingerprint` (weights and config) of what `model` names; None for an architecture (random
    initialization, whose config is the architecture's)."""
    kind, folder = model_source(model)
    if kind == "run":
        record = json.loads((folder / "record.json").read_text())
        return backbone_fingerprint(record["backbone_config"], folder / "backbone.weights.h5")
    return preset_fingerprint(folder) if kind == "preset" else None


def preset_tokenizer(preset):
    """The tokenizer a shipped or architecture preset was (or will be) pretrained with, as `eelbert finetune`
    picks it (`pretraining_tokenizer`): WordPiece over the packaged BERT vocabulary, or the vocabulary-free
    words tokenizer for a backbone pretrained on words."""
    return make_tokenizer(pretraining_tokenizer(preset))


def task_from_name(task_class, preprocessor_class, preset, load_weights: bool, kwargs: dict):
    """A task (`EelbertTextClassifier`, `EelbertMaskedLM`) from a shipped pretrained preset or an architecture
    name: the backbone (`EelbertBackbone.from_preset`), a new head, and with `preprocessor="auto"` (the default)
    the preprocessor of the tokenizer the backbone was pretrained with, at `sequence_length` (default 128).
    None for any other preset: the task's `from_preset` hands it to keras-hub's loader."""
    if not (isinstance(preset, str) and (preset in BACKBONE_PRESETS or preset in pretrained_presets())):
        return None
    preprocessor = kwargs.pop("preprocessor", "auto")
    sequence_length = kwargs.pop("sequence_length", 128)
    backbone = EelbertBackbone.from_preset(preset, load_weights=load_weights)
    if preprocessor == "auto":
        preprocessor = preprocessor_class(preset_tokenizer(preset), sequence_length=sequence_length)
    return task_class(backbone, preprocessor=preprocessor, **kwargs)
