"""What every TFLite format shares: the graph from token bytes to scores, conversion (float or int8),
the eelbert_tf metadata written into each file, and the size and op report.

Every format ends in `scores_from_tokens`: token bytes `[k, W]` (int32, -1 padded,
one row per packed token) and segment ids `[k]` -> `DynamicHashEmbedding.embed_bytes` (through
`embed_bytes_bucketed`: each token at the narrowest of three byte widths)
(the hash as exact int32 builtin ops) -> `EelbertBackbone.encode` -> the classifier's
output layer -> softmax. The formats differ only in how they reach token bytes: from a
string (`text`), from WordPiece ids through a byte table (`mediapipe`), or given (`bytes`).
A BERT model (`embedding_type="table"`) takes WordPiece ids instead of bytes and looks them
up in its table; it exports to `text` and `mediapipe` (the baseline of the size tables).
Only real tokens enter the encoder (the sequence is cut to its length, `k`), so there is
no padding for attention to mask and a short sentence costs only its own tokens.
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from eelbert_lite import inputs as prepare
from eelbert_lite.model_file import METADATA_NAME, ExportError, read_metadata  # noqa: F401 - the runtime's home
from eelbert_lite.vocabulary import (
    token_byte_width,  # noqa: F401 - the formats' W
    vocabulary_sha256,
)
from eelbert_tf.classification.classifier_bundle import calibration_examples
from eelbert_tf.io_utils import write_atomically
from eelbert_tf.layers import hash_ops
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier
from eelbert_tf.models.pooling import pool


def tokenizer_metadata(bundle) -> dict:
    """What a .tflite file records of its tokenizer: the WordPiece vocabulary's digest, or the words
    tokenizer's setting."""
    if bundle.tokenizer_kind == "words":
        return {"tokenizer": "words", "max_word_bytes": bundle.max_word_bytes}
    return {"vocabulary_sha256": vocabulary_sha256(bundle.vocabulary)}


def example_tokenizer(bundle):
    """text -> tokens, as the runtime tokenizes for the file (`eelbert_lite.inputs.tokenizer`): int8 calibration
    prepares each format's inputs with it, so a file is calibrated on exactly the inputs it is later given."""
    return prepare.tokenizer(bundle.tokenizer_kind, bundle.vocabulary, bundle.max_word_bytes)


def calibration_inputs(bundle, examples, sequence_length: int, inputs_of):
    """Each calibration example's inputs, in the signature's order `inputs_of(tokens, segment_ids)` gives them."""
    tokenize = example_tokenizer(bundle)
    for example in examples:
        yield inputs_of(*prepare.packed(tokenize, example[: 2 if bundle.text_pair else 1], sequence_length))


HASH_WIDTHS = (6, 10)  # byte-width buckets below the full width: most WordPiece tokens are 1 to 6 bytes


def embed_bytes_bucketed(embedding, token_bytes, widths=HASH_WIDTHS):
    """`embedding.embed_bytes(token_bytes)` for `[k, W]` bytes, each token hashed at the narrowest static width
    that holds it (`widths`, then W). The hash's cost grows with the width (it computes W + 2 n-gram windows per
    token and masks the unused ones), and a token's vector does not depend on the width it is padded to, so
    the result is the same, bit for bit. The groups' integer sums are put back together in int32 and pooled
    once, so an int8 export quantizes the embedding once, as without buckets. Builtin ops only (WHERE,
    GATHER_ND, SCATTER_ND)."""
    import tensorflow as tf

    width = int(token_bytes.shape[-1])
    hash_args = (embedding.output_dim, embedding.hash_type, embedding.ngram_orders, embedding.seed)
    lengths = tf.reduce_sum(tf.cast(token_bytes >= 0, tf.int32), axis=-1)
    k = tf.shape(token_bytes)[0]
    total = count = None
    low = -1
    for high in [w for w in widths if w < width] + [width]:
        rows = tf.cast(tf.where((lengths > low) & (lengths <= high)), tf.int32)  # [n, 1]
        part_total, part_count = hash_ops.token_bytes_totals(tf.gather_nd(token_bytes, rows)[:, :high], *hash_args)
        part_total = tf.scatter_nd(rows, part_total, tf.stack([k, embedding.output_dim]))
        part_count = tf.scatter_nd(rows, part_count, tf.reshape(k, [1]))
        total = part_total if total is None else total + part_total
        count = part_count if count is None else count + part_count
        low = high
    return hash_ops.pooled_embedding(total, count, int32_product=True)


def scores_from_tokens(bundle, segment_ids, token_bytes=None, token_ids=None, hash_widths=HASH_WIDTHS):
    """Class probabilities `[1, C]` (or the regression value `[1, 1]`) from one packed example:
    token bytes `[k, W]` for the hash embeddings (hashed by width bucket, `hash_widths`; `()` for one
    width), token ids `[k]` for BERT's table."""
    import tensorflow as tf

    classifier = bundle.model
    backbone = classifier.backbone
    if uses_table(bundle):
        vectors = backbone.token_embedding(token_ids)[None]
    else:
        vectors = embed_bytes_bucketed(backbone.token_embedding, token_bytes, hash_widths)[None]
    outputs = backbone.encode(vectors, segment_ids[None], None)
    logits = classifier.output_dense(pool(outputs, None, classifier.pooling))
    return logits if bundle.regression else tf.nn.softmax(logits, axis=-1)


def uses_table(bundle) -> bool:
    return bundle.model.backbone.embedding_type == "table"


def check_sequence_length(bundle, sequence_length: int | None) -> int:
    length = int(sequence_length or bundle.sequence_length)
    limit = bundle.model.backbone.max_sequence_length
    if not 3 <= length <= limit:
        raise ExportError(f"--sequence-length {length}: the model takes 3 to {limit} tokens "
                          "(its position embedding has that many rows).")
    return length


def with_sequence_length(bundle, sequence_length: int):
    """The bundle with its classifier rebuilt for at most `sequence_length` tokens: the same weights,
    the position table cut to its first `sequence_length` rows (rows a device never reads)."""
    import dataclasses

    old = bundle.model
    if old.backbone.max_sequence_length == sequence_length:
        return bundle
    backbone = EelbertBackbone.from_config({**old.backbone.get_config(), "max_sequence_length": sequence_length})
    model = EelbertTextClassifier(backbone, old.num_classes, preprocessor=old.preprocessor, dropout=old.dropout,
                                  pooling=old.pooling)
    table = old.backbone.position_embedding.position_embeddings
    for new, value in zip(model.weights, old.weights):
        new.assign(value[:sequence_length] if value is table else value)
    return dataclasses.replace(bundle, model=model)


INT8_WEIGHTS = ("per_channel", "per_tensor")
LAYER_NORM_STATISTICS = ["MEAN", "SQUARED_DIFFERENCE", "RSQRT"]  # a layer norm's mean, variance, inverse root
FLOAT_IN_INT8 = ["DIV", *LAYER_NORM_STATISTICS]  # op types an int8 file keeps in float (`convert`)


def convert(fn, input_signature, *, int8: bool = False, representative=None, custom_ops: bool = False,
            int8_io: bool = False, int8_weights: str = "per_channel", float_ops=None) -> bytes:
    """Converts `fn` (over `input_signature`), float or full-integer int8.

    The concrete function's variables are frozen to constants first (the converter would
    otherwise keep them as resource variables). int8: full-integer post-training
    quantization calibrated on `representative` (a callable yielding input lists); float
    ops become int8 (weights and activations), while the hash's int32 arithmetic and the
    string ops are not quantized. With `int8_io` the model's inputs and outputs are int8
    too and every op must have an int8 kernel (TFLite Micro); otherwise they stay float.
    `int8_weights`: `"per_channel"` (the converter's default: one scale per output channel of each
    weight matrix) or `"per_tensor"` (one scale per matrix: each per-channel matrix otherwise carries a
    float32 scale and an int64 zero point per channel, 18 KB of the int8 UNO's 309 KB; what it costs in
    accuracy is measured in BENCHMARKS.md, "Vocabulary-free text-in models").
    `float_ops`: the op types an int8 file (not `int8_io`) keeps in float; default `FLOAT_IN_INT8` (below).
    """
    if int8_weights not in INT8_WEIGHTS:
        raise ExportError(f"int8 weights {int8_weights!r}: expected one of {', '.join(INT8_WEIGHTS)}.")
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    function = tf.function(fn, input_signature=input_signature, autograph=False)
    frozen = convert_variables_to_constants_v2(function.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.allow_custom_ops = custom_ops
    if custom_ops:  # int8 calibration runs the model, TF Text's kernels included
        import tensorflow_text as tf_text

        converter.target_spec._experimental_custom_op_registerers = list(tf_text.tflite_registrar.SELECT_TFTEXT_OPS)
    if int8:
        if representative is None:
            raise ExportError("int8 needs a representative dataset (the task's training texts).")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] + (
            [] if int8_io else [tf.lite.OpsSet.TFLITE_BUILTINS])
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
            # Per-tensor weight scales, as TFLite Micro's BATCH_MATMUL takes them.
            converter._experimental_disable_per_channel = True
        else:
            # Calibrate, then quantize everything but DIV and the layer norms' statistics. DIV: the hash's one
            # float division (its integer total over count * HALF) stays float, so the embedding is exact until
            # it enters the int8 encoder; quantizing the DIV's operands (totals up to ~1e6) to int8 cost up to
            # 0.7 in scores. MEAN, SQUARED_DIFFERENCE, RSQRT (the layer norms' mean, variance and its inverse
            # root) in float cost 720 bytes and keep the int8 file much closer to float: score RMSE on SST-2 dev
            # 0.030 -> 0.022 for the shipped bytes file, 0.130 -> 0.053 for the words utf8 file
            # (bench/int8_error.py, BENCHMARKS.md "int8 error").
            from tensorflow.lite.python import convert as tflite_convert

            converter.experimental_mlir_quantizer = True
            converter._experimental_calibrate_only = True
            calibrated = converter.convert()
            kept = list(FLOAT_IN_INT8 if float_ops is None else float_ops)
            return bytes(tflite_convert.mlir_quantize(calibrated, fully_quantize=False, denylisted_ops=kept,
                                                      disable_per_channel=int8_weights == "per_tensor"))
    return converter.convert()


def compact_flatbuffer(model: bytes) -> bytes:
    """The same model in fewer bytes: what the converter writes for every tensor, that nothing which runs the
    model reads, is dropped. Lossless: the interpreter builds the same tensors and ops from it.

    - Internal tensors lose their names (the converter's graph paths took about a third of a small int8
      file); input and output tensors keep theirs (apps and MediaPipe's metadata find inputs by name).
    - A `shape_signature` equal to the tensor's shape (a static shape) is dropped: the shape says it.
    - An empty quantization table (a tensor that is not quantized) is dropped.
    - Tensors without constant data all point to buffer 0, the flatbuffer's empty buffer, instead of one
      empty buffer each; buffers no tensor or metadata entry uses are removed.

    On the complete int8 text-in EELBERT-UNO (words tokenizer, 608 tensors and 490 ops, most of them the
    tokenizer's and the hash's int32 and bool tensors) this took 329 KB to 309 KB (`bench/words_sizes.py`).
    """
    from tensorflow.lite.tools import flatbuffer_utils

    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    empty = lambda b: b.data is None or len(b.data) == 0  # noqa: E731
    if not m.buffers or not empty(m.buffers[0]):
        raise ExportError("The converter's flatbuffer has no empty buffer 0; it cannot be compacted safely.")
    for subgraph in m.subgraphs:
        keep = set(subgraph.inputs) | set(subgraph.outputs)
        for i, tensor in enumerate(subgraph.tensors):
            if i not in keep:
                tensor.name = None
            if tensor.shapeSignature is not None and list(tensor.shapeSignature) == list(tensor.shape):
                tensor.shapeSignature = None
            q = tensor.quantization
            if q is not None and all(getattr(q, f) is None for f in ("scale", "zeroPoint", "min", "max", "details")):
                tensor.quantization = None
            if empty(m.buffers[tensor.buffer]):
                tensor.buffer = 0
    used = {0} | {t.buffer for g in m.subgraphs for t in g.tensors} | {e.buffer for e in (m.metadata or [])}
    kept = sorted(used)
    new_index = {old: new for new, old in enumerate(kept)}
    m.buffers = [m.buffers[i] for i in kept]
    for subgraph in m.subgraphs:
        for tensor in subgraph.tensors:
            tensor.buffer = new_index[tensor.buffer]
    for entry in m.metadata or []:
        entry.buffer = new_index[entry.buffer]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def add_metadata(model: bytes, values: dict) -> bytes:
    """The flatbuffer with a metadata entry `eelbert_tf` holding `values` as JSON (labels, format,
    sequence length, byte width...), so that a .tflite file describes itself."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(values, sort_keys=True).encode(), np.uint8)
    m.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(m.buffers) - 1
    m.metadata = [e for e in (m.metadata or []) if e.name != METADATA_NAME.encode()] + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def op_names(model: bytes) -> list[str]:
    """The operators a flatbuffer uses (builtin names, custom ops by their custom code), sorted."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    m = schema.Model.GetRootAsModel(model, 0)
    out = set()
    for i in range(m.OperatorCodesLength()):
        code = m.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        out.add(code.CustomCode().decode() if builtin == schema.BuiltinOperator.CUSTOM else names[builtin])
    return sorted(out)


def write_model(model: bytes, out) -> pathlib.Path:
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(lambda tmp: tmp.write_bytes(model), out, out.with_name(f".{out.name}.tmp-{os.getpid()}"))


class Format:
    """One export format: what it refuses, its graph, its metadata and the runtime that runs it. Each format
    module defines one subclass and `FORMAT`, its instance; `eelbert_tf.export.formats.FORMATS` registers them
    (adding a format is one module and one line there). The inputs a runtime prepares for each format live
    in `eelbert_lite.runner` (running a file needs no TensorFlow), and `micro` and `text` inputs in
    `eelbert_tf.export.runner`.

    The common path, `export`: the classifier cut to the sequence length, the format's graph (`build`),
    converted (float or int8, calibrated on the classifier's calibration texts), compacted, the `eelbert_tf`
    metadata added, then the format's own (`finish`), written atomically.
    """

    name = ""
    runtime = ""  # what runs the file (the export report says it)
    custom_ops = False  # TF Text's TFLite kernels (the `text` format)

    def check(self, bundle) -> None:
        """Refuses, with an ExportError naming the flag, a classifier this format cannot carry."""

    def build(self, bundle, sequence_length: int, hash_widths):
        """`(serving fn, input signature, representative)`: `representative(examples)` yields the graph's inputs
        for each calibration example (int8)."""
        raise NotImplementedError

    def finish(self, model: bytes, bundle) -> bytes:
        """The converted file with the format's own metadata (MediaPipe's for `mediapipe`)."""
        return model

    def export(self, bundle, out: pathlib.Path, *, int8: bool, sequence_length: int | None, calibration,
               hash_widths, int8_weights: str, float_ops) -> dict:
        self.check(bundle)
        length = check_sequence_length(bundle, sequence_length)
        bundle = with_sequence_length(bundle, length)
        hash_widths = tuple(int(w) for w in hash_widths)
        fn, signature, representative = self.build(bundle, length, hash_widths)
        examples = calibration if calibration is not None else (calibration_examples(bundle) if int8 else None)
        model = convert(fn, signature, int8=int8, custom_ops=self.custom_ops, int8_weights=int8_weights,
                        float_ops=float_ops, representative=(lambda: representative(examples)) if int8 else None)
        weights = {"int8_weights": int8_weights} if int8 else {}
        model = add_metadata(compact_flatbuffer(model), {
            "format": self.name, "int8": int8, "sequence_length": length, "text_pair": bundle.text_pair,
            "label_names": bundle.label_names, "regression": bundle.regression,
            "token_byte_width": bundle.token_byte_width, "base_model": bundle.info.get("base_model"),
            **tokenizer_metadata(bundle), "hash_widths": list(hash_widths), **weights,
        })
        model = self.finish(model, bundle)
        write_model(model, out)
        return {**self.report(model), "path": str(out), "int8": int8, "sequence_length": length, **weights}

    def report(self, model: bytes) -> dict:
        ops = op_names(model)
        return {"format": self.name, "bytes": len(model), "ops": ops, "runtime": self.runtime,
                "custom_ops": [o for o in ops if not o.isupper()]}
