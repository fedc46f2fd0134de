"""Run an exported .tflite classifier on texts, as a device would: `TFLiteClassifier`, with LiteRT (TFLite Micro for
`micro` files) and NumPy.

The file describes itself (its `eelbert_tf` metadata: format, labels, sequence length, byte width, tokenizer).
Each format's inputs are prepared here the way an app prepares them:

- `mediapipe`: WordPiece ids, with the vocabulary the file carries (what MediaPipe's BERT tokenizer computes);
- `bytes`: the tokens' UTF-8 bytes: WordPiece with the vocabulary given (default: the BERT uncased vocabulary
  that ships with eelbert_tf), or the vocabulary-free words tokenizer;
- `utf8`: the text's UTF-8 bytes (the words tokenizer runs in the file);
- `micro`: int8 token vectors, each token's hash vector by the NumPy reference, run by TFLite Micro's interpreter.

Each is built by `eelbert_lite.inputs` (and `eelbert_lite.micro`), which int8 calibration uses too: WordPiece and
packing from `eelbert_lite.wordpiece` (tested equal to the Keras preprocessor), the words tokenizer from the
specification's reference (tested equal to the Keras layer on the golden file). Only `text` files need TensorFlow
(TF Text's kernels run in the file): they raise `NeedsEelbertTF` here, and `eelbert_tf.export.runner.TFLiteClassifier`
(this class and those inputs) runs them.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

from eelbert_lite import inputs as prepare, micro
from eelbert_lite.model_file import ExportError, make_interpreter, packed_vocabulary, read_metadata
from eelbert_lite.vocabulary import load_vocabulary, vocabulary_sha256

class NeedsEelbertTF(ExportError):
    """A file whose inputs this runtime cannot prepare without eelbert_tf (and TensorFlow)."""


def packaged_vocabulary() -> pathlib.Path:
    """The BERT uncased vocabulary that ships inside eelbert_tf (found without importing it: its import loads
    TensorFlow)."""
    spec = importlib.util.find_spec("eelbert_tf")
    if spec is None or not spec.submodule_search_locations:
        raise ExportError("No vocabulary given and eelbert_tf (which ships the BERT uncased vocabulary) is not "
                          "installed: pass the model's vocabulary (--vocab).")
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "presets" / "vocab" / "bert_uncased_vocab.txt"


class TFLiteClassifier:
    """A .tflite classifier from `eelbert export`: `scores(texts, pairs=None)`, `output_names`, `label_names`,
    `text_pair`.

    Args:
        path: the .tflite file.
        vocabulary: a `bytes` file's WordPiece vocabulary (a list or a file); default the packaged BERT
            vocabulary. Checked against the digest the file records.
        reference_kernels: run TFLite's reference kernels (what TFLite Micro is compared with).
    """

    def __init__(self, path, vocabulary=None, reference_kernels: bool = False):
        self.path = pathlib.Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"--model {self.path} does not exist.")
        content = self.path.read_bytes()
        self.meta = read_metadata(content, self.path)
        self.format = self.meta["format"]
        self._check_runnable()
        try:
            tflite = make_interpreter(content, custom_ops=self.format == "text", reference_kernels=reference_kernels)
        except (RuntimeError, ValueError) as e:
            raise ExportError(f"{self.path} could not be loaded by the TFLite interpreter ({e}).") from None
        self.inputs = {d["name"]: d for d in tflite.get_input_details()}
        self.output = tflite.get_output_details()[0]
        self.interpreter = self._runtime(content, tflite, reference_kernels)
        self.tokenize = self._tokenizer(content, vocabulary) if self.format in self.TOKENIZED else None

    def _check_runnable(self):
        if self.format not in self.INPUTS:
            raise NeedsEelbertTF(f"{self.path} (a {self.format} file) is run by "
                                 "eelbert_tf.export.runner.TFLiteClassifier.")

    def _runtime(self, content, tflite, reference_kernels):
        """What runs the file: TFLite Micro's interpreter for a `micro` file (unless `reference_kernels`: TFLite's
        reference kernels, what Micro is compared with), else the TFLite interpreter."""
        if self.format == "micro" and not reference_kernels:
            return micro.MicroInterpreter(content, self.meta, tflite)
        return tflite

    @property
    def label_names(self):
        return self.meta["label_names"]

    @property
    def output_names(self):
        return ["score"] if self.meta["regression"] else self.meta["label_names"]

    @property
    def text_pair(self) -> bool:
        return bool(self.meta["text_pair"])

    def _tokenizer(self, content, vocabulary):
        """text -> tokens: the words tokenizer's, or WordPiece's with the vocabulary the file was exported with."""
        if self.meta.get("tokenizer") == "words":
            return prepare.tokenizer("words", max_word_bytes=self.meta["max_word_bytes"])
        if vocabulary is None:
            vocabulary = packed_vocabulary(content, self.path) if self.format == "mediapipe" \
                else packaged_vocabulary()
        tokens = load_vocabulary(vocabulary)
        digest = vocabulary_sha256(tokens)
        if self.meta.get("vocabulary_sha256", digest) != digest:
            raise ExportError(f"{self.path} was exported with another vocabulary than the one given "
                              "(sha256 differs): pass the model's vocabulary (--vocab).")
        self.vocabulary = tokens
        self._ids = {t: i for i, t in enumerate(tokens)}
        return prepare.tokenizer("wordpiece", tokens)

    def _packed(self, example):
        return prepare.packed(self.tokenize, example, self.meta["sequence_length"])

    # The inputs of each format this runtime runs, by the method that prepares them from one example (one text,
    # or a pair); eelbert_tf.export.runner adds `text`. TOKENIZED: the formats fed tokens.
    INPUTS = {"mediapipe": "_mediapipe_inputs", "bytes": "_bytes_inputs", "utf8": "_utf8_inputs",
              "micro": "_micro_inputs"}
    TOKENIZED = ("mediapipe", "bytes", "micro")

    def _example_inputs(self, example) -> dict:
        return getattr(self, self.INPUTS[self.format])(example)

    def _utf8_inputs(self, example) -> dict:
        return {name: prepare.text_bytes(t, int(self.inputs[name]["shape"][-1]))
                for name, t in zip(["text_bytes", "text_pair_bytes"], example)}

    def _mediapipe_inputs(self, example) -> dict:
        return prepare.mediapipe_inputs(*self._packed(example), self._ids, self.meta["sequence_length"])

    def _bytes_inputs(self, example) -> dict:
        return prepare.bytes_inputs(*self._packed(example), self.meta["token_byte_width"],
                                   self.meta["sequence_length"], self.path)

    def _micro_inputs(self, example) -> dict:
        tokens = [self.tokenize(t) for t in example]
        return micro.quantized_inputs(tokens[0], tokens[1] if len(tokens) > 1 else None, self.meta)

    def _dequantize(self, values):
        scale, zero_point = self.output["quantization"]
        if values.dtype == np.int8:
            return (values.astype(np.float32) - zero_point) * np.float32(scale)
        return values.astype(np.float32)

    def scores(self, texts, pairs=None) -> np.ndarray:
        """Probabilities (or the regression value), `[n, outputs]`, one invoke per example."""
        if self.text_pair and pairs is None:
            raise ValueError(f"{self.path} takes text pairs: give the second texts (--pair).")
        if not self.text_pair and pairs is not None:
            raise ValueError(f"{self.path} takes one text per example, not pairs.")
        out = []
        for i, text in enumerate(texts):
            example = [text] + ([pairs[i]] if pairs is not None else [])
            for name, value in self._example_inputs(example).items():
                self.interpreter.set_tensor(self.inputs[name]["index"], value)
            self.interpreter.invoke()
            out.append(self._dequantize(self.interpreter.get_tensor(self.output["index"])[0]))
        return np.stack(out) if out else np.zeros([0, len(self.output_names)], np.float32)


def prediction_lines(predictor, scores) -> list[str]:
    """One line per example: the label (argmax; for regression the value), then every score."""
    names = predictor.output_names
    lines = []
    for row in scores:
        label = f"{row[0]:.4f}" if names == ["score"] else names[int(np.argmax(row))]
        lines.append(label + "\t" + " ".join(f"{n}={v:.4f}" for n, v in zip(names, row)))
    return lines
