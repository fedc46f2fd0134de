"""A classifier fine-tuned with the vocabulary-free words tokenizer, in every format that fits it: the same
scores as Keras, and no vocabulary anywhere (no vocab.txt, no table in a .tflite)."""

import numpy as np
import pytest

from eelbert_tf.classification.classifier_bundle import VOCAB_FILE, load_classifier
from eelbert_tf.export.core import ExportError
from eelbert_tf.export.exporter import export
from eelbert_tf.export.runner import TFLiteClassifier
from tests.export.conftest import FIXTURES, INVALID_UTF8, SENTENCES


@pytest.fixture(scope="module")
def words_keras(words_classifier):
    bundle = load_classifier(words_classifier)
    return bundle, bundle.scores(SENTENCES + INVALID_UTF8)


def test_bundle_has_no_vocabulary(words_classifier, words_keras):
    bundle, _ = words_keras
    assert not (words_classifier / VOCAB_FILE).exists()
    assert bundle.vocabulary is None and bundle.tokenizer_kind == "words" and bundle.max_word_bytes == 20
    x = bundle.preprocessor()(["Don't panic"])
    assert x["tokens"].numpy()[0, :6].tolist() == [b"[CLS]", b"don", b"'", b"t", b"panic", b"[SEP]"]


@pytest.mark.parametrize("fmt", ["utf8", "text", "bytes"])
def test_words_formats_equal_keras(tmp_path, words_classifier, words_keras, fmt):
    bundle, expected = words_keras
    report = export(words_classifier, fmt, tmp_path / f"{fmt}.tflite")
    got = TFLiteClassifier(report["path"]).scores(SENTENCES + INVALID_UTF8)
    # The utf8 model sees at most 8 bytes per token of the text: the 10,000-byte texts are cut shorter
    # than their packed tokens reach, the others are whole.
    keep = [i for i, t in enumerate(SENTENCES + INVALID_UTF8)
            if fmt != "utf8" or len(t.encode() if isinstance(t, str) else t) <= 8 * 32]
    np.testing.assert_allclose(got[keep], expected[keep], atol=1e-4)
    if fmt == "text":
        assert set(report["custom_ops"]) <= {"TFText>ByteSplitWithOffsets"}  # no normalizer, no WordPiece
    else:
        assert report["custom_ops"] == []


def test_utf8_model_runs_with_the_builtin_op_resolver_alone_and_holds_no_table(tmp_path, words_classifier,
                                                                               words_keras):
    from ai_edge_litert import interpreter as litert

    from eelbert_lite.inputs import text_bytes

    bundle, expected = words_keras
    path = export(words_classifier, "utf8", tmp_path / "u.tflite")["path"]
    wordpiece_bytes = export(FIXTURES.parent.parent / "tflite" / "models" / "sst2_eelbert_uno", "text",
                             tmp_path / "wp.tflite", sequence_length=32)["bytes"]
    interpreter = litert.Interpreter(model_path=path, experimental_op_resolver_type=litert.OpResolverType.BUILTIN)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    for i in (0, 1, 4):
        interpreter.set_tensor(inp["index"], text_bytes(SENTENCES[i], int(inp["shape"][-1])))
        interpreter.invoke()
        np.testing.assert_allclose(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0],
                                   expected[i], atol=1e-4)
    # The WordPiece text model carries about 1.9 MB of normalizer and vocabulary tables; this one none.
    assert (tmp_path / "u.tflite").stat().st_size < wordpiece_bytes - 1_500_000


def test_words_refusals(tmp_path, words_classifier, sentiment_classifier):
    with pytest.raises(ExportError, match="MediaPipe"):
        export(words_classifier, "mediapipe", tmp_path / "m.tflite")
    with pytest.raises(ExportError, match="--tokenizer words"):
        export(sentiment_classifier, "utf8", tmp_path / "u.tflite")


@pytest.mark.slow
def test_words_micro_model_follows_keras(tmp_path_factory, tmp_path):
    """The micro format with the words tokenizer: the runner feeds TFLite Micro the hash vectors of the words
    tokens (what `eelbert_micro_build_input_from_text` computes on the device); int8 scores follow Keras."""
    from tests.export.conftest import reviews_classifier

    folder = reviews_classifier(tmp_path_factory, "words_relu", tokenizer="words", epochs=15, sequence_length=32,
                                activation="relu")
    bundle = load_classifier(folder)
    report = export(folder, "micro", tmp_path / "m.tflite", calibration=[["a great film"], ["a dull plot"],
                                                                          ["superb acting"], ["boring, bland"]])
    assert report["custom_ops"] == []
    texts = ["A wonderful, moving film.", "The plot is dull and the ending is terrible.", "superb", "awful, bland"]
    expected = bundle.scores(texts)
    got = TFLiteClassifier(report["path"]).scores(texts)
    assert np.abs(got - expected).max() < 0.1


def test_per_tensor_int8_weights_are_smaller_and_follow_keras(tmp_path, words_classifier, words_keras):
    """`--per-tensor` (one scale per weight matrix): the complete int8 text-in model loses the per-channel
    scales and int64 zero points (18 KB for UNO at 128 tokens) and still follows the Keras model."""
    from tensorflow.lite.tools import flatbuffer_utils

    from eelbert_tf.export.core import read_metadata

    bundle, expected = words_keras
    texts = SENTENCES[:6]
    sizes = {}
    for weights in ("per_channel", "per_tensor"):
        report = export(words_classifier, "utf8", tmp_path / f"{weights}.tflite", int8=True, hash_widths=(),
                        int8_weights=weights)
        sizes[weights] = report["bytes"]
        content = (tmp_path / f"{weights}.tflite").read_bytes()
        assert read_metadata(content)["int8_weights"] == weights == report["int8_weights"]
        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
        scales = [len(t.quantization.scale) for t in model.subgraphs[0].tensors
                  if t.quantization is not None and t.quantization.scale is not None]
        assert (max(scales) == 1) == (weights == "per_tensor")
        got = TFLiteClassifier(report["path"]).scores(texts)
        assert np.abs(got - expected[: len(texts)]).max() < 0.08, weights
    assert sizes["per_tensor"] < sizes["per_channel"] - 5_000
    with pytest.raises(ExportError, match="int8 weights 'per_row'"):
        export(words_classifier, "utf8", tmp_path / "x.tflite", int8=True, int8_weights="per_row")


def test_compacted_flatbuffer_keeps_what_runs(tmp_path, words_classifier):
    """`compact_flatbuffer` drops only what nothing reads: inputs and outputs keep their names, internal
    tensors have none, every tensor without data shares the empty buffer 0, no buffer is unused, and
    compacting again changes nothing."""
    from tensorflow.lite.tools import flatbuffer_utils

    from eelbert_tf.export.core import compact_flatbuffer

    content = (export(words_classifier, "utf8", tmp_path / "u.tflite")["path"])
    content = open(content, "rb").read()
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    graph = model.subgraphs[0]
    io = set(graph.inputs) | set(graph.outputs)
    assert all(graph.tensors[i].name for i in io)
    assert not any(t.name for i, t in enumerate(graph.tensors) if i not in io)
    empty = [i for i, b in enumerate(model.buffers) if b.data is None or len(b.data) == 0]
    assert empty == [0]
    used = {t.buffer for t in graph.tensors} | {e.buffer for e in model.metadata}
    assert used == set(range(len(model.buffers)))
    assert compact_flatbuffer(content) == content
