"""`EelbertBackbone` under the JAX and PyTorch backends (issue 28): the hash from token bytes and the encoder are
`keras.ops`, so the same weights give the same vectors and outputs as under TensorFlow, and `fit` runs there.

A Keras backend is fixed per process, so each backend runs in a child process (`KERAS_BACKEND=...`); PyTorch is
optional (the `mirror` extra) and its case is skipped where it is not installed."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.conftest import GOLDEN_PATH, REPO

SENTENCES = ["a tiny model for phones", "what a film , and what a mess", "naïve café ## [MASK]"]

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import keras
    from eelbert_tf.layers import hash_ops
    from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier, preset_tokenizer
    from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor

    args = json.loads(sys.argv[1])
    result = {"backend": keras.backend.backend(), "golden_mismatches": 0, "golden_rows": 0}
    golden = json.load(open(args["golden"]))
    for cfg in golden["configs"]:
        tokens = [bytes.fromhex(r["utf8_hex"]) for r in cfg["tokens"]]
        token_bytes = hash_ops.token_strings_to_bytes(tokens).numpy()  # TF Text's splitter, as the preprocessor
        layer = DynamicHashEmbedding(cfg["dim"], hash_type=cfg["hash_type"], ngram_orders=cfg["ngram_orders"],
                                     seed=cfg["seed"])
        got = keras.ops.convert_to_numpy(layer(token_bytes[None]))[0]
        expected = np.array([r["vector"] for r in cfg["tokens"]], np.float32)
        result["golden_rows"] += len(expected)
        result["golden_mismatches"] += int((got != expected).any(axis=-1).sum())
    outputs = {}
    for preset in args["presets"]:
        backbone = EelbertBackbone.from_preset(preset)
        preprocessor = EelbertTextClassifierPreprocessor(preset_tokenizer(preset), sequence_length=16)
        x = {k: np.asarray(v) for k, v in preprocessor(args["sentences"]).items() if k in backbone.input}
        result.setdefault("inputs", {})[preset] = sorted(x)
        y = backbone(x)
        outputs[f"{preset}/sequence"] = keras.ops.convert_to_numpy(y["sequence_output"])
        outputs[f"{preset}/pooled"] = keras.ops.convert_to_numpy(y["pooled_output"])
    np.savez(args["out"], **outputs)
    if args["fit"]:
        classifier = EelbertTextClassifier.from_preset(args["presets"][0], num_classes=2, sequence_length=16)
        before = [keras.ops.convert_to_numpy(w).copy() for w in classifier.trainable_weights]
        history = classifier.fit(x=args["sentences"][:2], y=[1, 0], batch_size=2, epochs=1, verbose=0)
        after = [keras.ops.convert_to_numpy(w) for w in classifier.trainable_weights]
        result["loss"] = float(history.history["loss"][0])
        result["weights_changed"] = sum(int((a != b).any()) for a, b in zip(before, after))
        result["trainable"] = len(after)
        result["predict_shape"] = list(classifier.predict(["what a film"], verbose=0).shape)
    print("RESULT " + json.dumps(result))
    """
)

PRESETS = ["eelbert_uno_en", "eelbert_uno_words_en", "bert_tiny_en"]


def _run(backend, tmp_path, fit=True):
    out = tmp_path / f"{backend}.npz"
    args = {"golden": str(GOLDEN_PATH), "presets": PRESETS, "sentences": SENTENCES, "out": str(out), "fit": fit}
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(REPO), "CUDA_VISIBLE_DEVICES": "",
           "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-2000:] + proc.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT "):]), dict(np.load(out))


@pytest.fixture(scope="module")
def tensorflow_outputs(tmp_path_factory):
    return _run("tensorflow", tmp_path_factory.mktemp("tf"), fit=False)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backbone_matches_tensorflow_and_fits(backend, tensorflow_outputs, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install eelbert_tf[{'jax' if backend == 'jax' else 'mirror'}])")
    tf_result, tf_outputs = tensorflow_outputs
    result, outputs = _run(backend, tmp_path)
    assert result["backend"] == backend
    # The hash is integer arithmetic then one division: bit for bit the golden vectors, as under TensorFlow.
    assert result["golden_rows"] > 100 and result["golden_mismatches"] == 0
    assert tf_result["inputs"]["eelbert_uno_en"] == ["padding_mask", "segment_ids", "tokens"]
    assert result["inputs"]["eelbert_uno_en"] == ["padding_mask", "segment_ids", "token_bytes"]
    assert result["inputs"]["bert_tiny_en"] == ["padding_mask", "segment_ids", "token_ids"]
    assert sorted(outputs) == sorted(tf_outputs)
    for key, expected in tf_outputs.items():
        assert np.abs(expected).max() > 0.01, key
        # The encoder's float matmuls and softmax round differently per backend; the weights are the same.
        np.testing.assert_allclose(outputs[key], expected, rtol=0, atol=2e-5, err_msg=key)
    assert np.isfinite(result["loss"]) and result["weights_changed"] == result["trainable"] > 10
    assert result["predict_shape"] == [1, 2]
