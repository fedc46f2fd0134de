"""Hostile inputs through every path, and TF == NumPy on random Unicode (hypothesis)."""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eelbert_lite import hashing as spec
from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models import EelbertTextClassifierPreprocessor
from eelbert_tf.preprocessing import EelbertTokenizer

HOSTILE_TEXTS = [
    "",
    "   \t\n  ",
    "word " * 20_000,  # 100,000 characters
    "\x00\x01\x02 nul and control \x7f\x1b[31m",
    "👨‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏽",
    "汉字和日本語と한국어",
    "مرحبا بالعالم שלום עולם",
    "e\u0301 a\u0308\u0323 combining marks",
    "a" * 5000,  # one very long word: [UNK]
    "3.14159 1,000,000 -42 1e-9",
    "https://example.org/path?q=1&r=%20#frag user@example.com",
]
INVALID_UTF8 = [b"\xff\xfe broken \xc3", b"ok \xed\xa0\x80 surrogate"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(min_size=0, max_size=24), min_size=1, max_size=12),
       st.sampled_from(spec.HASH_TYPES), st.sampled_from([(3,), (1, 2), (2, 3, 4)]))
def test_tensorflow_equals_numpy_on_random_unicode(tokens, hash_type, orders):
    layer = DynamicHashEmbedding(8, hash_type=hash_type, ngram_orders=orders)
    got = layer(tf.constant([tokens]))[0].numpy()
    assert (got == spec.embed_tokens(tokens, 8, hash_type, orders)).all()


def test_hostile_texts_through_preprocessing_and_model(real_vocab_path):
    preprocessor = EelbertTextClassifierPreprocessor(EelbertTokenizer(real_vocab_path), sequence_length=64)
    texts = tf.constant([t.encode("utf-8") for t in HOSTILE_TEXTS] + INVALID_UTF8)
    x = preprocessor(texts)
    assert x["tokens"].shape == (len(HOSTILE_TEXTS) + len(INVALID_UTF8), 64)
    long_row = x["padding_mask"].numpy()[2]
    assert long_row.sum() == 64  # the 100,000-character text is cut to 64 tokens, as documented
    empty = x["tokens"].numpy()[0].tolist()
    assert empty[:2] == [b"[CLS]", b"[SEP]"] and set(empty[2:]) == {b"[PAD]"}
    assert b"[UNK]" in x["tokens"].numpy()[8].tolist()  # the 5,000-byte word
    backbone = EelbertBackbone.from_preset("eelbert_uno")
    out = backbone({k: x[k] for k in backbone.input})
    assert np.isfinite(out["sequence_output"].numpy()).all()
    assert np.isfinite(out["pooled_output"].numpy()).all()


def test_hostile_raw_tokens_through_layer_and_reference():
    tokens = [t.encode("utf-8") for t in HOSTILE_TEXTS] + INVALID_UTF8 + [b"\x00", b"##", b"[PAD]"]
    layer = DynamicHashEmbedding(16, ngram_orders=(2, 3))
    got = layer(tf.constant([tokens]))[0].numpy()
    assert got.shape == (len(tokens), 16) and np.isfinite(got).all() and np.abs(got).max() <= 1
    assert (got == spec.embed_tokens(tokens, 16, ngram_orders=(2, 3))).all()
    assert (got[0] == 0).all() and (got[-1] == 0).all()  # "" and "[PAD]"


@pytest.mark.parametrize("jit", [False, True])
def test_graph_and_xla_agree_with_eager(jit):
    tokens = tf.constant([[t.encode("utf-8")[:40] for t in HOSTILE_TEXTS]])
    layer = DynamicHashEmbedding(8)
    from eelbert_tf.layers import hash_ops

    token_bytes = hash_ops.token_strings_to_bytes(tokens)
    eager = layer.embed_bytes(token_bytes).numpy()
    graph = tf.function(layer.embed_bytes, jit_compile=jit)(token_bytes).numpy()
    np.testing.assert_allclose(graph, eager, atol=1e-6)
    assert (eager == layer(tokens).numpy()).all()


_DIGEST_SCRIPT = r"""
import hashlib, json, sys
import numpy as np, tensorflow as tf
from eelbert_lite import hashing as spec
from eelbert_tf.layers import hash_ops
from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
tokens = [bytes.fromhex(h) for h in json.loads(sys.argv[1])]
layer = DynamicHashEmbedding(32, ngram_orders=(2, 3))
strings = layer(tf.constant([tokens]))[0].numpy()
by_bytes = layer.embed_bytes(hash_ops.token_strings_to_bytes(tf.constant([[t[:64] for t in tokens]])))[0].numpy()
reference = spec.embed_tokens(tokens, 32, ngram_orders=(2, 3))
print(json.dumps([hashlib.sha256(a.astype("<f4").tobytes()).hexdigest() for a in (strings, by_bytes, reference)]))
"""


def test_hash_vectors_are_bit_identical_across_processes():
    import hashlib
    import json
    import os
    import subprocess
    import sys

    from eelbert_tf.layers import hash_ops

    tokens = [t.encode("utf-8")[:200] for t in HOSTILE_TEXTS] + INVALID_UTF8 + [b"##ing", b"[CLS]"]
    layer = DynamicHashEmbedding(32, ngram_orders=(2, 3))
    here = [
        layer(tf.constant([tokens]))[0].numpy(),
        layer.embed_bytes(hash_ops.token_strings_to_bytes(tf.constant([[t[:64] for t in tokens]])))[0].numpy(),
        spec.embed_tokens(tokens, 32, ngram_orders=(2, 3)),
    ]
    here = [hashlib.sha256(a.astype("<f4").tobytes()).hexdigest() for a in here]
    assert here[0] == here[2]  # strings path == NumPy reference, bit for bit
    for hash_seed in ("0", "12345"):  # Python's own string hashing differs per process; ours must not
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "TF_CPP_MIN_LOG_LEVEL": "3"}
        result = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT, json.dumps([t.hex() for t in tokens])],
                                capture_output=True, text=True, env=env, check=True)
        assert json.loads(result.stdout.strip().splitlines()[-1]) == here


def _shipped_presets():
    from eelbert_tf.models.pretrained import pretrained_presets

    return sorted(pretrained_presets())


@pytest.mark.parametrize("name", _shipped_presets())
def test_hostile_batch_through_each_shipped_model_saved_and_reloaded(name, real_vocab_path, tmp_path):
    from eelbert_tf.models import saving
    from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier

    preprocessor = EelbertTextClassifierPreprocessor(EelbertTokenizer(real_vocab_path), sequence_length=128)
    texts = tf.constant([t.encode("utf-8") for t in HOSTILE_TEXTS] + INVALID_UTF8)
    pairs = (texts, tf.reverse(texts, [0]))
    backbone = EelbertBackbone.from_preset(name)
    model = EelbertTextClassifier(backbone, 3)
    for packed in (preprocessor(texts), preprocessor(pairs)):
        x = {k: packed[k] for k in backbone.input}
        out = backbone(x)
        assert out["sequence_output"].shape == (len(texts), 128, backbone.hidden_dim)
        assert np.isfinite(out["sequence_output"].numpy()).all() and np.isfinite(out["pooled_output"].numpy()).all()
        # Padding positions do not leak into real ones: a row alone equals the row in the batch.
        alone = backbone({k: v[:1] for k, v in x.items()})["pooled_output"].numpy()
        np.testing.assert_allclose(alone, out["pooled_output"].numpy()[:1], atol=1e-5)
    reloaded = saving.load_model(saving.save_model(model, tmp_path / f"{name}.keras"))
    x = {k: preprocessor(pairs)[k] for k in backbone.input}
    np.testing.assert_array_equal(reloaded(x).numpy(), model(x).numpy())
    assert np.isfinite(model(x).numpy()).all()
