import keras
import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models import BACKBONE_PRESETS, EelbertBackbone
from eelbert_tf.models.presets import SIZES
from eelbert_tf.models import EelbertTextClassifierPreprocessor
from eelbert_tf.preprocessing import EelbertTokenizer


def independent_count(num_layers, hidden_dim, intermediate_dim, vocabulary_size, table,
                      max_sequence_length=512, num_segments=2, **_):
    """BERT's parameter count written out from the architecture, not from Keras."""
    h, i = hidden_dim, intermediate_dim
    embedding = (vocabulary_size * h if table else 0) + max_sequence_length * h + num_segments * h + 2 * h
    attention = 4 * (h * h + h)
    feed_forward = h * i + i + i * h + h
    layer = attention + feed_forward + 2 * (2 * h)
    pooler = h * h + h
    return embedding, num_layers * layer, pooler


@pytest.mark.parametrize("preset", ["eelbert_uno", "eelbert_tiny", "bert_tiny", "random_hash_tiny", "eelbert_mini"])
def test_parameter_counts_match_the_architecture(preset):
    cfg = BACKBONE_PRESETS[preset]
    counts = EelbertBackbone.from_preset(preset).parameter_counts()
    embedding, encoder, pooler = independent_count(table=cfg["embedding_type"] == "table", **cfg)
    assert (counts["embedding"], counts["encoder"], counts["pooler"]) == (embedding, encoder, pooler)
    if cfg["embedding_type"] != "table":
        assert counts["token_embedding"] == 0


def test_preset_table_and_paper_ratio():
    assert set(SIZES) == {"uno", "tiny", "mini", "small", "base"}
    for size in SIZES:
        assert f"eelbert_{size}" in BACKBONE_PRESETS and f"bert_{size}" in BACKBONE_PRESETS
    ratio = EelbertBackbone.from_preset("bert_tiny").count_params() / EelbertBackbone.from_preset(
        "eelbert_uno").count_params()
    assert 14 < ratio < 17  # the paper: UNO-EELBERT is about 15x smaller than BERT-tiny
    with pytest.raises(ValueError, match="Unknown preset .eelbert_huge.*eelbert_uno"):
        EelbertBackbone.from_preset("eelbert_huge")
    with pytest.raises(ValueError, match="embedding_type"):
        EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=8, embedding_type="x")


@pytest.fixture(scope="module")
def preprocessor(small_vocab_path):
    return EelbertTextClassifierPreprocessor(tokenizer=EelbertTokenizer(small_vocab_path), sequence_length=12)


@pytest.mark.parametrize("embedding_type", ["ngram_hash", "random_hash", "table"])
def test_forward_fit_and_save(tmp_path, preprocessor, embedding_type):
    backbone = EelbertBackbone(
        num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32, embedding_type=embedding_type,
        vocabulary_size=preprocessor.tokenizer.vocabulary_size(), max_sequence_length=32,
    )
    x = preprocessor(tf.constant(["the quick brown fox", "a good movie, bad dog"]))
    inputs = {k: x[k] for k in backbone.input}
    out = backbone(inputs)
    assert out["sequence_output"].shape == (2, 12, 16) and out["pooled_output"].shape == (2, 16)
    # One fit step of a small classifier on top.
    features = {k: keras.Input(shape=(None,), dtype=v.dtype, name=k) for k, v in backbone.input.items()}
    logits = keras.layers.Dense(2)(backbone(features)["pooled_output"])
    model = keras.Model(features, logits)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(inputs, tf.constant([0, 1]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    path = tmp_path / "backbone.keras"
    backbone.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        restored(inputs)["sequence_output"].numpy(), backbone(inputs)["sequence_output"].numpy(), atol=1e-6
    )
    assert restored.get_config() == backbone.get_config()


def test_pre_layer_norm_option(preprocessor):
    post = EelbertBackbone(num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32)
    pre = EelbertBackbone(num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32, normalize_first=True)
    assert all(layer.normalize_first for layer in pre.transformer_layers)
    assert not any(layer.normalize_first for layer in post.transformer_layers)
    # One extra LayerNorm (scale and offset) after the stack.
    assert pre.count_params() == post.count_params() + 2 * 16
    assert pre.parameter_counts()["total"] == pre.count_params()
    x = preprocessor(tf.constant(["a tiny model", "another"]))
    out = pre({k: x[k] for k in pre.input})["sequence_output"].numpy()
    # The final LayerNorm normalizes every position.
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-4)
    restored = EelbertBackbone.from_config(pre.get_config())
    assert restored.normalize_first and restored.count_params() == pre.count_params()
    # Configs written before the option existed load as post-LN.
    old = {k: v for k, v in post.get_config().items() if k != "normalize_first"}
    assert EelbertBackbone.from_config(old).normalize_first is False


def test_position_embedding_stddev_sets_the_initial_position_and_segment_spread():
    default = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=64, intermediate_dim=32)
    wide = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=64, intermediate_dim=32,
                           position_embedding_stddev=0.29)
    for layer in ("position_embedding", "segment_embedding"):
        narrow_std = np.std(getattr(default, layer).weights[0].numpy())
        wide_std = np.std(getattr(wide, layer).weights[0].numpy())
        # A truncated normal at 2 sigma keeps 0.88 of the stddev.
        np.testing.assert_allclose(narrow_std, 0.88 * 0.02, rtol=0.25)
        np.testing.assert_allclose(wide_std, 0.88 * 0.29, rtol=0.25)
    assert wide.count_params() == default.count_params()
    assert EelbertBackbone.from_config(wide.get_config()).position_embedding_stddev == 0.29
    # The default is not written, so configs of the shipped presets are unchanged.
    assert "position_embedding_stddev" not in default.get_config()
