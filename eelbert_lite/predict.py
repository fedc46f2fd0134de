"""`eelbert predict`: its flags and what it prints, shared by the runtime's command (`eelbert_lite.cli`, which
runs .tflite files without TensorFlow) and eelbert_tf's (every model kind)."""

from __future__ import annotations

import argparse
import sys

from eelbert_lite.runner import prediction_lines

# Errors whose message describes bad input or a damaged file, naming it: printed alone, exit status 2.
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError,
               PermissionError)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--model", required=True, help="classifier folder, .keras or .tflite (any format)")
    parser.add_argument("texts", nargs="*", help="texts to classify")
    parser.add_argument("--pair", nargs="+", help="the second text of each example, for two-text tasks")
    parser.add_argument("--file", help="a file with one text per line")
    parser.add_argument("--vocab", help="vocabulary for `bytes` models (default: the BERT uncased one)")
    return parser


def examples(args) -> tuple[list[str], list[str] | None]:
    """The texts (arguments, then --file's lines) and the second texts (--pair), checked."""
    texts = list(args.texts)
    if args.file:
        with open(args.file, encoding="utf-8") as f:
            texts += [line.rstrip("\n") for line in f]
    pairs = list(args.pair) if args.pair else None
    if pairs is not None and len(pairs) != len(texts):
        raise ValueError(f"--pair gave {len(pairs)} second texts for {len(texts)} texts; give one per text.")
    if not texts:
        raise ValueError("predict needs texts: as arguments or --file FILE (one per line).")
    return texts, pairs


def run(args, load) -> int:
    """Checks the examples, then loads the model (`load()`), then prints one line per example
    (`eelbert_lite.runner.prediction_lines`)."""
    texts, pairs = examples(args)
    predictor = load()
    if predictor.text_pair and pairs is None:
        raise ValueError(f"--model {args.model} classifies text pairs: give the second texts with --pair.")
    for line in prediction_lines(predictor, predictor.scores(texts, pairs)):
        print(line)
    return 0


def report_error(command: str, error: Exception) -> int:
    print(f"eelbert {command}: error: {error}", file=sys.stderr)
    return 2
