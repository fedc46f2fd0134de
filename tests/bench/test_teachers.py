"""The teacher script's dev score (bench/teachers/minilm.py): accuracy for classes, Pearson for STS-B. The
script's training and scoring need PyTorch and transformers, which the suite does not install."""

from __future__ import annotations

import pathlib
import sys
import types

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "teachers"))

import minilm  # noqa: E402


def test_dev_score_is_accuracy_for_classes():
    dev = types.SimpleNamespace(is_regression=False, labels=np.array([0, 1, 1, 0]))
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [1.0, 0.5]])
    assert minilm.dev_score(dev, logits) == ("dev_accuracy", 75.0)


def test_dev_score_is_pearson_for_regression():
    labels = np.array([0.0, 1.5, 3.0, 5.0])
    dev = types.SimpleNamespace(is_regression=True, labels=labels)
    name, value = minilm.dev_score(dev, (2 * labels + 1)[:, None])
    assert name == "dev_pearson" and value == pytest.approx(100.0)
    name, value = minilm.dev_score(dev, -labels[:, None])
    assert value == pytest.approx(-100.0)
