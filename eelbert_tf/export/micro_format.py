"""`micro`: a fully int8 model for TFLite Micro, with the token hashing in device host code.

TFLite Micro has no string tensors, no FLOOR_MOD kernel that runs the hash graph, no GELU
and only static shapes. So the device computes each packed token's hash vector in C
(`tflite/c/eelbert_micro_input.c`, beside the hash reference) and feeds the model three
int8 inputs of a fixed length `L`:

- `token_vectors` `[1, L, H]`: the hash embedding of `[CLS] a [SEP] (b [SEP])`, zero rows after;
- `padding_mask` `[1, L]`: 1 for real tokens;
- `segment_ids` `[1, L]`: 1 on the second text.

The model adds position and segment embeddings, runs the encoder and the head, and returns
int8 probabilities. The encoder here is the same computation as keras-hub's post-LN
`TransformerEncoder` written with ops TFLite Micro has (BATCH_MATMUL, ADD, MUL, SOFTMAX,
MEAN, RSQRT, ...), reading the classifier's own weights; the padding mask sets a
padded key's attention score to -MASK_PENALTY (Keras adds -1e9, a constant that int8 cannot
represent next to real scores). The classifier must use an activation TFLite Micro runs:
fine-tune it with `--activation relu` (`eelbert finetune`).
"""

from __future__ import annotations

import dataclasses
import math
import pathlib

import numpy as np

from eelbert_lite import micro
from eelbert_lite.micro import micro_interpreter
from eelbert_lite.model_file import make_interpreter
from eelbert_tf.classification.classifier_bundle import calibration_examples
from eelbert_tf.export import core
from eelbert_tf.export.core import ExportError
from eelbert_tf.export.micro_sources import INPUT_NAMES, write_c_sources

DEFAULT_SEQUENCE_LENGTH = 64
# The feed-forward block in column slices, each slice's ReLU output multiplied out before the next is made: TFLite
# Micro's arena holds one slice's [L, 4H / n] int8 tensors at a time instead of the whole [L, 4H] pair (matmul and
# bias-add). Measured on the shipped ReLU classifier at 64 tokens: arena 103,936 B whole, 88,416 B in 2 slices,
# 89,888 B in 4; SST-2 dev in TFLite Micro 79.01%, 79.13%, 79.24%; the file 792 B larger in 2.
FEEDFORWARD_SLICES = 2
MASK_PENALTY = 30.0  # attention score of a padded key: exp(-30) ~ 1e-13 of a real key's weight
MICRO_ACTIVATIONS = ("relu",)


@dataclasses.dataclass
class MicroWeights:
    """The classifier's weights as NumPy arrays, laid out for `forward`."""

    position: np.ndarray  # [L, H]
    segment: np.ndarray  # [2, H]
    embedding_norm: tuple
    layers: list  # dicts of arrays
    pooler: tuple
    head: tuple
    pooling: str
    num_heads: int
    epsilon: float

    @classmethod
    def from_classifier(cls, classifier, sequence_length: int) -> "MicroWeights":
        backbone = classifier.backbone
        if backbone.activation not in MICRO_ACTIVATIONS:
            raise ExportError(
                f"--format micro: the classifier's feed-forward activation is {backbone.activation!r}, which "
                f"TFLite Micro has no kernel for; fine-tune it with --activation relu.")
        if backbone.normalize_first or backbone.embedding_type == "table":
            raise ExportError("--format micro takes post-LN hash-embedding models (as every shipped EELBERT).")
        value = lambda v: np.asarray(v.numpy(), np.float32)  # noqa: E731
        hidden = backbone.hidden_dim
        layers = []
        for block in backbone.transformer_layers:
            attention = block._self_attention_layer
            layers.append({
                "q": (value(attention._query_dense.kernel).reshape(hidden, hidden),
                      value(attention._query_dense.bias).reshape(hidden)),
                "k": (value(attention._key_dense.kernel).reshape(hidden, hidden),
                      value(attention._key_dense.bias).reshape(hidden)),
                "v": (value(attention._value_dense.kernel).reshape(hidden, hidden),
                      value(attention._value_dense.bias).reshape(hidden)),
                "o": (value(attention._output_dense.kernel).reshape(hidden, hidden),
                      value(attention._output_dense.bias).reshape(hidden)),
                "norm1": (value(block._self_attention_layer_norm.gamma), value(block._self_attention_layer_norm.beta)),
                "ff1": (value(block._feedforward_intermediate_dense.kernel),
                        value(block._feedforward_intermediate_dense.bias)),
                "ff2": (value(block._feedforward_output_dense.kernel), value(block._feedforward_output_dense.bias)),
                "norm2": (value(block._feedforward_layer_norm.gamma), value(block._feedforward_layer_norm.beta)),
            })
        norm = backbone.embeddings_layer_norm
        # LayerNorm(scale * t + p + s) = LayerNorm(t + (p + s) / scale): the token scale folds into the
        # position and segment tables, so the device feeds the hash vectors as they are.
        scale = float(getattr(backbone, "token_embedding_scale", 1.0))
        return cls(
            position=value(backbone.position_embedding.position_embeddings)[:sequence_length] / scale,
            segment=value(backbone.segment_embedding.embeddings) / scale,
            embedding_norm=(value(norm.gamma), value(norm.beta)),
            layers=layers,
            pooler=(value(backbone.pooled_dense.kernel), value(backbone.pooled_dense.bias)),
            head=(value(classifier.output_dense.kernel), value(classifier.output_dense.bias)),
            pooling=classifier.pooling,
            num_heads=backbone.num_heads,
            epsilon=float(norm.epsilon),
        )


def _layer_norm(tf, x, gamma_beta, epsilon):
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    variance = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + epsilon) * gamma_beta[0] + gamma_beta[1]


def feedforward(tf, x, ff1, ff2, dense, slices: int = FEEDFORWARD_SLICES):
    """relu(x W1 + b1) W2 + b2, summed over column slices of W1 (rows of W2): `FEEDFORWARD_SLICES`."""
    (w1, b1), (w2, b2) = ff1, ff2
    bounds = np.linspace(0, w1.shape[1], slices + 1).astype(int)
    out = None
    for start, stop in zip(bounds[:-1], bounds[1:]):
        part = tf.linalg.matmul(tf.nn.relu(dense(x, (w1[:, start:stop], b1[start:stop]))),
                                tf.constant(w2[start:stop].T[None]), transpose_b=True)
        out = part if out is None else out + part
    return out + b2


def forward(w: MicroWeights, token_vectors, padding_mask, segment_ids, regression: bool = False):
    """Probabilities `[1, C]` from float inputs (`[1, L, H]`, `[1, L]`, `[1, L]`), static shapes."""
    import tensorflow as tf

    length, hidden = w.position.shape
    heads, head_dim = w.num_heads, hidden // w.num_heads
    # Dense layers as BATCH_MATMUL with constant weights plus ADD: TFLite Micro's int8 FULLY_CONNECTED rounds
    # differently from TFLite's reference kernel (off by one in ~0.2% of outputs, measured); these two ops agree.
    dense = lambda x, kb: tf.linalg.matmul(x, tf.constant(kb[0].T[None]), transpose_b=True) + kb[1]  # noqa: E731
    segment = w.segment[0] + segment_ids[0][:, None] * (w.segment[1] - w.segment[0])
    x = _layer_norm(tf, token_vectors + w.position[None] + segment[None], w.embedding_norm, w.epsilon)  # [1, L, H]
    mask = padding_mask[0][None, None, :]  # [1, 1, L] over keys
    split = lambda t: tf.transpose(tf.reshape(t, [length, heads, head_dim]), [1, 0, 2])  # noqa: E731
    for layer in w.layers:
        q = split(dense(x, layer["q"]) * (1.0 / math.sqrt(head_dim)))
        k, v = split(dense(x, layer["k"])), split(dense(x, layer["v"]))
        scores = tf.matmul(q, k, transpose_b=True)  # [heads, L, L]
        scores = scores * mask + (mask - 1.0) * MASK_PENALTY
        context = tf.matmul(tf.nn.softmax(scores, axis=-1), v)  # [heads, L, head_dim]
        context = tf.reshape(tf.transpose(context, [1, 0, 2]), [1, length, hidden])
        x = _layer_norm(tf, x + dense(context, layer["o"]), layer["norm1"], w.epsilon)
        x = _layer_norm(tf, x + feedforward(tf, x, layer["ff1"], layer["ff2"], dense), layer["norm2"], w.epsilon)
    if w.pooling == "mean":
        # 1 / (real tokens) at each real token from the masked softmax the attention already uses, then one
        # BATCH_MATMUL, ops TFLite and TFLite Micro agree on (an int8 SUM then DIV scored a constant 0.504 in
        # TFLite's reference kernels while TFLite Micro followed Keras: measured on the test model).
        uniform = tf.nn.softmax((mask - 1.0) * MASK_PENALTY, axis=-1)  # [1, 1, L]
        pooled = tf.matmul(uniform, x)  # [1, 1, H]
    else:
        pooled = tf.tanh(dense(x[:, :1], w.pooler))  # [1, 1, H]
    logits = dense(pooled, w.head)[0]
    return logits if regression else tf.nn.softmax(logits, axis=-1)


def hash_metadata(bundle) -> dict:
    """The hash a `micro` file's inputs are computed with (its `hash` metadata)."""
    backbone = bundle.model.backbone
    return {"hash_type": backbone.token_embedding.hash_type, "ngram_orders": list(backbone.ngram_orders),
            "seed": backbone.hash_seed}


def c_check_request(tokens_a, tokens_b, meta: dict) -> str:
    """One request line for `tflite/c/micro_input_check.c` (which calls `eelbert_micro_build_input()`):
    the model's length, hash and input quantization from its metadata `meta`, then each token's UTF-8
    bytes in hex ("-" for an empty token)."""
    tokens_a = [t if isinstance(t, bytes) else t.encode() for t in tokens_a]
    tokens_b = [t if isinstance(t, bytes) else t.encode() for t in (tokens_b or [])]
    q, h = meta["input_quantization"], meta["hash"]
    head = [meta["sequence_length"], meta["hidden_dim"], 0 if h["hash_type"] == "ngram_pooling" else 1, h["seed"],
            ",".join(map(str, h["ngram_orders"])),
            repr(q["token_vectors"][0]), q["token_vectors"][1], repr(q["padding_mask"][0]), q["padding_mask"][1],
            repr(q["segment_ids"][0]), q["segment_ids"][1], len(tokens_a), len(tokens_b)]
    return " ".join(map(str, head + [t.hex() or "-" for t in tokens_a + tokens_b]))


def c_check_values(line: str, meta: dict) -> tuple[int, dict]:
    """`(packed token count, inputs)` from one output line of `micro_input_check.c`, shaped as
    `eelbert_lite.micro.quantized_inputs` returns them."""
    length, dim = meta["sequence_length"], meta["hidden_dim"]
    values = np.array(line.split()[1:], np.int64).astype(np.int8)
    return int(line.split()[0]), {
        "token_vectors": values[: length * dim].reshape(1, length, dim),
        "padding_mask": values[length * dim : length * (dim + 1)].reshape(1, length),
        "segment_ids": values[length * (dim + 1) :].reshape(1, length)}


def input_quantization(model: bytes) -> dict:
    """{input name: (scale, zero_point)} of a converted micro model."""
    interpreter = make_interpreter(model)
    return {d["name"]: (float(d["quantization"][0]), int(d["quantization"][1]))
            for d in interpreter.get_input_details()}


def build(bundle, sequence_length: int):
    import tensorflow as tf

    weights = MicroWeights.from_classifier(bundle.model, sequence_length)
    hidden = weights.position.shape[1]
    signature = [tf.TensorSpec([1, sequence_length, hidden], tf.float32, name=INPUT_NAMES[0]),
                 tf.TensorSpec([1, sequence_length], tf.float32, name=INPUT_NAMES[1]),
                 tf.TensorSpec([1, sequence_length], tf.float32, name=INPUT_NAMES[2])]

    def serve(token_vectors, padding_mask, segment_ids):
        return {"scores": forward(weights, token_vectors, padding_mask, segment_ids, bundle.regression)}

    def representative(examples):
        hash_params = hash_metadata(bundle)

        def inputs_of(tokens, segment_ids):
            x = micro.float_inputs(tokens, segment_ids, sequence_length, hidden, hash_params)
            return [x[n] for n in INPUT_NAMES]

        return core.calibration_inputs(bundle, examples, sequence_length, inputs_of)

    return serve, signature, representative


class MicroFormat(core.Format):
    """Always int8 (inputs and outputs too), per-tensor scales, every op quantized; its own graph (`forward`)."""

    name = "micro"
    runtime = "TFLite Micro (int8; the op resolver list is generated beside the model)"

    def build(self, bundle, sequence_length: int, hash_widths=()):
        return build(bundle, sequence_length)

    def export(self, bundle, out, *, int8=True, sequence_length=None, calibration=None, hash_widths=(),
               int8_weights="per_tensor", float_ops=None) -> dict:
        return export(bundle, out, sequence_length, calibration)


def export(bundle, out, sequence_length=None, calibration=None) -> dict:
    """The int8 micro model at `out`, and beside it `<stem>_micro/`: `model_data.cc/.h` (the
    flatbuffer as a C array, input quantization, sizes, the measured arena) and
    `micro_op_resolver.h` (exactly the ops the model uses)."""
    length = core.check_sequence_length(bundle, sequence_length or DEFAULT_SEQUENCE_LENGTH)
    fn, signature, representative = build(bundle, length)
    examples = calibration if calibration is not None else calibration_examples(bundle)
    model = core.compact_flatbuffer(
        core.convert(fn, signature, int8=True, int8_io=True, representative=lambda: representative(examples)))
    quantization = input_quantization(model)
    arena = measure_arena(model)
    model = core.add_metadata(model, {
        "format": "micro", "int8": True, "sequence_length": length, "text_pair": bundle.text_pair,
        "label_names": bundle.label_names, "regression": bundle.regression, "hidden_dim": int(signature[0].shape[-1]),
        "input_quantization": quantization, "base_model": bundle.info.get("base_model"),
        "hash": hash_metadata(bundle),
        "mask_penalty": MASK_PENALTY, "arena_bytes": arena,
        **core.tokenizer_metadata(bundle),
    })
    out = pathlib.Path(out)
    core.write_model(model, out)
    generated = write_c_sources(model, out.with_name(out.stem + "_micro"), arena)
    return {**FORMAT.report(model), "path": str(out), "int8": True, "sequence_length": length,
            "arena_bytes": arena, "generated": [str(p) for p in generated]}


def measure_arena(model: bytes, low: int = 1024, high: int = 1 << 22, step: int = 16) -> int:
    """The smallest arena (bytes, to `step`) in which TFLite Micro allocates the model and runs it:
    a bisection over real interpreter constructions, never a guess."""
    def fits(size):
        try:
            micro_interpreter(model, size).invoke()  # zero inputs run every kernel once
            return True
        except RuntimeError:
            return False

    if not fits(high):
        raise ExportError(f"TFLite Micro could not run the model even in a {high:,}-byte arena.")
    while high - low > step:
        mid = (low + high) // 2 // step * step
        low, high = (low, mid) if fits(mid) else (mid, high)
    return high


FORMAT = MicroFormat()
