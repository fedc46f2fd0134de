"""`export(model, fmt, out)`: a fine-tuned classifier folder to a .tflite file of one format."""

from __future__ import annotations

import pathlib

from eelbert_tf.export import core
from eelbert_tf.classification.classifier_bundle import CALIBRATION_FILE, calibration_examples  # noqa: F401
from eelbert_tf.export.core import ExportError

def export(model, fmt: str, out, int8: bool = False, sequence_length: int | None = None,
           calibration: list | None = None, hash_widths=core.HASH_WIDTHS, int8_weights: str = "per_channel",
           float_ops=None) -> dict:
    """Converts the classifier folder `model` to `out` in format `fmt`; returns the size and op report.

    `hash_widths`: the byte-width buckets tokens are hashed in (default (6, 10), then the full width; `()`
    hashes every token at the full width: a smaller file, a slower hash; BENCHMARKS.md "Deployment").
    `int8_weights`: `"per_channel"` or `"per_tensor"` weight scales for `int8` (`core.convert`; the micro
    format is always per-tensor). `float_ops`: the op types `int8` keeps in float (default `core.FLOAT_IN_INT8`;
    the micro format quantizes every op). Nothing is left at `out` unless the whole export succeeded (written
    through a temporary file and renamed).
    """
    from eelbert_tf.classification.classifier_bundle import VOCAB_FILE, load_classifier

    if fmt not in core.FORMATS:
        raise ExportError(f"--format {fmt!r}: expected one of {', '.join(core.FORMATS)}.")
    out = pathlib.Path(out)
    if out.suffix != ".tflite":
        raise ExportError(f"--out {out}: expected a path ending in .tflite.")
    bundle = load_classifier(model)
    if fmt == "micro":
        from eelbert_tf.export import micro_format

        return micro_format.export(bundle, out, sequence_length, calibration)
    length = core.check_sequence_length(bundle, sequence_length)
    if fmt == "mediapipe" and bundle.regression:
        raise ExportError("--format mediapipe makes a TextClassifier; this model is a regression model.")
    if fmt == "mediapipe" and bundle.text_pair:
        raise ExportError("--format mediapipe: MediaPipe's TextClassifier takes one text; this model takes "
                          "a pair (use --format text or bytes).")
    if fmt == "mediapipe" and bundle.tokenizer_kind == "words":
        raise ExportError("--format mediapipe: MediaPipe's TextClassifier tokenizes with a WordPiece vocabulary; this "
                          "model uses the vocabulary-free words tokenizer (use --format utf8, text or bytes).")
    bundle = core.with_sequence_length(bundle, length)
    module = {"text": "text_format", "bytes": "bytes_format", "mediapipe": "mediapipe_format",
              "utf8": "utf8_format"}[fmt]
    builder = __import__(f"eelbert_tf.export.{module}", fromlist=["build"])
    hash_widths = tuple(int(w) for w in hash_widths)
    fn, signature, representative = builder.build(bundle, length, hash_widths)
    examples = calibration if calibration is not None else (calibration_examples(bundle) if int8 else None)
    model_bytes = core.convert(
        fn, signature, int8=int8, custom_ops=(fmt == "text"), int8_weights=int8_weights, float_ops=float_ops,
        representative=(lambda: representative(examples)) if int8 else None)
    weights = {"int8_weights": int8_weights} if int8 else {}
    model_bytes = core.add_metadata(core.compact_flatbuffer(model_bytes), {
        "format": fmt, "int8": int8, "sequence_length": length, "text_pair": bundle.text_pair,
        "label_names": bundle.label_names, "regression": bundle.regression,
        "token_byte_width": bundle.token_byte_width,
        "base_model": bundle.info.get("base_model"),
        **core.tokenizer_metadata(bundle),
        "hash_widths": list(hash_widths),
        **weights,
    })
    if fmt == "mediapipe":
        model_bytes = builder.write_metadata(model_bytes, bundle, bundle.path / VOCAB_FILE)
    core.write_model(model_bytes, out)
    return {**core.report(model_bytes, fmt), "path": str(out), "int8": int8, "sequence_length": length, **weights}
