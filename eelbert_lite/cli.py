"""The `eelbert` command's entry point. `eelbert predict` on a .tflite file that runs on LiteRT's builtin
kernels or TFLite Micro (`mediapipe`, `bytes`, `utf8`, `micro`) runs here, without importing TensorFlow: it
starts in well under a second (BENCHMARKS.md, "eelbert predict: start-up"). Every other command, and `predict`
on any other model (a `text` file, a classifier folder or `.keras`), is eelbert_tf's (`eelbert_tf.cli`), loaded
when it runs."""

from __future__ import annotations

import argparse
import os
import sys

from eelbert_lite import predict
from eelbert_lite.runner import NeedsEelbertTF, TFLiteClassifier


def _lite_predict(argv: list[str]) -> int | None:
    """Runs `predict` here and returns its exit status, or None when the model needs eelbert_tf."""
    parser = predict.add_arguments(argparse.ArgumentParser(prog="eelbert predict"))
    args, unknown = parser.parse_known_args(argv)
    if unknown or not args.model.endswith(".tflite") or os.path.isdir(args.model):
        return None
    try:
        return predict.run(args, lambda: TFLiteClassifier(args.model, vocabulary=args.vocab))
    except NeedsEelbertTF:
        return None
    except predict.USER_ERRORS as e:
        if os.environ.get("EELBERT_TRACEBACK"):
            raise
        return predict.report_error("predict", e)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["predict"]:
        status = _lite_predict(argv[1:])
        if status is not None:
            return status
    from eelbert_tf.cli import main as eelbert_tf_main  # TensorFlow: every command but a builtin-kernel predict

    return eelbert_tf_main(argv)


if __name__ == "__main__":
    sys.exit(main())
