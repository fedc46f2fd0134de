"""A classifier whose head reads the mean of every token's output (`pooling="mean"`, the shipped SST-2 model's)
exports to every format with the same scores as Keras: float `bytes` and `text`, int8 close to float, and the
micro model in TFLite Micro equal to TFLite's reference kernels."""

import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_tf.export import micro_format
from eelbert_tf.export.exporter import export
from eelbert_tf.export.runner import TFLiteClassifier
from tests.export import keras_inputs
from tests.export.conftest import CALIBRATION, SENTENCES, reviews_classifier


@pytest.fixture(scope="module")
def mean_classifier(tmp_path_factory):
    return reviews_classifier(tmp_path_factory, "mean", epochs=15, sequence_length=64, activation="relu",
                              pooling="mean")


def test_the_classifier_folder_keeps_its_pooling(mean_classifier):
    bundle = load_classifier(mean_classifier)
    assert bundle.model.pooling == "mean" and bundle.info["recipe"]["pooling"] == "mean"


@pytest.mark.parametrize("fmt", ["bytes", "text"])
def test_float_formats_equal_keras(tmp_path, mean_classifier, fmt):
    bundle = load_classifier(mean_classifier)
    out = tmp_path / f"m.{fmt}.tflite"
    export(mean_classifier, fmt, out)
    np.testing.assert_allclose(TFLiteClassifier(out).scores(SENTENCES), bundle.scores(SENTENCES), atol=2e-5)


def test_micro_float_graph_equals_keras_and_tflite_micro_runs_it(tmp_path, mean_classifier):
    bundle = load_classifier(mean_classifier)
    weights = micro_format.MicroWeights.from_classifier(bundle.model, 64)
    assert weights.pooling == "mean"
    for text in SENTENCES[:3] + [SENTENCES[7]]:
        x = keras_inputs.micro_float_inputs(bundle, [text], 64)
        got = micro_format.forward(weights, *(tf.constant(x[n]) for n in micro_format.INPUT_NAMES)).numpy()
        np.testing.assert_allclose(got, bundle.scores([text], sequence_length=64), atol=1e-5)
    out = tmp_path / "m.micro.int8.tflite"
    export(mean_classifier, "micro", out, calibration=CALIBRATION)
    micro = TFLiteClassifier(out).scores(SENTENCES)
    np.testing.assert_array_equal(micro, TFLiteClassifier(out, reference_kernels=True).scores(SENTENCES))
    texts = ["A wonderful, moving film.", "The plot is dull and the ending is terrible.", "superb", "awful, bland"]
    assert np.abs(TFLiteClassifier(out).scores(texts) - bundle.scores(texts, sequence_length=64)).max() < 0.1
