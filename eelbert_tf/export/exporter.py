"""`export(model, fmt, out)`: a fine-tuned classifier folder to a .tflite file of one format."""

from __future__ import annotations

import pathlib

from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_tf.export import core, formats
from eelbert_tf.export.core import ExportError


def export(model, fmt: str, out, int8: bool = False, sequence_length: int | None = None,
           calibration: list | None = None, hash_widths=core.HASH_WIDTHS, int8_weights: str = "per_channel",
           float_ops=None) -> dict:
    """Converts the classifier folder `model` to `out` in format `fmt` (`formats.FORMATS`); returns the size and
    op report.

    `hash_widths`: the byte-width buckets tokens are hashed in (default (6, 10), then the full width; `()`
    hashes every token at the full width: a smaller file, a slower hash; BENCHMARKS.md "Deployment").
    `int8_weights`: `"per_channel"` or `"per_tensor"` weight scales for `int8` (`core.convert`; the micro
    format is always per-tensor). `float_ops`: the op types `int8` keeps in float (default `core.FLOAT_IN_INT8`;
    the micro format quantizes every op). Nothing is left at `out` unless the whole export succeeded (written
    through a temporary file and renamed).
    """
    form = formats.get(fmt)
    out = pathlib.Path(out)
    if out.suffix != ".tflite":
        raise ExportError(f"--out {out}: expected a path ending in .tflite.")
    return form.export(load_classifier(model), out, int8=int8, sequence_length=sequence_length,
                       calibration=calibration, hash_widths=hash_widths, int8_weights=int8_weights,
                       float_ops=float_ops)
