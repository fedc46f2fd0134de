"""Run an exported .tflite classifier of any format on texts: `TFLiteClassifier`, the runtime's
(`eelbert_lite.runner`, which needs no TensorFlow) with the one format that does: `text` files take the strings,
tokenized in the file by TF Text's kernels (registered, so TensorFlow loads).

`load_predictor` also takes a classifier folder or `.keras` (Keras).
"""

from __future__ import annotations

import pathlib

import numpy as np

from eelbert_lite import runner as lite
from eelbert_lite.runner import prediction_lines  # noqa: F401 - one home, named here for the CLI
from eelbert_tf.classification.classifier_bundle import load_classifier


class TFLiteClassifier(lite.TFLiteClassifier):
    __doc__ = lite.TFLiteClassifier.__doc__

    INPUTS = {**lite.TFLiteClassifier.INPUTS, "text": "_text_inputs"}

    def _text_inputs(self, example) -> dict:  # the file tokenizes the strings (TF Text's kernels)
        return {name: np.array([t.encode("utf-8") if isinstance(t, str) else t], object)
                for name, t in zip(["text", "text_pair"], example)}


def load_predictor(path, vocabulary=None):
    """A classifier to run on texts: a classifier folder or `.keras` (Keras), or a `.tflite` (any
    format). Each has `scores(texts, pairs=None)`, `output_names` and `text_pair`."""
    path = pathlib.Path(path)
    if path.suffix == ".tflite":
        return TFLiteClassifier(path, vocabulary)
    return load_classifier(path)
