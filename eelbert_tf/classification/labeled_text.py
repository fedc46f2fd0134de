"""Labeled text from any source, in one shape: a GLUE task or the user's own CSV/TSV file.

`LabeledText` holds one text (or a pair) and one label per example. Labels of a
classification task are indices into `label_names` (names as written in the
file); a regression task (GLUE STS-B) has float labels and no names.
"""

from __future__ import annotations

import csv
import dataclasses
import pathlib

import numpy as np


class LabeledTextError(ValueError):
    """A labeled-text file that cannot be read as asked; the message names the file (and line)."""


@dataclasses.dataclass
class LabeledText:
    texts: list[str]
    labels: np.ndarray  # int64 class indices, or float32 for regression
    label_names: list[str] | None  # None: regression
    text_pairs: list[str] | None = None  # the second text of each example, for two-text tasks
    source: str = ""

    def __post_init__(self):
        if len(self.labels) != len(self.texts) or (self.text_pairs is not None
                                                    and len(self.text_pairs) != len(self.texts)):
            raise ValueError(f"{self.source}: texts, pairs and labels differ in length.")

    def __len__(self):
        return len(self.texts)

    @property
    def is_regression(self) -> bool:
        return self.label_names is None

    @property
    def num_classes(self) -> int:
        return 1 if self.is_regression else len(self.label_names)

    def subset(self, indices) -> "LabeledText":
        indices = list(indices)
        return LabeledText([self.texts[i] for i in indices], self.labels[indices], self.label_names,
                           None if self.text_pairs is None else [self.text_pairs[i] for i in indices],
                           self.source)


def _delimiter(path: pathlib.Path, delimiter: str | None) -> str:
    if delimiter:
        return delimiter
    if path.suffix.lower() == ".tsv":
        return "\t"
    if path.suffix.lower() == ".csv":
        return ","
    raise LabeledTextError(f"{path}: cannot tell the delimiter from the extension {path.suffix!r}: "
                           "name a .csv or .tsv file, or pass the delimiter (--delimiter).")


def read_labeled_file(path, text_column: str, label_column: str, text_pair_column: str | None = None,
                      label_names: list[str] | None = None, delimiter: str | None = None) -> LabeledText:
    """A CSV or TSV file with a header row, columns named by the caller.

    Labels are kept by name. Without `label_names`, the names are the file's distinct labels,
    sorted; with them (a dev file read against its training file's names), a label outside
    them is refused with its line. Empty texts are kept (they are valid input); a row with a
    missing field is refused.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Labeled text file {path} does not exist.")
    sep = _delimiter(path, delimiter)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f, delimiter=sep, quoting=csv.QUOTE_MINIMAL if sep == "," else csv.QUOTE_NONE))
    except UnicodeDecodeError as e:
        raise LabeledTextError(f"{path} is not UTF-8 text ({e}).") from None
    except csv.Error as e:
        raise LabeledTextError(f"{path}: not readable as {'CSV' if sep == ',' else 'TSV'} ({e}).") from None
    if not rows:
        raise LabeledTextError(f"{path} is empty: expected a header row naming the columns.")
    header = rows[0]
    wanted = [c for c in (text_column, text_pair_column, label_column) if c is not None]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise LabeledTextError(f"{path}: the header has no column {missing} (it has {header}).")
    index = {c: header.index(c) for c in wanted}
    texts, pairs, raw_labels = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue  # a blank line (e.g. at the end) holds no example
        if len(row) != len(header):
            raise LabeledTextError(f"{path}: line {number} has {len(row)} fields, the header {len(header)}.")
        texts.append(row[index[text_column]])
        if text_pair_column is not None:
            pairs.append(row[index[text_pair_column]])
        raw_labels.append((number, row[index[label_column]].strip()))
    if not texts:
        raise LabeledTextError(f"{path} has a header but no examples.")
    names = sorted({label for _, label in raw_labels}) if label_names is None else list(label_names)
    if "" in names:
        line = next(n for n, label in raw_labels if label == "")
        raise LabeledTextError(f"{path}: line {line} has an empty label in column {label_column!r}.")
    if label_names is None and len(names) < 2:
        raise LabeledTextError(f"{path}: column {label_column!r} holds one label ({names}); a classifier "
                               "needs at least two.")
    lookup = {name: i for i, name in enumerate(names)}
    labels = []
    for number, label in raw_labels:
        if label not in lookup:
            raise LabeledTextError(f"{path}: line {number}: label {label!r} is not one of the training "
                                   f"labels {names}.")
        labels.append(lookup[label])
    return LabeledText(texts, np.asarray(labels, np.int64), names, pairs if text_pair_column else None,
                       str(path))


def subsample(data: LabeledText, count: int | None) -> LabeledText:
    """A fixed, seeded subset of `count` examples (in their original order), or `data` itself."""
    if not count or count >= len(data):
        return data
    return data.subset(np.sort(np.random.default_rng(1234).choice(len(data), count, replace=False)))
