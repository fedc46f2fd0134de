import keras
import numpy as np
import pytest
import tensorflow as tf

from eelbert_lite import hashing as spec
from eelbert_tf.layers import hash_ops
from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
from tests.conftest import random_tokens


def _layer_for(cfg, **kwargs):
    return DynamicHashEmbedding(
        cfg["dim"], hash_type=cfg["hash_type"], ngram_orders=cfg["ngram_orders"], seed=cfg["seed"],
        **kwargs,
    )


@pytest.mark.parametrize("deduplicate", [True, False])
def test_layer_equals_golden_on_strings_and_bytes(golden, deduplicate):
    for cfg in golden["configs"]:
        rows = cfg["tokens"]
        tokens = tf.constant([bytes.fromhex(r["utf8_hex"]) for r in rows])
        expected = np.array([r["vector"] for r in rows], np.float32)
        layer = _layer_for(cfg, deduplicate=deduplicate)
        np.testing.assert_array_equal(layer(tokens[None, :])[0].numpy(), expected)
        token_bytes = hash_ops.token_strings_to_bytes(tokens)
        np.testing.assert_array_equal(layer.embed_bytes(token_bytes).numpy(), expected)


def test_zero_weights_and_config_round_trip():
    layer = DynamicHashEmbedding(32, ngram_orders=(2, 3), seed=9, name="hash")
    layer(tf.constant([["a"]]))
    assert layer.weights == [] and layer.trainable_weights == []
    clone = DynamicHashEmbedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = tf.constant([["running", "##s", ""]])
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


@pytest.mark.parametrize("hash_type", spec.HASH_TYPES)
@pytest.mark.parametrize("orders", [(3,), (2, 3, 4)])
def test_unseen_tokens_equal_numpy_reference(hash_type, orders):
    tokens = random_tokens(300, seed=hash(orders) % 1000)
    expected = spec.embed_tokens(tokens, 24, hash_type, orders, seed=5)
    layer = DynamicHashEmbedding(24, hash_type=hash_type, ngram_orders=orders, seed=5)
    got = layer(tf.constant(tokens)[None, :])[0].numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert (got == expected).all()  # the spec makes it exact, not just close
    got_bytes = layer.embed_bytes(hash_ops.token_strings_to_bytes(tf.constant(tokens))).numpy()
    assert (got_bytes == expected).all()


def test_eager_graph_xla_tf_data_and_ragged_agree():
    tokens = random_tokens(64, seed=11)
    layer = DynamicHashEmbedding(16)
    dense = tf.constant(tokens)[None, :]
    eager = layer(dense).numpy()
    graph = tf.function(layer)(dense).numpy()
    np.testing.assert_array_equal(graph, eager)
    xla = tf.function(lambda b: layer.embed_bytes(b), jit_compile=True)(
        hash_ops.token_strings_to_bytes(dense)
    )
    np.testing.assert_allclose(xla.numpy(), eager, atol=1e-6)
    # tf.data: unbatched elements, then a batched pipeline.
    unbatched = tf.data.Dataset.from_tensor_slices(tf.constant(tokens)).map(lambda t: layer(t[None])[0])
    np.testing.assert_array_equal(np.stack(list(unbatched.as_numpy_iterator())), eager[0])
    batched = tf.data.Dataset.from_tensor_slices(tf.reshape(dense, [8, 8])).batch(4).map(layer)
    np.testing.assert_array_equal(np.concatenate(list(batched.as_numpy_iterator())).reshape(1, 64, 16), eager)
    ragged = tf.ragged.constant([tokens[:5], tokens[5:7]])
    out = layer(ragged)
    assert isinstance(out, tf.RaggedTensor)
    np.testing.assert_array_equal(out.flat_values.numpy(), eager[0, :7])


def test_padding_is_zero_and_shape_is_static():
    layer = DynamicHashEmbedding(8)
    out = layer(tf.constant([["hi", "", "[PAD]"], ["[CLS]", "x", ""]]))
    assert out.shape == (2, 3, 8) and out.dtype == tf.float32
    assert (out.numpy()[0, 1:] == 0).all() and (out.numpy()[1, 2] == 0).all()
    spec_out = tf.function(layer).get_concrete_function(tf.TensorSpec([None, 7], tf.string))
    assert spec_out.structured_outputs.shape.as_list() == [None, 7, 8]


def test_keras_model_saves_and_reloads(tmp_path):
    inputs = keras.Input(shape=(None,), dtype="string")
    x = DynamicHashEmbedding(16, ngram_orders=(2, 3))(inputs)
    outputs = keras.layers.Dense(4)(x)
    model = keras.Model(inputs, outputs)
    data = tf.constant([random_tokens(10, seed=3), random_tokens(10, seed=4)])
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored(data).numpy(), model(data).numpy())


def test_fit_one_step_trains_only_downstream_weights():
    inputs = keras.Input(shape=(None,), dtype="string")
    x = DynamicHashEmbedding(16)(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    data = tf.constant([["good", "movie"], ["bad", "film"]])
    history = model.fit(data, tf.constant([[1.0], [0.0]]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert len(model.trainable_weights) == 2


def test_bad_inputs_are_named():
    layer = DynamicHashEmbedding(8)
    with pytest.raises(ValueError, match="string tensor.*int32.*Received: dtype=float32"):
        layer(tf.constant([[1.0, 2.0]]))
    # Integers are token bytes (the backend-neutral path): [[1, 2]] is one token of bytes 1 and 2.
    np.testing.assert_array_equal(layer(tf.constant([[1, 2]])), layer.embed_bytes(tf.constant([[1, 2]])))
    with pytest.raises(ValueError, match="int32"):
        layer.embed_bytes(tf.constant([[1.0]]))
    with pytest.raises(ValueError, match="output_dim|dim"):
        DynamicHashEmbedding(0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_bytes"):
        hash_ops.token_strings_to_bytes(tf.constant(["toolong"]), max_bytes=3)
