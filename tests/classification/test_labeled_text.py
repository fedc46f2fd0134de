"""Labeled text from the user's CSV/TSV: columns by name, labels by name, every fault named."""

import numpy as np
import pytest

from eelbert_tf.classification.labeled_text import LabeledTextError, read_labeled_file
from eelbert_tf.glue.tasks import from_glue
from eelbert_tf.classification.metrics import classification_metrics, regression_metrics
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"


def test_csv_with_quoted_commas_and_named_labels():
    data = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    assert data.label_names == ["negative", "positive"] and len(data) == 48
    assert data.texts[1] == "I found the story bland, honestly" and data.labels[1] == 0
    assert data.text_pairs is None and not data.is_regression


def test_tsv_pairs_and_dev_labels_read_against_the_training_names(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a\tb\tlabel\nThe cat sat.\tA cat sat.\tsame\nIt rained.\tThe sun shone.\tdifferent\n")
    data = read_labeled_file(path, "a", "label", text_pair_column="b")
    assert data.text_pairs == ["A cat sat.", "The sun shone."] and data.label_names == ["different", "same"]
    dev = tmp_path / "dev.tsv"
    dev.write_text("a\tb\tlabel\nx\ty\tsame\nx\ty\tmaybe\n")
    with pytest.raises(LabeledTextError, match=r"dev.tsv: line 3: label 'maybe' is not one of the training"):
        read_labeled_file(dev, "a", "label", text_pair_column="b", label_names=data.label_names)


@pytest.mark.parametrize("content, message", [
    ("review,sentiment\n", "has a header but no examples"),
    ("text,sentiment\nfine,positive\n", r"has no column \['review'\]"),
    ("review,sentiment\ngood,positive\nbad\n", "line 3 has 1 fields"),
    ("review,sentiment\ngood,positive\nbad,positive\n", "holds one label"),
    ("review,sentiment\ngood,positive\nbad,\n", "line 3 has an empty label"),
    ("", "is empty"),
])
def test_faults_are_named(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(LabeledTextError, match=message):
        read_labeled_file(path, "review", "sentiment")


def test_unknown_extension_and_binary_files(tmp_path):
    with pytest.raises(LabeledTextError, match="delimiter"):
        read_labeled_file(FIXTURES / "vocab_small.txt", "review", "sentiment")
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"review,sentiment\n\xff\xfe,positive\n")
    with pytest.raises(LabeledTextError, match="not UTF-8"):
        read_labeled_file(binary, "review", "sentiment")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_labeled_file(tmp_path / "missing.csv", "review", "sentiment")


def test_glue_source_keeps_pairs_and_regression():
    mrpc = from_glue("mrpc", FIXTURES / "glue", "train")
    assert mrpc.text_pairs is not None and mrpc.label_names == ["0", "1"]
    stsb = from_glue("stsb", FIXTURES / "glue", "validation")
    assert stsb.is_regression and stsb.labels.dtype == np.float32


def test_metrics_come_from_sklearn_and_scipy():
    m = classification_metrics([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], 2)
    assert m["accuracy"] == pytest.approx(80.0) and m["f1"] == pytest.approx(100 * 0.8)
    assert m["confusion_matrix"] == [[2, 0], [1, 2]]
    assert m["matthews_corr"] == pytest.approx(100 * (2 * 2 - 0 * 1) / np.sqrt(2 * 3 * 2 * 3))
    three = classification_metrics([0, 1, 2, 2], [0, 2, 2, 2], 3)
    assert three["confusion_matrix"] == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    r = regression_metrics([1.0, 2.0, 3.0], [1.1, 2.9, 2.5])
    assert 0 < r["pearson"] < 100 and r["spearman"] == pytest.approx(50.0)
    assert regression_metrics([1.0, 2.0], [3.0, 3.0]) == {"pearson": 0.0, "spearman": 0.0}
