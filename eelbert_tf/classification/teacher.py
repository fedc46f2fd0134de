"""Teachers for task distillation: a classifier folder, or a JSONL file of any framework's scores.

`eelbert finetune --teacher T` trains the student on the labels and on T's soft scores
(`distillation_loss.py`). T is one of:

- a classifier folder from `eelbert finetune` (any backbone, any tokenizer): it scores
  every text the student trains on, in this process;
- a JSONL file, one object per line: `{"text": str, "text_pair": str (pair tasks only),
  "scores": [float, ...]}`, where `scores` are the teacher's logits, one per label in the
  order of the training labels (any per-line constant may be added: they pass through a
  softmax; write `log(p)` if you have probabilities), or one value for a regression task.
  Any framework can write it (docs/finetuning.md shows scikit-learn's in twelve lines). Every text the
  student trains on (the training texts, `--unlabeled` texts and `--augment` variants, which
  `eelbert augment` lists) must be in it.

Each is checked before training: a folder that is not a classifier, or has other labels
or another number of texts per example; a scores file with a malformed line, a missing
text, a wrong number of scores or a non-finite score. The error names the file and what
was expected, and nothing is written at `--out`.
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib

import numpy as np

from eelbert_tf.classification.classifier_bundle import INFO_FILE, KERAS_FILE, load_classifier
from eelbert_tf.io_utils import file_sha256


class TeacherError(ValueError):
    """A teacher that cannot teach this task; the message names the file."""


def _key(text, pair):
    return (text, pair)


class ScoresFileTeacher:
    """Teacher scores read from a JSONL file (see the module docstring)."""

    kind = "scores_file"

    def __init__(self, path, num_outputs: int, text_pair: bool):
        self.path = pathlib.Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"--teacher {self.path} does not exist.")
        self.num_outputs = num_outputs
        self.scores = {}
        digest = hashlib.sha256()
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                digest.update(raw)
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as e:
                    raise TeacherError(f"--teacher {self.path}: line {number} is not JSON ({e}).") from None
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise TeacherError(f"--teacher {self.path}: line {number} needs an object with a string "
                                       "\"text\" and a list \"scores\".")
                pair = row.get("text_pair")
                if text_pair and not isinstance(pair, str):
                    raise TeacherError(f"--teacher {self.path}: line {number} has no string \"text_pair\"; the "
                                       "training data has two texts per example.")
                if not text_pair and pair is not None:
                    raise TeacherError(f"--teacher {self.path}: line {number} has a \"text_pair\"; the training "
                                       "data has one text per example.")
                scores = row.get("scores")
                if (not isinstance(scores, list) or len(scores) != num_outputs
                        or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in scores)):
                    raise TeacherError(f"--teacher {self.path}: line {number}: \"scores\" must be a list of "
                                       f"{num_outputs} numbers (one per label, the training labels' order). "
                                       f"Received: {scores!r}"[:300])
                if not all(math.isfinite(s) for s in scores):
                    raise TeacherError(f"--teacher {self.path}: line {number}: scores must be finite. "
                                       f"Received: {scores}")
                key = _key(row["text"], pair)
                value = np.asarray(scores, np.float32)
                if key in self.scores and not np.array_equal(self.scores[key], value):
                    raise TeacherError(f"--teacher {self.path}: line {number} scores the text {row['text'][:60]!r} "
                                       "again, differently.")
                self.scores[key] = value
        if not self.scores:
            raise TeacherError(f"--teacher {self.path} holds no scores.")
        self.sha256 = digest.hexdigest()

    def logits(self, texts, pairs=None) -> np.ndarray:
        keys = [_key(t, None if pairs is None else p) for t, p in zip(texts, pairs or texts)]
        missing = [k for k in keys if k not in self.scores]
        if missing:
            first = missing[0][0] if pairs is None else f"{missing[0][0]!r} / {missing[0][1]!r}"
            raise TeacherError(f"--teacher {self.path} has no scores for {len(missing):,} of the {len(keys):,} "
                               f"texts the student trains on (the first: {first!r:.120}). Score every training, "
                               "--unlabeled and --augment text (`eelbert augment` lists them).")
        return np.stack([self.scores[k] for k in keys]) if keys else np.zeros([0, self.num_outputs], np.float32)

    def describe(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "sha256": self.sha256, "texts": len(self.scores)}


class ClassifierTeacher:
    """A classifier folder from `eelbert finetune`, scoring texts in this process."""

    kind = "classifier"

    def __init__(self, path, label_names, regression: bool, text_pair: bool):
        path = pathlib.Path(path)
        if not (path / KERAS_FILE).is_file() and not (path.is_file() and path.suffix == ".keras"):
            raise TeacherError(f"--teacher {path} is neither a classifier folder from `eelbert finetune` (it needs "
                               f"{KERAS_FILE} and {INFO_FILE}) nor a .jsonl file of teacher scores.")
        try:
            self.bundle = load_classifier(path)
        except ValueError as e:
            raise TeacherError(f"--teacher: {e}".replace("--model ", "")) from None
        b = self.bundle
        if b.regression != regression or (not regression and list(b.label_names) != list(label_names)):
            theirs = "a regression score" if b.regression else f"labels {b.label_names}"
            ours = "a regression score" if regression else f"labels {list(label_names)}"
            raise TeacherError(f"--teacher {path} predicts {theirs}; the training data has {ours} (same names, "
                               "same order).")
        if b.text_pair != text_pair:
            raise TeacherError(f"--teacher {path} reads {'two texts' if b.text_pair else 'one text'} per example; "
                               f"the training data has {'two' if text_pair else 'one'}.")
        self.path = b.path
        self.sha256 = file_sha256(b.path / KERAS_FILE)

    def logits(self, texts, pairs=None) -> np.ndarray:
        """Logits (log-probabilities, which a softmax treats alike) or the regression value."""
        scores = self.bundle.scores(list(texts), None if pairs is None else list(pairs), batch_size=256)
        return scores if self.bundle.regression else np.log(np.maximum(scores, 1e-12)).astype(np.float32)

    def describe(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "keras_sha256": self.sha256,
                "base_model": self.bundle.info.get("base_model"), "tokenizer": self.bundle.tokenizer_kind,
                "train_source": self.bundle.info.get("train_source")}


def read_unlabeled(path, text_pair: bool):
    """Texts of the task's domain for the teacher to label: one text per line (pairs: two, tab-separated).

    Blank lines are skipped; a pair line without exactly one tab is refused with its number.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--unlabeled {path} does not exist.")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"--unlabeled {path} is not UTF-8 text ({e}).") from None
    texts, pairs = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if text_pair:
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"--unlabeled {path}: line {number} has {len(parts)} tab-separated fields; a "
                                 "two-text task needs two (text, text pair).")
            texts.append(parts[0])
            pairs.append(parts[1])
        else:
            texts.append(line)
    if not texts:
        raise ValueError(f"--unlabeled {path} holds no texts.")
    return texts, (pairs if text_pair else None)
