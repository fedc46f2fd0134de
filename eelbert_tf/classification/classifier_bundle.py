"""The classifier folder `eelbert finetune` writes and every export and `eelbert predict` read.

`load_classifier(path)` takes the folder or its `classifier.keras` and checks
that it holds a classifier, with errors that name the file.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import zipfile

import numpy as np

from eelbert_lite.vocabulary import load_vocabulary, token_byte_width
from eelbert_tf.io_utils import write_json_atomically
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.models.saving import load_model, save_model
from eelbert_tf.preprocessing.word_tokenizer import make_tokenizer
from eelbert_lite.words import DEFAULT_MAX_WORD_BYTES

KERAS_FILE, LABELS_FILE, VOCAB_FILE, INFO_FILE = "classifier.keras", "labels.txt", "vocab.txt", "classifier.json"
CALIBRATION_FILE = "calibration.jsonl"  # training examples (texts), the representative set of int8 exports


def write_bundle(folder, classifier, info: dict, vocabulary: list[str]) -> pathlib.Path:
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(classifier, folder / KERAS_FILE)
    if info.get("label_names"):
        (folder / LABELS_FILE).write_text("\n".join(info["label_names"]) + "\n", encoding="utf-8")
    if vocabulary is not None:  # none for the vocabulary-free tokenizer
        (folder / VOCAB_FILE).write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    write_json_atomically(folder / INFO_FILE, info)
    return folder


@dataclasses.dataclass
class ClassifierBundle:
    """A loaded classifier folder."""

    path: pathlib.Path
    model: object  # EelbertTextClassifier
    info: dict
    vocabulary: list[str] | None  # None with the vocabulary-free tokenizer

    @property
    def tokenizer_kind(self) -> str:
        """`"wordpiece"` (every classifier before the vocabulary-free tokenizer) or `"words"`."""
        return self.info.get("tokenizer", "wordpiece")

    @property
    def max_word_bytes(self) -> int:
        return int(self.info.get("max_word_bytes", DEFAULT_MAX_WORD_BYTES))

    @property
    def token_byte_width(self) -> int:
        """The `W` of the token bytes every export packs: the longest WordPiece token, or `max_word_bytes` (at
        least the five bytes of `[CLS]` and `[SEP]`, which are packed in too)."""
        if self.tokenizer_kind == "words":
            return max(self.max_word_bytes, len("[CLS]"))
        return token_byte_width(self.vocabulary)

    @property
    def label_names(self) -> list[str] | None:
        return self.info["label_names"]

    @property
    def regression(self) -> bool:
        return bool(self.info["regression"])

    @property
    def text_pair(self) -> bool:
        return bool(self.info["text_pair"])

    @property
    def sequence_length(self) -> int:
        return int(self.info["sequence_length"])

    @property
    def output_names(self) -> list[str]:
        return ["score"] if self.regression else self.label_names

    def preprocessor(self, sequence_length: int | None = None):
        return EelbertTextClassifierPreprocessor(make_tokenizer(self.tokenizer_kind, self.vocabulary, self.max_word_bytes),
                                   sequence_length=sequence_length or self.sequence_length)

    def scores(self, texts, pairs=None, batch_size: int = 64, sequence_length: int | None = None) -> np.ndarray:
        """Class probabilities (softmax of the logits), or the regression value, `[n, outputs]`."""
        import tensorflow as tf

        preprocessor = self.preprocessor(sequence_length)
        names = list(self.model.backbone.input)
        out = []
        for i in range(0, len(texts), batch_size):
            chunk = tf.constant(list(texts[i : i + batch_size]), tf.string)
            if pairs is not None:
                x = preprocessor((chunk, tf.constant(list(pairs[i : i + batch_size]), tf.string)))
            else:
                x = preprocessor(chunk)
            logits = self.model({k: x[k] for k in names}, training=False)
            out.append((logits if self.regression else tf.nn.softmax(logits, -1)).numpy())
        width = 1 if self.regression else len(self.label_names)
        return np.concatenate(out) if out else np.zeros([0, width], np.float32)


def load_classifier(path) -> ClassifierBundle:
    """The classifier folder at `path` (the folder, or the `classifier.keras` inside it)."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--model {path} does not exist.")
    folder = path if path.is_dir() else path.parent
    keras_file = folder / KERAS_FILE if path.is_dir() else path
    info_file = folder / INFO_FILE
    if not keras_file.is_file() or not info_file.is_file():
        raise ValueError(f"--model {path} is not a classifier folder written by `eelbert finetune`: it needs "
                         f"{KERAS_FILE} and {INFO_FILE} side by side.")
    former = former_classes(keras_file)
    if former:
        raise ValueError(f"{keras_file} was saved with the former {' and '.join(former)}: convert it once with "
                         f"`eelbert convert {path} NEW_PATH`.")
    model = load_model(keras_file)
    if not isinstance(model, EelbertTextClassifier):
        raise ValueError(f"--model {keras_file} holds a {type(model).__name__}, not an EelbertTextClassifier.")
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
    except ValueError as e:
        raise ValueError(f"{info_file} is not valid JSON ({e}).") from None
    bundle = ClassifierBundle(folder, model, info, None)
    if bundle.tokenizer_kind != "words":
        bundle.vocabulary = load_vocabulary(folder / VOCAB_FILE)
    expected = 1 if bundle.regression else len(bundle.label_names or [])
    if model.num_classes != expected:
        raise ValueError(f"{keras_file} has {model.num_classes} outputs but {info_file} names {expected} labels.")
    return bundle


def write_calibration(path, train, count: int = 200, seed: int = 0):
    """A seeded sample of training examples (texts only), the representative set of int8 exports."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(train), min(count, len(train)), replace=False))
    rows = [[train.texts[i]] + ([train.text_pairs[i]] if train.text_pairs is not None else []) for i in picked]
    pathlib.Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def calibration_examples(bundle, limit: int = 200) -> list[list[str]]:
    path = bundle.path / CALIBRATION_FILE
    if not path.is_file():
        raise ValueError(f"--int8 needs {path} (training examples written by `eelbert finetune`), "
                          "which is missing.")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit]


def former_classes(keras_file) -> list[str]:
    """The former classes (`EelbertClassifier`, `EelbertPreprocessor`) a `.keras` archive's config names; they
    are no longer registered, and `eelbert convert` rewrites such a file once (`convert.py`)."""
    try:
        with zipfile.ZipFile(keras_file) as archive:
            config = archive.read("config.json").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return []  # not a readable archive: `load_model` names what is wrong with it
    return [name for name in ("EelbertClassifier", "EelbertPreprocessor")
            if f'"eelbert_tf>{name}"' in config]
