"""What a .tflite file from `eelbert export` says of itself, and the interpreter that runs it: its `eelbert_tf`
metadata (format, labels, sequence length, byte width, the vocabulary's digest), the vocabulary a `mediapipe`
file carries, and one way to load an interpreter (ai-edge-litert first, TensorFlow's as the fallback)."""

from __future__ import annotations

import io
import json
import zipfile

from eelbert_lite.logs import quiet_runtime_logs

METADATA_NAME = "eelbert_tf"  # the flatbuffer metadata entry that holds our JSON


class ExportError(ValueError):
    """An export that cannot be made as asked, or a model file that cannot be run; the message names the flag
    or file."""


def _schema():
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # pragma: no cover - exercised only without ai-edge-litert
        from tensorflow.lite.python import schema_py_generated as schema
    return schema


def read_metadata(model: bytes, path="the model") -> dict:
    """The `eelbert_tf` metadata of a .tflite file written by `eelbert export`."""
    schema = _schema()
    try:
        m = schema.Model.GetRootAsModel(model, 0)
        for i in range(m.MetadataLength()):
            entry = m.Metadata(i)
            if entry.Name() == METADATA_NAME.encode():
                return json.loads(m.Buffers(entry.Buffer()).DataAsNumpy().tobytes())
    except Exception as e:  # a damaged flatbuffer fails in many ways
        raise ExportError(f"{path} is not a readable TFLite flatbuffer ({type(e).__name__}: {e}).") from None
    raise ExportError(f"{path} carries no eelbert_tf metadata: it was not written by `eelbert export`.")


def packed_vocabulary(model: bytes, path="the model") -> list[str]:
    """The WordPiece vocabulary MediaPipe's metadata packs into a `mediapipe` file (a zip appended to the
    flatbuffer)."""
    try:
        with zipfile.ZipFile(io.BytesIO(model)) as archive:
            names = [n for n in archive.namelist() if n.endswith(".txt") and "label" not in n]
            return archive.read(names[0]).decode("utf-8").splitlines()
    except (zipfile.BadZipFile, IndexError):
        raise ExportError(f"{path} carries no vocabulary file in its MediaPipe metadata.") from None


def make_interpreter(model_content: bytes, *, custom_ops: bool = False, reference_kernels: bool = False,
                     num_threads: int | None = None):
    """An allocated TFLite interpreter for a flatbuffer.

    Args:
        model_content: the .tflite bytes.
        custom_ops: register TF Text's TFLite kernels (FastWordpieceTokenize,
            ByteSplit, ...), for text-in models.
        reference_kernels: use the builtin reference kernels (what TFLite Micro
            is compared with) instead of the optimized ones.
        num_threads: CPU threads for the kernels (default: the runtime's choice).
    """
    try:
        from ai_edge_litert import interpreter as litert
    except ImportError:  # pragma: no cover - exercised only without ai-edge-litert
        import tensorflow as tf

        litert = tf.lite
    resolver = (
        litert.OpResolverType.BUILTIN_REF if reference_kernels else litert.OpResolverType.AUTO
    )
    with quiet_runtime_logs():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" notice
        return _allocated(litert, model_content, resolver, custom_ops, num_threads)


def _allocated(litert, model_content, resolver, custom_ops, num_threads):
    if custom_ops:
        import tensorflow_text as tf_text  # TF Text's kernels for `text` files: they need TensorFlow

        interpreter = litert.InterpreterWithCustomOps(
            model_content=model_content,
            custom_op_registerers=tf_text.tflite_registrar.SELECT_TFTEXT_OPS,
            experimental_op_resolver_type=resolver, num_threads=num_threads,
        )
    else:
        interpreter = litert.Interpreter(
            model_content=model_content, experimental_op_resolver_type=resolver, num_threads=num_threads
        )
    interpreter.allocate_tensors()
    return interpreter
