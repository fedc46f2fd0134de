"""The nine GLUE tasks: files, columns, labels and metrics, and a strict TSV reader.

Files are the standard `glue_data` layout (`<glue_dir>/<TASK>/train.tsv`,
`dev.tsv`; MNLI has `dev_matched.tsv` and `dev_mismatched.tsv`). Rows are read
with no quoting (several tasks contain unbalanced `"`), a UTF-8 BOM is dropped
(MRPC), columns are found by header name (CoLA has no header: by position), and
a row with the wrong number of fields or an unknown label raises `GlueDataError`
naming the file and line. Nothing is skipped silently.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Iterator

import numpy as np

from eelbert_tf.classification.labeled_text import LabeledText


class GlueDataError(ValueError):
    """A missing or malformed GLUE file; the message names the file (and line)."""


@dataclasses.dataclass(frozen=True)
class GlueTask:
    name: str  # short name used everywhere: "cola", "sst2", ...
    folder: str  # folder in glue_data: "CoLA", "SST-2", ...
    text_columns: tuple[str, ...]  # header names (or column indices as strings for CoLA)
    label_column: str
    label_names: tuple[str, ...] | None  # None: regression (STS-B)
    metrics: tuple[str, ...]
    splits: dict  # split name -> file name
    has_header: bool = True
    num_fields: int | None = None  # expected fields per row (None: the header's count)

    @property
    def num_classes(self) -> int:
        return len(self.label_names) if self.label_names else 1

    @property
    def is_regression(self) -> bool:
        return self.label_names is None


TRAIN_DEV = {"train": "train.tsv", "validation": "dev.tsv"}

TASKS: dict[str, GlueTask] = {
    t.name: t
    for t in [
        GlueTask("cola", "CoLA", ("3",), "1", ("0", "1"), ("matthews_corr",), TRAIN_DEV, has_header=False,
                 num_fields=4),
        GlueTask("sst2", "SST-2", ("sentence",), "label", ("0", "1"), ("accuracy",), TRAIN_DEV),
        GlueTask("mrpc", "MRPC", ("#1 String", "#2 String"), "Quality", ("0", "1"), ("f1", "accuracy"),
                 TRAIN_DEV),
        GlueTask("stsb", "STS-B", ("sentence1", "sentence2"), "score", None, ("pearson", "spearman"),
                 TRAIN_DEV),
        GlueTask("qqp", "QQP", ("question1", "question2"), "is_duplicate", ("0", "1"), ("f1", "accuracy"),
                 TRAIN_DEV),
        GlueTask("mnli", "MNLI", ("sentence1", "sentence2"), "gold_label",
                 ("entailment", "neutral", "contradiction"), ("accuracy",),
                 {"train": "train.tsv", "validation_matched": "dev_matched.tsv",
                  "validation_mismatched": "dev_mismatched.tsv"}),
        GlueTask("qnli", "QNLI", ("question", "sentence"), "label", ("entailment", "not_entailment"),
                 ("accuracy",), TRAIN_DEV),
        GlueTask("rte", "RTE", ("sentence1", "sentence2"), "label", ("entailment", "not_entailment"),
                 ("accuracy",), TRAIN_DEV),
        GlueTask("wnli", "WNLI", ("sentence1", "sentence2"), "label", ("0", "1"), ("accuracy",), TRAIN_DEV),
    ]
}
# The five tasks whose data is complete here and which the headline averages ("GLUE-5").
GLUE5 = ("cola", "sst2", "mrpc", "stsb", "rte")


def get_task(name: str) -> GlueTask:
    key = name.lower().replace("-", "")
    if key not in TASKS:
        raise ValueError(f"Unknown GLUE task {name!r}. Known: {', '.join(TASKS)}.")
    return TASKS[key]


def task_file(glue_dir, task: GlueTask, split: str) -> pathlib.Path:
    return pathlib.Path(glue_dir) / task.folder / task.splits[split]


def available_splits(glue_dir, task: GlueTask) -> list[str]:
    return [s for s in task.splits if task_file(glue_dir, task, s).is_file()]


def read_examples(path: str | os.PathLike, task: GlueTask) -> Iterator[dict]:
    """Examples `{"idx", "texts": tuple[str, ...], "label": int | float}` of one GLUE TSV file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise GlueDataError(f"GLUE file {path} does not exist (task {task.folder}).")
    with open(path, encoding="utf-8-sig", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise GlueDataError(f"GLUE file {path} is empty.")
    start = 0
    if task.has_header:
        header = lines[0].rstrip("\r").split("\t")
        start = 1
        missing = [c for c in (*task.text_columns, task.label_column) if c not in header]
        if missing:
            raise GlueDataError(f"{path}: line 1 (header) lacks the columns {missing}; it has {header}.")
        index = {c: header.index(c) for c in header}
        num_fields = task.num_fields or len(header)
    else:
        index = {c: int(c) for c in (*task.text_columns, task.label_column)}
        num_fields = task.num_fields
    for number, line in enumerate(lines[start:], start=start + 1):
        fields = line.rstrip("\r").split("\t")
        if len(fields) != num_fields:
            raise GlueDataError(
                f"{path}: line {number} has {len(fields)} tab-separated fields, expected {num_fields}."
            )
        raw = fields[index[task.label_column]]
        if task.is_regression:
            try:
                label = float(raw)
            except ValueError:
                raise GlueDataError(f"{path}: line {number}: label {raw!r} is not a number.") from None
        else:
            if raw not in task.label_names:
                raise GlueDataError(
                    f"{path}: line {number}: label {raw!r} is not one of {list(task.label_names)}."
                )
            label = task.label_names.index(raw)
        yield {
            "idx": number - start - 1,
            "texts": tuple(fields[index[c]] for c in task.text_columns),
            "label": label,
        }


def from_glue(task_name: str, glue_dir, split: str) -> LabeledText:
    """One split of a GLUE task, read from the original TSV layout (strict, as the GLUE reader)."""
    task = get_task(task_name)
    if split not in task.splits:
        raise ValueError(f"GLUE task {task.folder} has no split {split!r}; it has {list(task.splits)}.")
    examples = list(read_examples(task_file(glue_dir, task, split), task))
    texts = [e["texts"][0] for e in examples]
    pairs = [e["texts"][1] for e in examples] if len(task.text_columns) == 2 else None
    dtype = np.float32 if task.is_regression else np.int64
    return LabeledText(texts, np.asarray([e["label"] for e in examples], dtype),
                       None if task.is_regression else list(task.label_names), pairs,
                       str(task_file(glue_dir, task, split)))
