"""The vocabulary-free word tokenizer: every implementation against tflite/golden/words_golden.json."""

import json
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from eelbert_lite import hashing
from eelbert_lite import words as spec
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer, text_bytes_to_token_bytes
from tests.conftest import REPO, compile_c

GOLDEN = REPO / "tflite" / "golden" / "words_golden.json"


@pytest.fixture(scope="module")
def golden():
    return json.loads(GOLDEN.read_text())


def cases(golden, name=None):
    for cfg in golden["configs"]:
        if name is None or cfg["name"] == name:
            for row in cfg["texts"]:
                yield cfg, bytes.fromhex(row["utf8_hex"]), [bytes.fromhex(t) for t in row["tokens_hex"]], row


def test_golden_file_is_this_spec(golden):
    assert golden["words_spec_version"] == spec.WORDS_SPEC_VERSION
    assert golden["words_spec_fingerprint"] == spec.words_spec_fingerprint()
    assert golden["hash_spec_fingerprint"] == hashing.spec_fingerprint()
    # The file exercises what the spec decides: folding, both punctuation kinds, pieces, empty texts.
    tokens = {t for _, _, ts, _ in cases(golden, "default") for t in ts}
    assert {b"don", b"'", "—".encode(), "àéîõü".encode(), b"##s", b"\xc3\x97"} <= tokens
    assert any(not ts for _, _, ts, _ in cases(golden))


def test_numpy_reference_equals_golden(golden):
    for cfg, text, tokens, row in cases(golden):
        assert spec.tokenize(text, cfg["max_word_bytes"]) == tokens, row.get("text", row["utf8_hex"])
        if "vectors" in row:
            h = golden["hash"]
            got = hashing.embed_tokens(tokens, h["dim"], h["hash_type"], h["ngram_orders"], h["seed"]) if tokens else []
            np.testing.assert_array_equal(np.asarray(got, np.float32).reshape(-1, h["dim"]),
                                          np.asarray(row["vectors"], np.float32).reshape(-1, h["dim"]))


def test_keras_tokenizer_equals_golden(golden):
    for cfg in golden["configs"]:
        rows = cfg["texts"]
        tokenizer = EelbertWordTokenizer(max_word_bytes=cfg["max_word_bytes"])
        texts = tf.constant([bytes.fromhex(r["utf8_hex"]) for r in rows])
        got = tokenizer(texts)["tokens"].to_list()
        assert got == [[bytes.fromhex(t) for t in r["tokens_hex"]] for r in rows], cfg["name"]
    # Texts with bytes but no token, alone in a batch.
    assert tokenizer(tf.constant(["   ", "\t"]))["tokens"].to_list() == [[], []]
    # One text: a dense vector.
    assert EelbertWordTokenizer()(tf.constant("Don't panic!"))["tokens"].numpy().tolist() == [
        b"don", b"'", b"t", b"panic", b"!"]


def test_keras_tokenizer_config_round_trip_and_bad_settings():
    layer = EelbertWordTokenizer(max_word_bytes=7)
    assert EelbertWordTokenizer.from_config(layer.get_config()).max_word_bytes == 7
    for bad in (2, 0, 2.5, True, "20"):
        with pytest.raises(ValueError, match="max_word_bytes"):
            EelbertWordTokenizer(max_word_bytes=bad)
    with pytest.raises(ValueError, match="rank 0 or 1"):
        EelbertWordTokenizer()(tf.constant([["a", "b"]]))


def convert_tokenizer(max_text_bytes, max_tokens, max_word_bytes):
    @tf.function(input_signature=[tf.TensorSpec([max_text_bytes], tf.int32, name="text_bytes")])
    def tokenize(text_bytes):
        token_bytes, count = text_bytes_to_token_bytes(text_bytes, max_tokens, max_word_bytes)
        return {"token_bytes": token_bytes, "count": count}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([tokenize.get_concrete_function()], tokenize)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def test_tflite_builtins_tokenizer_equals_golden(golden):
    """The bytes-in tokenizer converts with builtin ops only (no Flex, no custom op, no table) and runs
    in LiteRT's stock interpreter token for token as the reference."""
    from ai_edge_litert.interpreter import Interpreter

    n, t = 512, 300
    for cfg in golden["configs"]:
        model = convert_tokenizer(n, t, cfg["max_word_bytes"])
        interpreter = Interpreter(model_content=model)
        interpreter.allocate_tensors()
        ops = {op["op_name"] for op in interpreter._get_ops_details()}
        assert not any(o.startswith(("Flex", "Custom")) or o == "CUSTOM" for o in ops), ops
        (inp,) = interpreter.get_input_details()
        outputs = {len(d["shape"]): d["index"] for d in interpreter.get_output_details()}
        for _, text, tokens, row in cases(golden, cfg["name"]):
            x = np.full(n, -1, np.int32)
            x[: len(text)] = list(text)
            interpreter.set_tensor(inp["index"], x)
            interpreter.invoke()
            count = int(interpreter.get_tensor(outputs[0]))
            matrix = interpreter.get_tensor(outputs[2])
            assert count == len(tokens), row.get("text")
            assert [bytes(int(v) for v in r if v >= 0) for r in matrix[:count]] == tokens, row.get("text")
            assert (matrix[count:] == -1).all()
    # Small: no tables, only the graph.
    assert len(convert_tokenizer(n, t, spec.DEFAULT_MAX_WORD_BYTES)) < 64_000


def test_token_bytes_are_cut_at_max_tokens():
    matrix, count = text_bytes_to_token_bytes(tf.constant(list(b"a b c d e f"), tf.int32), max_tokens=4)
    assert int(count) == 4 and matrix.shape == (4, spec.DEFAULT_MAX_WORD_BYTES)
    assert [bytes(int(v) for v in r if v >= 0) for r in matrix.numpy()] == [b"a", b"b", b"c", b"d"]


@pytest.fixture(scope="module")
def words_check_binary(tmp_path_factory):
    return compile_c(tmp_path_factory, "words_check", "words_check.c", "eelbert_words.c", "eelbert_hash.c")


def test_c_reference_equals_golden(golden, words_check_binary):
    """Raw UTF-8 text in, the golden tokens and, for the default setting, their hash vectors bit for bit."""
    rows = list(cases(golden))
    dim = golden["hash"]["dim"]
    lines = [f"{text.hex() or '-'} {cfg['max_word_bytes']} {dim}" for cfg, text, _, _ in rows]
    result = subprocess.run([str(words_check_binary)], input="\n".join(lines) + "\n", capture_output=True,
                            text=True, check=True)
    outputs = result.stdout.strip("\n").split("\n")
    assert len(outputs) == len(rows)
    for (cfg, text, tokens, row), line in zip(rows, outputs):
        count, *items = line.split(" ")
        assert int(count) == len(tokens), row.get("text")
        assert [bytes.fromhex(item.split(":")[0]) for item in items] == tokens, row.get("text")
        if "vectors" in row:
            got = [np.array([int(b, 16) for b in item.split(":")[1:]], np.uint32).view(np.float32) for item in items]
            np.testing.assert_array_equal(np.asarray(got, np.float32).reshape(-1, dim),
                                          np.asarray(row["vectors"], np.float32).reshape(-1, dim))


def test_c_reference_refuses_bad_settings(tmp_path):
    """max_word_bytes below 3 gives -1; a short span buffer keeps the count of every token."""
    source = tmp_path / "bad.c"
    source.write_text(
        '#include <stdio.h>\n#include "eelbert_words.h"\n'
        "int main(void) { const uint8_t t[] = \"a b c\"; uint8_t f[5]; eelbert_word_span s[2];\n"
        "  printf(\"%d %d\\n\", eelbert_words_tokenize(t, 5, 2, f, s, 2), eelbert_words_tokenize(t, 5, 20, f, s, 2));\n"
        "  return 0; }\n")
    import shutil

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler on this machine")
    binary = tmp_path / "bad"
    subprocess.run([cc, "-std=c99", "-Wall", "-Werror", f"-I{REPO / 'tflite' / 'c'}", "-o", str(binary), str(source),
                    str(REPO / "tflite" / "c" / "eelbert_words.c")], check=True)
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.split() == ["-1", "3"]


def test_preprocessor_packs_word_tokens_for_a_hash_backbone():
    import keras

    from eelbert_tf.models import EelbertBackbone
    from eelbert_tf.models import EelbertTextClassifierPreprocessor

    preprocessor = EelbertTextClassifierPreprocessor(EelbertWordTokenizer(), sequence_length=8)
    x = preprocessor((tf.constant(["Hello, world", "A"]), tf.constant(["General Kenobi!", "b c d e f g"])))
    assert "token_ids" not in x  # no vocabulary anywhere
    assert x["tokens"].numpy().tolist() == [
        [b"[CLS]", b"hello", b",", b"world", b"[SEP]", b"general", b"kenobi", b"[SEP]"],
        [b"[CLS]", b"a", b"[SEP]", b"b", b"c", b"d", b"e", b"[SEP]"],  # round robin, cut at the end
    ]
    assert x["segment_ids"].numpy().tolist() == [[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]
    one = preprocessor(tf.constant("Hi!"))
    assert one["tokens"].numpy().tolist() == [b"[CLS]", b"hi", b"!", b"[SEP]"] + [b"[PAD]"] * 4
    assert one["padding_mask"].numpy().tolist() == [1, 1, 1, 1, 0, 0, 0, 0]
    assert preprocessor(tf.constant([], tf.string))["tokens"].shape == (0, 8)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(preprocessor))
    assert restored.vocabulary_free and restored.tokenizer.max_word_bytes == spec.DEFAULT_MAX_WORD_BYTES

    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32)
    out = backbone({k: one[k][None] for k in backbone.input})["pooled_output"]
    assert out.shape == (1, 16)
