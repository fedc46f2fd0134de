"""eelbert_lite: runs the .tflite classifiers `eelbert export` writes, with LiteRT and NumPy, without
TensorFlow: for a Python deployment (a Raspberry Pi, a server) and for a fast `eelbert predict`.

    from eelbert_lite import TFLiteClassifier
    model = TFLiteClassifier("sst2_eelbert_uno.bytes.int8.tflite")
    model.scores(["A gorgeous, witty, seductive movie."])      # [[p_negative, p_positive]]

It is the bottom of eelbert_tf's imports (the runtime, beside the hash specification): eelbert_tf builds on it,
it never imports eelbert_tf (the `eelbert` entry point, `eelbert_lite.cli`, hands every other command over).
"""

from eelbert_lite.model_file import ExportError, read_metadata
from eelbert_lite.runner import NeedsEelbertTF, TFLiteClassifier, prediction_lines

__all__ = ["ExportError", "NeedsEelbertTF", "TFLiteClassifier", "prediction_lines", "read_metadata"]
