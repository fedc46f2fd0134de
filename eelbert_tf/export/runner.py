"""Run an exported .tflite classifier of any format on texts, as a device would: `TFLiteClassifier`.

The file describes itself (its `eelbert_tf` metadata: format, labels, sequence length,
byte width). `text` files take the strings; for `mediapipe` and `bytes` files the texts
are tokenized and packed in Python first, as an app (or MediaPipe's BERT tokenizer) does on
the device, with the vocabulary the file carries (`mediapipe`) or the one given, or with the vocabulary-free words
tokenizer the file names. `utf8` files take the texts' UTF-8 bytes.
"""

from __future__ import annotations

import io
import pathlib
import zipfile

import numpy as np

from eelbert_tf.export.core import ExportError, read_metadata


class TFLiteClassifier:
    def __init__(self, path, vocabulary=None, reference_kernels: bool = False):
        from eelbert_tf.export.interpreter import make_interpreter

        self.path = pathlib.Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"--model {self.path} does not exist.")
        content = self.path.read_bytes()
        self.meta = read_metadata(content, self.path)
        self.format = self.meta["format"]
        try:
            self.interpreter = make_interpreter(content, custom_ops=self.format == "text",
                                                reference_kernels=reference_kernels)
        except (RuntimeError, ValueError) as e:
            raise ExportError(f"{self.path} could not be loaded by the TFLite interpreter ({e}).") from None
        self.inputs = {d["name"]: d for d in self.interpreter.get_input_details()}
        self.output = self.interpreter.get_output_details()[0]
        self.preprocessor = None
        if self.format in ("mediapipe", "bytes", "micro"):
            self.preprocessor = self._preprocessor(content, vocabulary)
        if self.format == "micro" and not reference_kernels:  # TFLite Micro itself (else TFLite's reference kernels)
            self.interpreter = _MicroInterpreter(content, self.meta, self.interpreter)

    @property
    def label_names(self):
        return self.meta["label_names"]

    @property
    def output_names(self):
        return ["score"] if self.meta["regression"] else self.meta["label_names"]

    @property
    def text_pair(self) -> bool:
        return bool(self.meta["text_pair"])

    def _preprocessor(self, content, vocabulary):
        from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
        from eelbert_tf.preprocessing import EelbertTokenizer, EelbertWordTokenizer
        from eelbert_tf.preprocessing.vocabulary import vocabulary_sha256

        if self.meta.get("tokenizer") == "words":
            return EelbertTextClassifierPreprocessor(EelbertWordTokenizer(self.meta["max_word_bytes"]),
                                                     sequence_length=self.meta["sequence_length"])
        if vocabulary is None and self.format == "mediapipe":
            # MediaPipe's metadata packs the vocabulary into the file (a zip appended to the flatbuffer).
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = [n for n in archive.namelist() if n.endswith(".txt") and "label" not in n]
                vocabulary = archive.read(names[0]).decode("utf-8").splitlines()
        tokenizer = EelbertTokenizer(vocabulary)
        digest = vocabulary_sha256(tokenizer.vocabulary)
        if self.meta.get("vocabulary_sha256", digest) != digest:
            raise ExportError(f"{self.path} was exported with another vocabulary than the one given "
                              "(sha256 differs): pass the model's vocabulary (--vocab).")
        return EelbertTextClassifierPreprocessor(tokenizer, sequence_length=self.meta["sequence_length"])

    def _example_inputs(self, example) -> dict:
        from eelbert_tf.export.inputs import bytes_inputs, id_inputs

        if self.format == "text":
            return {name: np.array([t.encode("utf-8") if isinstance(t, str) else t], object)
                    for name, t in zip(["text", "text_pair"], example)}
        if self.format == "mediapipe":
            return id_inputs(self.preprocessor, example, self.text_pair)
        if self.format == "utf8":
            from eelbert_tf.export.utf8_format import text_bytes

            return {name: text_bytes(t, int(self.inputs[name]["shape"][-1]))
                    for name, t in zip(["text_bytes", "text_pair_bytes"], example)}
        if self.format == "micro":
            from eelbert_tf.export.micro_format import quantized_inputs

            import tensorflow as tf

            tokenize = lambda t: self.preprocessor.tokenizer(tf.constant(t))["tokens"].numpy().tolist()  # noqa: E731
            return quantized_inputs(tokenize(example[0]), tokenize(example[1]) if len(example) > 1 else None,
                                    self.meta)
        return bytes_inputs(self.preprocessor, example, self.meta["token_byte_width"], self.text_pair)

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


class _MicroInterpreter:
    """TFLite Micro's Python interpreter behind the `set_tensor`/`invoke`/`get_tensor` calls the runner
    makes of a TFLite interpreter (tensor indices from the TFLite interpreter of the same file)."""

    def __init__(self, content, meta, tflite_interpreter):
        from eelbert_tf.export.micro_format import micro_interpreter

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
    from eelbert_tf.classification.classifier_bundle import load_classifier

    path = pathlib.Path(path)
    if path.suffix == ".tflite":
        return TFLiteClassifier(path, vocabulary)
    return load_classifier(path)


def prediction_lines(predictor, scores) -> list[str]:
    """One line per example: the label (argmax; for regression the value), then every score."""
    names = predictor.output_names
    lines = []
    for row in scores:
        label = f"{row[0]:.4f}" if names == ["score"] else names[int(np.argmax(row))]
        lines.append(label + "\t" + " ".join(f"{n}={v:.4f}" for n, v in zip(names, row)))
    return lines
