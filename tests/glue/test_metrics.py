"""Our metric code against independent implementations (SciPy, and counts written out)."""

import numpy as np
import pytest
from scipy import stats

from eelbert_tf.glue import metrics


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    preds = np.where(rng.random(500) < 0.7, labels, 1 - labels)
    return labels, preds


def test_classification_metrics(predictions):
    labels, preds = predictions
    tp = np.sum((labels == 1) & (preds == 1)); fp = np.sum((labels == 0) & (preds == 1))
    fn = np.sum((labels == 1) & (preds == 0)); tn = np.sum((labels == 0) & (preds == 0))
    assert metrics.accuracy(labels, preds) == pytest.approx(100 * (tp + tn) / 500)
    assert metrics.f1(labels, preds) == pytest.approx(100 * 2 * tp / (2 * tp + fp + fn))
    mcc = (tp * tn - fp * fn) / np.sqrt(float((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    assert metrics.matthews_corr(labels, preds) == pytest.approx(100 * mcc)
    # SciPy's phi coefficient (Pearson on 0/1 vectors) is the Matthews correlation.
    assert metrics.matthews_corr(labels, preds) == pytest.approx(100 * stats.pearsonr(labels, preds)[0])


def test_correlations_against_scipy():
    rng = np.random.default_rng(1)
    gold = np.round(rng.uniform(0, 5, 300), 1)  # many ties, as in STS-B
    pred = gold + rng.normal(0, 1, 300)
    assert metrics.pearson(gold, pred) == pytest.approx(100 * stats.pearsonr(gold, pred)[0])
    assert metrics.spearman(gold, pred) == pytest.approx(100 * stats.spearmanr(gold, pred)[0])
    assert metrics.spearman(gold, np.round(pred)) == pytest.approx(100 * stats.spearmanr(gold, np.round(pred))[0])


def test_degenerate_cases_and_scores():
    assert metrics.matthews_corr([1, 1, 0], [1, 1, 1]) == 0.0
    assert metrics.f1([0, 0], [0, 0]) == 0.0
    assert metrics.task_metrics("mrpc", [1, 0, 1, 1], [1, 0, 0, 1]) == {"f1": pytest.approx(80.0), "accuracy": 75.0}
    assert metrics.task_score({"f1": 80.0, "accuracy": 70.0}) == 75.0
    scores = {"cola": 10.0, "sst2": 80.0, "mrpc": 70.0, "stsb": 20.0, "rte": 55.0}
    assert metrics.glue_score(scores) == pytest.approx(47.0)
    assert metrics.glue_score({**scores, "rte": None}) is None  # never a partial mean
