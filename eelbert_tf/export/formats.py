"""The export formats, one object each (`eelbert_tf.export.core.Format`), in one registry: `FORMATS`.

Adding a format is one module with its `Format` subclass and `FORMAT`, and one entry here."""

from __future__ import annotations

from eelbert_tf.export import bytes_format, mediapipe_format, micro_format, text_format, utf8_format
from eelbert_tf.export.core import ExportError, Format

FORMATS: dict[str, Format] = {m.FORMAT.name: m.FORMAT for m in (text_format, mediapipe_format, bytes_format,
                                                                utf8_format, micro_format)}


def get(name: str) -> Format:
    """The format called `name`, or an ExportError naming the flag and the choices."""
    if name not in FORMATS:
        raise ExportError(f"--format {name!r}: expected one of {', '.join(FORMATS)}.")
    return FORMATS[name]
