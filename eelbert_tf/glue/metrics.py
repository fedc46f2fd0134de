"""GLUE metrics and the GLUE score, as the GLUE leaderboard computes them.

Each metric is on a 0-100 scale. A task's score is the mean of its metrics
(MRPC and QQP: F1 and accuracy; STS-B: Pearson and Spearman); MNLI counts as one
task whose score is the mean of its matched and mismatched accuracies. The GLUE
score is the mean of the task scores. With the data we have, the headline is
"GLUE-5": the mean over CoLA, SST-2, MRPC, STS-B and RTE; a score over all nine
tasks is given only when every task is present.
"""

from __future__ import annotations

import numpy as np

from eelbert_tf.glue.tasks import GLUE5, TASKS


def accuracy(labels, predictions) -> float:
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return float(np.mean(labels == predictions) * 100)


def f1(labels, predictions) -> float:
    """F1 of the positive class (label 1), as GLUE reports for MRPC and QQP."""
    labels, predictions = np.asarray(labels) == 1, np.asarray(predictions) == 1
    tp = np.sum(labels & predictions)
    precision = tp / max(np.sum(predictions), 1)
    recall = tp / max(np.sum(labels), 1)
    return float(0.0 if tp == 0 else 2 * precision * recall / (precision + recall) * 100)


def matthews_corr(labels, predictions) -> float:
    labels, predictions = np.asarray(labels) == 1, np.asarray(predictions) == 1
    tp = float(np.sum(labels & predictions))
    tn = float(np.sum(~labels & ~predictions))
    fp = float(np.sum(~labels & predictions))
    fn = float(np.sum(labels & ~predictions))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float(0.0 if denominator == 0 else (tp * tn - fp * fn) / denominator * 100)


def pearson(labels, predictions) -> float:
    x, y = np.asarray(labels, np.float64), np.asarray(predictions, np.float64)
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float(0.0 if denominator == 0 else np.sum(x * y) / denominator * 100)


def _ranks(values) -> np.ndarray:
    """Ranks from 1, ties given their average rank."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), np.float64)
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(labels, predictions) -> float:
    return pearson(_ranks(labels), _ranks(predictions))


METRICS = {"accuracy": accuracy, "f1": f1, "matthews_corr": matthews_corr, "pearson": pearson,
           "spearman": spearman}


def task_metrics(task_name: str, labels, predictions) -> dict:
    task = TASKS[task_name]
    return {m: METRICS[m](labels, predictions) for m in task.metrics}


def task_score(metrics: dict) -> float:
    return float(np.mean(list(metrics.values())))


def glue_score(task_scores: dict, tasks=GLUE5) -> float | None:
    """Mean of the task scores over `tasks`; None if any is missing (never a partial mean)."""
    if any(t not in task_scores or task_scores[t] is None for t in tasks):
        return None
    return float(np.mean([task_scores[t] for t in tasks]))
