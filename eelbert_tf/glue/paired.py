"""Two GLUE rows compared example by example: a paired bootstrap over each task's dev examples.

A row's score depends on its model and on which examples a task's dev set happens to hold (RTE has 277, CoLA
1,043). Resampling each task's dev examples with replacement, the same resample for both rows and for every
fine-tuning seed, and recomputing each seed's GLUE metrics (`eelbert_tf.glue.metrics`, as the table does) gives
the spread of the difference that another draw of dev examples would show: how finely the dev sets can tell the
two rows apart. The seeds' mean is taken as in the table, so fine-tuning seeds are in it; a second pretraining run
is not (one pretraining seed per row).

Each seed's predictions come from its record (`finetune_task` keeps them); the labels from `finetune.dev_labels`.
"""

from __future__ import annotations

import numpy as np

from eelbert_tf.glue import metrics as glue_metrics
from eelbert_tf.glue.tasks import GLUE5


def seed_predictions(runs, split: str) -> list:
    """Each seed's predictions on `split` from the seeds' records (`run` dicts); a record without them is refused."""
    missing = [r.get("seed") for r in runs if split not in (r.get("predictions") or {})]
    if missing:
        raise ValueError(f"seeds {missing} have no {split} predictions kept (fine-tuned before records kept them); "
                         "rerun them with `bench/glue_table.py --run --predictions`.")
    return [np.asarray(r["predictions"][split]) for r in runs]


def _score(task, labels, seeds, index=None):
    """The table's task score for these rows of the dev set: the mean over seeds of the mean of the task's metrics."""
    if index is not None:
        labels, seeds = labels[index], [p[index] for p in seeds]
    return float(np.mean([glue_metrics.task_score(glue_metrics.task_metrics(task, labels, p)) for p in seeds]))


def paired_bootstrap(labels: dict, first: dict, second: dict, tasks=GLUE5, resamples: int = 1000,
                     seed: int = 0, level: float = 0.95) -> dict:
    """`first` minus `second`, by task and on the mean over `tasks` (GLUE-5), with a percentile interval.

    Args:
        labels: task name -> dev labels (the order of the predictions).
        first, second: task name -> list of per-seed prediction arrays, each as long as the task's labels.
        resamples: bootstrap resamples (each task's dev set drawn with replacement, independently per task).
        seed: the resampling's seed (the result is a function of the inputs and this seed).
        level: the interval's coverage.

    Returns: {"tasks": {task: {"difference", "low", "high"}}, "glue5": {"difference", "low", "high"},
    "samples": the GLUE-5 difference of each resample (array), "resamples", "level", "seed"}.
    """
    for task in tasks:
        n = len(labels[task])
        for name, row in (("first", first), ("second", second)):
            if not row.get(task) or any(len(p) != n for p in row[task]):
                raise ValueError(f"{name} row: {task} needs one prediction per dev example ({n}) for every seed; "
                                 f"received lengths {[len(p) for p in row.get(task) or []]}.")
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    out, draws = {}, []
    for task in tasks:
        y = np.asarray(labels[task])
        a, b = [np.asarray(p) for p in first[task]], [np.asarray(p) for p in second[task]]
        diff = _score(task, y, a) - _score(task, y, b)
        samples = np.empty(resamples)
        for i in range(resamples):
            index = rng.integers(0, len(y), len(y))
            samples[i] = _score(task, y, a, index) - _score(task, y, b, index)
        draws.append(samples)
        out[task] = {"difference": diff, "low": float(np.quantile(samples, tail)),
                     "high": float(np.quantile(samples, 1 - tail))}
    mean = np.mean(draws, axis=0)
    return {
        "tasks": out,
        "glue5": {"difference": float(np.mean([out[t]["difference"] for t in tasks])),
                  "low": float(np.quantile(mean, tail)), "high": float(np.quantile(mean, 1 - tail))},
        "samples": mean, "resamples": resamples, "level": level, "seed": seed,
    }
