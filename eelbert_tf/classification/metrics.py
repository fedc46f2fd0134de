"""Classification and regression metrics from scikit-learn and SciPy, on a 0-100 scale (one home, for
GLUE and the user's data alike)."""

from __future__ import annotations

import numpy as np


def accuracy(labels, predictions) -> float:
    from sklearn import metrics

    return 100 * float(metrics.accuracy_score(labels, predictions)) if len(labels) else 0.0


def f1(labels, predictions, num_classes: int = 2) -> float:
    """F1 of class 1 for two classes (as GLUE reports for MRPC and QQP), macro F1 otherwise."""
    from sklearn import metrics

    binary = num_classes == 2
    return 100 * float(metrics.f1_score(labels, predictions, average="binary" if binary else "macro",
                                        labels=None if binary else list(range(num_classes)), zero_division=0))


def matthews_corr(labels, predictions) -> float:
    from sklearn import metrics

    return 100 * float(metrics.matthews_corrcoef(labels, predictions))


def classification_metrics(labels, predictions, num_classes: int) -> dict:
    """Accuracy, F1, Matthews correlation and the confusion matrix (rows: true label, columns: predicted)."""
    from sklearn import metrics

    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return {
        "accuracy": accuracy(labels, predictions),
        "f1": f1(labels, predictions, num_classes),
        "matthews_corr": matthews_corr(labels, predictions),
        "confusion_matrix": metrics.confusion_matrix(labels, predictions, labels=list(range(num_classes))).tolist(),
    }


def regression_metrics(labels, predictions) -> dict:
    """Pearson and Spearman correlations (0 when either side is constant)."""
    from scipy import stats

    labels, predictions = np.asarray(labels, np.float64), np.asarray(predictions, np.float64)
    constant = np.ptp(predictions) == 0 or np.ptp(labels) == 0
    return {
        "pearson": 0.0 if constant else 100 * float(stats.pearsonr(labels, predictions)[0]),
        "spearman": 0.0 if constant else 100 * float(stats.spearmanr(labels, predictions)[0]),
    }


def dev_metrics(outputs, data) -> dict:
    """The metrics of a model's `outputs` (`[n, outputs]`: logits or scores) on `data` (`LabeledText`): the
    classification metrics of their argmax, or the regression metrics of the single output."""
    if data.is_regression:
        return regression_metrics(data.labels, outputs[:, 0])
    return classification_metrics(data.labels, outputs.argmax(-1), data.num_classes)
