"""`eelbert convert OLD NEW`: a classifier saved with the former classes, rewritten once as today's.

Before the keras-hub task, a classifier was an `EelbertClassifier` (a `keras.Model` with a head on the `[CLS]`
pooler) and its preprocessor an `EelbertPreprocessor`. Those classes live only in this module and nothing
registers them with Keras: `load_classifier` refuses a former file in one line naming this command, and the
conversion reads it with them in a custom-object scope, moves the same weights into an `EelbertTextClassifier`
with an `EelbertTextClassifierPreprocessor`, and writes the new folder (or `.keras` file) whole.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import keras

from eelbert_tf.classification.classifier_bundle import KERAS_FILE, former_classes
from eelbert_tf.io_utils import replace_folder
from eelbert_tf.models.eelbert_backbone import bert_kernel_initializer
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.models.saving import save_model


class _FormerClassifier(keras.Model):
    """The former `EelbertClassifier`: a backbone with a dense head on the pooled `[CLS]` output."""

    def __init__(self, backbone, num_classes, dropout=0.1, **kwargs):
        self.backbone = backbone
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.output_dense = keras.layers.Dense(num_classes, kernel_initializer=bert_kernel_initializer(),
                                               name="logits")
        inputs = dict(backbone.input)
        outputs = self.output_dense(self.output_dropout(backbone(inputs)["pooled_output"]))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.num_classes, self.dropout = num_classes, dropout

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


class _FormerPreprocessor(EelbertTextClassifierPreprocessor):
    """The former `EelbertPreprocessor`: the same layer under its old name."""


FORMER_OBJECTS = {"eelbert_tf>EelbertClassifier": _FormerClassifier,
                  "eelbert_tf>EelbertPreprocessor": _FormerPreprocessor}


def _converted(model):
    if isinstance(model, _FormerClassifier):
        new = EelbertTextClassifier(model.backbone, model.num_classes, dropout=model.dropout)
        new.output_dense.set_weights(model.output_dense.get_weights())
        model = new
    if isinstance(getattr(model, "preprocessor", None), _FormerPreprocessor):
        old = model.preprocessor
        model.preprocessor = EelbertTextClassifierPreprocessor(old.tokenizer, sequence_length=old.sequence_length)
    return model


def convert(old, new) -> pathlib.Path:
    """Writes `new` from the former classifier `old` (a classifier folder, or a `.keras` file); returns `new`."""
    old, new = pathlib.Path(old), pathlib.Path(new)
    if not old.exists():
        raise FileNotFoundError(f"eelbert convert: {old} does not exist.")
    keras_file = old / KERAS_FILE if old.is_dir() else old
    if not keras_file.is_file():
        raise ValueError(f"eelbert convert: {old} is neither a classifier folder (with {KERAS_FILE}) nor a .keras file.")
    if not former_classes(keras_file):
        raise ValueError(f"eelbert convert: {keras_file} holds no former class (EelbertClassifier, "
                         "EelbertPreprocessor): it loads as it is.")
    if new.exists():
        raise FileExistsError(f"eelbert convert: {new} exists: choose a new path.")
    with keras.saving.custom_object_scope(FORMER_OBJECTS):
        model = keras.saving.load_model(keras_file, compile=False)
    model = _converted(model)
    if old.is_file():
        if new.suffix != ".keras":
            raise ValueError(f"eelbert convert: {new}: a .keras file converts to a path ending in .keras.")
        tmp_file = new.with_name(f".{new.stem}.tmp-{os.getpid()}.keras")
        try:
            save_model(model, tmp_file)
            os.replace(tmp_file, new)
        finally:
            tmp_file.unlink(missing_ok=True)
        return new
    tmp = new.with_name(f".{new.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(old, tmp)
        (tmp / KERAS_FILE).unlink()
        save_model(model, tmp / KERAS_FILE)
        replace_folder(tmp, new)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return new
