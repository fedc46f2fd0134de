"""The micro format: int8 in and out, TFLite Micro equal to TFLite's reference kernels, the arena measured,
C sources generated, and the C input builder equal to the Python one bit for bit."""

import subprocess

import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_lite import micro
from eelbert_tf.export import micro_format
from eelbert_tf.export.core import ExportError, read_metadata
from eelbert_tf.export.exporter import export
from eelbert_tf.export.runner import TFLiteClassifier
from tests.conftest import compile_c
from tests.export import keras_inputs
from tests.export.conftest import CALIBRATION, INVALID_UTF8, SENTENCES


@pytest.fixture(scope="module")
def micro_model(tmp_path_factory, relu_classifier):
    out = tmp_path_factory.mktemp("micro") / "sentiment_micro.tflite"
    report = export(relu_classifier, "micro", out, calibration=CALIBRATION)
    return report, out.read_bytes()


def test_micro_model_is_int8_static_and_generated_for_tflite_micro(micro_model):
    report, model = micro_model
    meta = read_metadata(model)
    assert meta["format"] == "micro" and meta["sequence_length"] == 64
    assert not {"GELU", "FLOOR_MOD", "SHAPE", "REDUCE_PROD", "BROADCAST_TO"} & set(report["ops"])
    from ai_edge_litert import interpreter as litert

    interpreter = litert.Interpreter(model_content=model)
    details = interpreter.get_input_details() + interpreter.get_output_details()
    assert all(d["dtype"] == np.int8 and -1 not in d["shape_signature"] for d in details)
    # The measured arena is the smallest that works (to 16 bytes), and TFLite Micro refuses less.
    arena = report["arena_bytes"]
    micro.micro_interpreter(model, arena).invoke()
    with pytest.raises(RuntimeError):
        micro.micro_interpreter(model, arena - 64)
    header, source, resolver = [p for p in map(__import__("pathlib").Path, report["generated"])]
    assert f"#define EELBERT_ARENA_BYTES {arena}" in header.read_text()
    assert f"g_eelbert_model_len = {len(model)};" in source.read_text()
    added = [line.split("Add")[1].split("(")[0] for line in resolver.read_text().splitlines() if ".Add" in line]
    assert len(added) == len(report["ops"]) and f"MicroMutableOpResolver<{len(report['ops'])}>" in resolver.read_text()


def test_tflite_micro_equals_the_reference_kernels(micro_model, tmp_path):
    report, model = micro_model
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    texts = SENTENCES + [t.decode("utf-8", "replace") for t in INVALID_UTF8]
    micro = TFLiteClassifier(path).scores(texts)
    reference = TFLiteClassifier(path, reference_kernels=True).scores(texts)
    np.testing.assert_array_equal(micro, reference)


def test_micro_scores_follow_the_keras_model(micro_model, relu_classifier, tmp_path):
    _, model = micro_model
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    bundle = load_classifier(relu_classifier)
    texts = ["A wonderful, moving film.", "The plot is dull and the ending is terrible.", "superb", "awful, bland"]
    expected = bundle.scores(texts, sequence_length=64)
    got = TFLiteClassifier(path).scores(texts)
    assert np.abs(got - expected).max() < 0.1
    confident = np.abs(expected[:, 1] - 0.5) > 0.15
    assert confident.sum() >= 2
    np.testing.assert_array_equal(got[confident].argmax(-1), expected[confident].argmax(-1))


def test_float_micro_graph_equals_keras(relu_classifier):
    bundle = load_classifier(relu_classifier)
    weights = micro_format.MicroWeights.from_classifier(bundle.model, 64)
    for text in SENTENCES[:3] + [SENTENCES[7]]:
        x = keras_inputs.micro_float_inputs(bundle, [text], 64)
        got = micro_format.forward(weights, *(tf.constant(x[n]) for n in micro_format.INPUT_NAMES)).numpy()
        np.testing.assert_allclose(got, bundle.scores([text], sequence_length=64), atol=1e-5)


def test_python_builder_equals_the_keras_preprocessing(micro_model, relu_classifier):
    _, model = micro_model
    meta = read_metadata(model)
    bundle = load_classifier(relu_classifier)
    tokenizer = bundle.preprocessor().tokenizer
    for text in SENTENCES:
        x = keras_inputs.micro_float_inputs(bundle, [text], 64)
        expected = {n: micro.quantize(x[n], *meta["input_quantization"][n]) for n in micro_format.INPUT_NAMES}
        tokens = tokenizer(tf.constant(text))["tokens"].numpy().tolist()
        got = micro.quantized_inputs(tokens, None, meta)
        for name in micro_format.INPUT_NAMES:
            np.testing.assert_array_equal(got[name], expected[name], err_msg=f"{name}: {text[:40]!r}")


@pytest.fixture(scope="module")
def c_builder(tmp_path_factory):
    return compile_c(tmp_path_factory, "micro_input_check", "micro_input_check.c", "eelbert_micro_input.c",
                     "eelbert_hash.c")


def test_c_input_builder_equals_python_bit_for_bit(micro_model, relu_classifier, c_builder):
    _, model = micro_model
    meta = read_metadata(model)
    tokenizer = load_classifier(relu_classifier).preprocessor().tokenizer
    tokens = lambda t: tokenizer(tf.constant(t))["tokens"].numpy().tolist()  # noqa: E731
    cases = [(tokens(t), None) for t in SENTENCES] + [(tokens(b), None) for b in INVALID_UTF8]
    cases += [(tokens(SENTENCES[0]), tokens(SENTENCES[1])), (tokens(SENTENCES[7]), tokens("short")),
              (tokens("x"), tokens(SENTENCES[9])), ([b"\xff\xfe", b"##\xc3"], [b"caf\xc3\xa9"])]
    lines = [micro_format.c_check_request(a, b, meta) for a, b in cases]
    out = subprocess.run([str(c_builder)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.strip().split("\n")
    assert len(out) == len(cases)
    for (a, b), line in zip(cases, out):
        count, got = micro_format.c_check_values(line, meta)
        want = micro.quantized_inputs(a, b, meta)
        for name in micro_format.INPUT_NAMES:
            np.testing.assert_array_equal(got[name], want[name])
        assert count == len(micro.packed_tokens(a, b, 64)[0])


def test_c_text_builder_tokenizes_raw_utf8_like_the_words_reference(micro_model, tmp_path_factory):
    """A sentence in, the int8 inputs out, on the device with no vocabulary: the C words tokenizer, packing,
    hash and quantization equal the NumPy references (`eelbert_lite.words`, `quantized_inputs`) bit for bit."""
    from eelbert_lite import words

    binary = compile_c(tmp_path_factory, "micro_text_check", "micro_text_check.c", "eelbert_micro_text_input.c",
                       "eelbert_micro_input.c", "eelbert_hash.c", "eelbert_words.c")
    _, model = micro_model
    meta = read_metadata(model)
    texts = [t.encode() for t in SENTENCES] + INVALID_UTF8
    cases = [(t, None) for t in texts] + [(texts[0], texts[1]), (texts[7], b"short"), (b"x", texts[9]),
                                          ("Don't — say “Internationalizations”".encode(), b"ok"),
                                          # a pair whose second text has no token: [CLS] a [SEP] [SEP], as Python
                                          (texts[0], b""), (texts[1], b" \t ")]
    head = micro_format.c_check_request([], [], meta).split()[:11]
    lines = [" ".join(head + [str(words.DEFAULT_MAX_WORD_BYTES), a.hex() or "-", "none" if b is None else b.hex() or "-"])
             for a, b in cases]
    out = subprocess.run([str(binary)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.strip().split("\n")
    assert len(out) == len(cases)
    for (a, b), line in zip(cases, out):
        count, got = micro_format.c_check_values(line, meta)
        tokens_b = None if b is None else words.tokenize(b)
        want = micro.quantized_inputs(words.tokenize(a), tokens_b, meta)
        for name in micro_format.INPUT_NAMES:
            np.testing.assert_array_equal(got[name], want[name], err_msg=repr(a[:40]))
        assert count == len(micro.packed_tokens(words.tokenize(a), tokens_b, meta["sequence_length"])[0])


def test_a_gelu_model_is_refused_with_the_fix_named(sentiment_classifier, tmp_path):
    with pytest.raises(ExportError, match="--activation relu"):
        export(sentiment_classifier, "micro", tmp_path / "m.tflite", calibration=CALIBRATION)
    assert not (tmp_path / "m.tflite").exists()


def test_a_token_embedding_scale_folds_into_the_micro_tables(relu_classifier):
    """`token_embedding_scale` multiplies the hash vectors in Keras; the micro graph divides the position
    and segment tables by it instead (LayerNorm does not see the difference), so the device still feeds
    the raw hash vectors."""
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier

    bundle = load_classifier(relu_classifier)
    backbone = bundle.model.backbone
    scaled = EelbertBackbone.from_config({**backbone.get_config(), "token_embedding_scale": 0.07})
    scaled.set_weights(backbone.get_weights())
    classifier = EelbertTextClassifier(scaled, num_classes=2)
    classifier.output_dense.set_weights(bundle.model.output_dense.get_weights())
    weights = micro_format.MicroWeights.from_classifier(classifier, 64)
    preprocessor = bundle.preprocessor(64)
    for text in SENTENCES[:3]:
        x = keras_inputs.micro_float_inputs(bundle, [text], 64)
        got = micro_format.forward(weights, *(tf.constant(x[n]) for n in micro_format.INPUT_NAMES)).numpy()
        keras_x = preprocessor(tf.constant([text]))
        want = tf.nn.softmax(classifier({k: keras_x[k] for k in scaled.input}, training=False)).numpy()
        np.testing.assert_allclose(got, want, atol=1e-5)
        unscaled = bundle.scores([text], sequence_length=64)
        assert np.abs(want - unscaled).max() > 1e-3  # the scale changes the model
