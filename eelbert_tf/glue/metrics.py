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

from eelbert_tf.classification.metrics import accuracy, f1, matthews_corr, regression_metrics  # noqa: F401
from eelbert_tf.glue.tasks import GLUE5, TASKS


def pearson(labels, predictions) -> float:
    return regression_metrics(labels, predictions)["pearson"]


def spearman(labels, predictions) -> float:
    return regression_metrics(labels, predictions)["spearman"]


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
