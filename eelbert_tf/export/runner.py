"""Run an exported .tflite classifier of any format on texts: `TFLiteClassifier`, the runtime's
(`eelbert_lite.runner`, which needs no TensorFlow) with the inputs that need this package or TensorFlow:

- `text` files take the strings, tokenized in the file by TF Text's kernels (registered, so TensorFlow loads);
- `micro` files take int8 token vectors: the tokens' hashed embeddings by the NumPy reference of the hash
  (`eelbert_tf.hashing`), what `tflite/c/eelbert_micro_input.c` computes on the device; TFLite Micro runs them;
- files of the vocabulary-free words tokenizer outside the graph (`bytes`, `micro`) tokenize with
  `EelbertWordTokenizer`.

`load_predictor` also takes a classifier folder or `.keras` (Keras).
"""

from __future__ import annotations

import pathlib

import numpy as np
import tensorflow as tf

from eelbert_lite import runner as lite
from eelbert_lite.runner import prediction_lines  # noqa: F401 - one home, named here for the CLI
from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_tf.export.micro_format import micro_interpreter, quantized_inputs
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer


class TFLiteClassifier(lite.TFLiteClassifier):
    __doc__ = lite.TFLiteClassifier.__doc__

    def _runtime(self, content, tflite, reference_kernels):
        if self.format == "micro" and not reference_kernels:  # TFLite Micro itself (else TFLite's reference kernels)
            return _MicroInterpreter(content, self.meta, tflite)
        return tflite

    INPUTS = {**lite.TFLiteClassifier.INPUTS, "text": "_text_inputs", "micro": "_micro_inputs"}

    def _tokenizer(self, content, vocabulary):
        if self.meta.get("tokenizer") != "words":
            return super()._tokenizer(content, vocabulary)

        words = EelbertWordTokenizer(self.meta["max_word_bytes"])
        # Tokens stay bytes: a word cut at max_word_bytes may end inside a character.
        return lambda text: words(tf.constant(text))["tokens"].numpy().tolist()

    def _text_inputs(self, example) -> dict:  # the file tokenizes the strings (TF Text's kernels)
        return {name: np.array([t.encode("utf-8") if isinstance(t, str) else t], object)
                for name, t in zip(["text", "text_pair"], example)}

    def _micro_inputs(self, example) -> dict:
        tokens = [self.tokenize(t) for t in example]
        return quantized_inputs(tokens[0], tokens[1] if len(tokens) > 1 else None, self.meta)


class _MicroInterpreter:
    """TFLite Micro's Python interpreter behind the `set_tensor`/`invoke`/`get_tensor` calls the runner
    makes of a TFLite interpreter (tensor indices from the TFLite interpreter of the same file)."""

    def __init__(self, content, meta, tflite_interpreter):
        self.micro = micro_interpreter(content, meta.get("arena_bytes") or (1 << 20))
        order = [d["index"] for d in tflite_interpreter.get_input_details()]
        self.position = {index: i for i, index in enumerate(order)}

    def set_tensor(self, index, value):
        self.micro.set_input(value, self.position[index])

    def invoke(self):
        self.micro.invoke()

    def get_tensor(self, index):
        return self.micro.get_output(0)


def load_predictor(path, vocabulary=None):
    """A classifier to run on texts: a classifier folder or `.keras` (Keras), or a `.tflite` (any
    format). Each has `scores(texts, pairs=None)`, `output_names` and `text_pair`."""
    path = pathlib.Path(path)
    if path.suffix == ".tflite":
        return TFLiteClassifier(path, vocabulary)
    return load_classifier(path)
