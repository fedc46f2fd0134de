"""The int32 bytes entry point converts with TFLite builtins only and runs bit-exact."""

import numpy as np
import pytest
import tensorflow as tf

from eelbert_lite.model_file import make_interpreter
from eelbert_tf.layers import hash_ops
from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding

MAX_BYTES = 24


def _convert(fn, spec):
    concrete = tf.function(fn).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def _run(model, x, reference_kernels=False):
    interpreter = make_interpreter(model, reference_kernels=reference_kernels)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("config_index", [0, 1, 2])
def test_bytes_path_in_tflite_equals_golden(golden, config_index):
    cfg = golden["configs"][config_index]
    rows = [r for r in cfg["tokens"] if len(bytes.fromhex(r["utf8_hex"])) <= MAX_BYTES]
    assert len(rows) >= 60
    layer = DynamicHashEmbedding(
        cfg["dim"], hash_type=cfg["hash_type"], ngram_orders=cfg["ngram_orders"], seed=cfg["seed"]
    )
    model = _convert(layer.embed_bytes, tf.TensorSpec([len(rows), MAX_BYTES], tf.int32))
    tokens = tf.constant([bytes.fromhex(r["utf8_hex"]) for r in rows])
    x = hash_ops.token_strings_to_bytes(tokens, max_bytes=MAX_BYTES).numpy()
    expected = np.array([r["vector"] for r in rows], np.float32)
    np.testing.assert_array_equal(_run(model, x), expected)
    np.testing.assert_array_equal(_run(model, x, reference_kernels=True), expected)
