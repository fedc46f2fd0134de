"""Each TFLite format in its real runtime against the Keras model: same labels, float scores within 1e-4."""

import numpy as np
import pytest

from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_tf.export.core import op_names
from eelbert_tf.export.exporter import export
from eelbert_tf.export.runner import TFLiteClassifier
from tests.export.conftest import INVALID_UTF8, SENTENCES

# The tokenizer kernels TF Text ships for TFLite: the only custom ops a `text` model may use.
TF_TEXT_OPS = {"FastBertNormalize", "FastWordpieceTokenizeWithOffsets", "TFText>ByteSplitWithOffsets",
               "RaggedTensorToTensor"}


@pytest.fixture(scope="module")
def keras_scores(sentiment_classifier):
    bundle = load_classifier(sentiment_classifier)
    return bundle, bundle.scores(SENTENCES + INVALID_UTF8)


@pytest.mark.parametrize("fmt", ["text", "bytes", "mediapipe"])
def test_float_formats_equal_keras(tmp_path, sentiment_classifier, keras_scores, fmt):
    bundle, expected = keras_scores
    report = export(sentiment_classifier, fmt, tmp_path / f"{fmt}.tflite")
    model = TFLiteClassifier(report["path"], vocabulary=bundle.vocabulary if fmt == "bytes" else None)
    got = model.scores(SENTENCES + INVALID_UTF8)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_array_equal(got.argmax(-1), expected.argmax(-1))
    assert model.output_names == bundle.label_names == ["negative", "positive"]
    if fmt == "text":
        assert set(report["custom_ops"]) <= TF_TEXT_OPS and not any("Flex" in op for op in report["ops"])
    else:
        assert report["custom_ops"] == []  # builtin ops only


def test_bytes_model_runs_with_the_builtin_op_resolver_alone(tmp_path, sentiment_classifier, keras_scores):
    from ai_edge_litert import interpreter as litert

    from tests.export.keras_inputs import bytes_inputs

    bundle, expected = keras_scores
    path = export(sentiment_classifier, "bytes", tmp_path / "bytes.tflite")["path"]
    interpreter = litert.Interpreter(model_path=path,
                                     experimental_op_resolver_type=litert.OpResolverType.BUILTIN)
    interpreter.allocate_tensors()
    inputs = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    preprocessor = bundle.preprocessor()
    for i in (0, 1, 7):
        for name, value in bytes_inputs(preprocessor, [SENTENCES[i]], 18).items():
            interpreter.set_tensor(inputs[name], value)
        interpreter.invoke()
        scores = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
        np.testing.assert_allclose(scores, expected[i], atol=1e-4)


@pytest.mark.parametrize("fmt", ["text", "bytes"])
def test_pair_formats_equal_keras(tmp_path, pair_classifier, fmt):
    bundle = load_classifier(pair_classifier)
    firsts = ["The company said profits rose.", "", "短い 🙂", "word " * 40, "Revenue fell sharply."]
    seconds = ["Profits rose, the company said.", "nothing here", "", "other " * 3, "long " * 50]
    expected = bundle.scores(firsts, seconds)
    model = TFLiteClassifier(export(pair_classifier, fmt, tmp_path / f"{fmt}.tflite")["path"],
                             vocabulary=bundle.vocabulary if fmt == "bytes" else None)
    np.testing.assert_allclose(model.scores(firsts, seconds), expected, atol=1e-4)
    with pytest.raises(ValueError, match="takes text pairs"):
        model.scores(firsts)


def test_mediapipe_text_classifier_loads_the_file_with_no_code_of_ours(tmp_path, sentiment_classifier,
                                                                      keras_scores):
    from mediapipe.tasks.python import text
    from mediapipe.tasks.python.core import base_options

    bundle, expected = keras_scores
    path = export(sentiment_classifier, "mediapipe", tmp_path / "mediapipe.tflite")["path"]
    options = text.TextClassifierOptions(base_options=base_options.BaseOptions(model_asset_path=path))
    # MediaPipe tokenizes on the device with its own C++ BERT tokenizer, which lower-cases but does not
    # strip accents ("café" stays "café"; BERT uncased and our Keras preprocessor make it "cafe"): on
    # accented text the two tokenizations, and so the scores, differ (docs/deployment.md).
    unaccented = [i for i, s in enumerate(SENTENCES) if s.isascii() or "我" in s or "🙂" in s]
    assert len(unaccented) == len(SENTENCES) - 1
    with text.TextClassifier.create_from_options(options) as classifier:
        for sentence, want in zip([SENTENCES[i] for i in unaccented], expected[unaccented]):
            categories = classifier.classify(sentence).classifications[0].categories
            got = {c.category_name: c.score for c in categories}
            assert set(got) == set(bundle.label_names)
            np.testing.assert_allclose([got[n] for n in bundle.label_names], want, atol=1e-4)


def test_int8_formats_agree_with_float(tmp_path, sentiment_classifier, keras_scores):
    from eelbert_tf.classification.labeled_text import read_labeled_file
    from tests.export.conftest import FIXTURES

    bundle, _ = keras_scores
    dev = read_labeled_file(FIXTURES / "reviews_dev.csv", "review", "sentiment", label_names=bundle.label_names)
    expected = bundle.scores(dev.texts)
    calibration = [[t] for t in dev.texts[:8]]
    results = {}
    for fmt in ("bytes", "mediapipe", "text"):
        report = export(sentiment_classifier, fmt, tmp_path / f"{fmt}_int8.tflite", int8=True,
                        calibration=calibration)
        assert "QUANTIZE" in report["ops"] or "DEQUANTIZE" in report["ops"]
        got = results[fmt] = TFLiteClassifier(report["path"], vocabulary=bundle.vocabulary).scores(dev.texts)
        assert np.abs(got - expected).max() < 0.08, fmt  # the dequantized error stays small
        confident = np.abs(expected[:, 1] - 0.5) > 0.1
        np.testing.assert_array_equal(got[confident].argmax(-1), expected[confident].argmax(-1))
    # One calibration, one quantization: the three formats differ only in how they reach token bytes, so
    # their int8 scores agree (a text model calibrated on the wrong strings once missed by 0.7).
    np.testing.assert_allclose(results["text"], results["bytes"], atol=1e-6)
    np.testing.assert_allclose(results["mediapipe"], results["bytes"], atol=1e-6)


def test_int8_bytes_is_smaller_than_float(tmp_path, sentiment_classifier):
    float_size = export(sentiment_classifier, "bytes", tmp_path / "f.tflite")["bytes"]
    int8 = export(sentiment_classifier, "bytes", tmp_path / "q.tflite", int8=True,
                  calibration=[["a great film"], ["a dull plot"]])
    assert int8["bytes"] < 0.4 * float_size
    assert op_names((tmp_path / "q.tflite").read_bytes()) == int8["ops"]
    # The layer norms' statistics (core.FLOAT_IN_INT8) cost bytes in float: quantizing them too is smaller.
    div_only = export(sentiment_classifier, "bytes", tmp_path / "d.tflite", int8=True, float_ops=["DIV"],
                      calibration=[["a great film"], ["a dull plot"]])
    assert div_only["bytes"] < int8["bytes"]


@pytest.mark.slow
def test_bert_table_model_exports_to_text_and_mediapipe(tmp_path):
    """BERT-tiny (a trainable table) is the baseline of the size tables: it exports the same way."""
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.classification.labeled_text import read_labeled_file
    from eelbert_tf.export.core import ExportError
    from tests.export.conftest import FIXTURES

    train = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    out = tmp_path / "bert"
    finetune("bert_tiny_en", train, None, out, FinetuneRecipe(epochs=1, batch_size=16, sequence_length=32),
             verbose=0, log=lambda *_: None)
    bundle = load_classifier(out)
    expected = bundle.scores(SENTENCES)
    for fmt in ("text", "mediapipe"):
        model = TFLiteClassifier(export(out, fmt, tmp_path / f"{fmt}.tflite")["path"])
        np.testing.assert_allclose(model.scores(SENTENCES), expected, atol=1e-4)
    with pytest.raises(ExportError, match="has no use for token bytes"):
        export(out, "bytes", tmp_path / "bytes.tflite")


@pytest.mark.parametrize("lengths", [[0, 1, 3, 5, 6, 7, 9, 10, 11, 14, 18, 18, 2], [1, 2, 3, 4], [12, 17]])
def test_bucketed_hash_equals_the_hash_bit_for_bit(lengths):
    """Hashing each token at the narrowest width bucket (the exports' path) gives the one-width vectors exactly,
    in TensorFlow and in TFLite, empty buckets included."""
    import tensorflow as tf

    from eelbert_tf.export.core import convert, embed_bytes_bucketed
    from eelbert_lite.model_file import make_interpreter
    from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding

    rng = np.random.default_rng(len(lengths))
    x = np.full([len(lengths), 18], -1, np.int32)
    for i, n in enumerate(lengths):
        x[i, :n] = rng.integers(0, 256, n)
    if lengths[-1] >= 3:
        x[-1, :2] = [ord("#"), ord("#")]  # a "##" continuation piece
    layer = DynamicHashEmbedding(128)
    expected = layer.embed_bytes(tf.constant(x)).numpy()
    np.testing.assert_array_equal(embed_bytes_bucketed(layer, tf.constant(x)).numpy(), expected)
    model = convert(lambda t: embed_bytes_bucketed(layer, t), [tf.TensorSpec([None, 18], tf.int32)])
    assert all(op.isupper() for op in op_names(model))  # builtins only
    interpreter = make_interpreter(model)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    np.testing.assert_array_equal(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), expected)
