"""One way to load a TFLite interpreter: ai-edge-litert first, TensorFlow's as the fallback."""

from __future__ import annotations

from eelbert_tf.io_utils import quiet_runtime_logs


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
        import tensorflow_text as tf_text

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
