"""Each format's inputs for one example (one text, or a pair), prepared in Python the way an app prepares them.
One home for both users: the runtime (`eelbert_lite.runner.TFLiteClassifier`) and int8 calibration in eelbert_tf's
export, so a file is calibrated on exactly the inputs it is later given.

- `mediapipe`: WordPiece ids (`input_word_ids`, `input_mask`, `input_type_ids`, int32 `[1, L]`);
- `bytes`: the tokens' UTF-8 bytes (`token_bytes` int32 `[1, L, W]`, -1 padded), `segment_ids`, `padding_mask`;
- `utf8`: the text's UTF-8 bytes (`text_bytes` int32 `[1, N]`, -1 padded; the file tokenizes them);
- `micro`: `eelbert_lite.micro` (each token's hash vector, quantized).

Tokens come from `tokenizer` (WordPiece over a vocabulary, or the vocabulary-free words tokenizer) and are packed
`[CLS] a [SEP] (b [SEP])` by `eelbert_lite.wordpiece.pack`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from eelbert_lite import wordpiece, words
from eelbert_lite.model_file import ExportError

UTF8_BYTES_PER_TOKEN = 8  # `utf8` files take 8 bytes per token of their sequence length
PAD = "[PAD]"


def tokenizer(kind: str, vocabulary=None, max_word_bytes: int = words.DEFAULT_MAX_WORD_BYTES) -> Callable:
    """text (str or UTF-8 bytes) -> tokens: `"words"` (bytes; a word cut at `max_word_bytes` may end inside a
    character) or `"wordpiece"` over `vocabulary` (strings)."""
    if kind == "words":
        return lambda text: words.tokenize(text, max_word_bytes)
    return wordpiece.WordPiece(vocabulary).tokenize


def packed(tokenize: Callable, example, sequence_length: int) -> tuple[list, list[int]]:
    """(tokens, segment ids) of `[CLS] a [SEP] (b [SEP])`, cut round robin to `sequence_length`."""
    return wordpiece.pack([tokenize(t) for t in example], sequence_length)


def padded(values, fill, sequence_length: int, dtype=np.int32) -> np.ndarray:
    out = np.full([1, sequence_length], fill, dtype)
    out[0, : len(values)] = values
    return out


def mediapipe_inputs(tokens, segment_ids, ids: dict, sequence_length: int) -> dict:
    return {"input_word_ids": padded([ids[t] for t in tokens], ids[PAD], sequence_length),
            "input_mask": padded([1] * len(tokens), 0, sequence_length),
            "input_type_ids": padded(segment_ids, 0, sequence_length)}


def bytes_inputs(tokens, segment_ids, width: int, sequence_length: int, path="the model") -> dict:
    token_bytes = np.full([1, sequence_length, width], -1, np.int32)
    for i, token in enumerate(tokens):
        data = token if isinstance(token, bytes) else token.encode("utf-8")
        if len(data) > width:
            raise ExportError(f"{path}: the token {token!r} is longer than the file's {width} bytes.")
        token_bytes[0, i, : len(data)] = np.frombuffer(data, np.uint8)
    return {"token_bytes": token_bytes, "segment_ids": padded(segment_ids, 0, sequence_length),
            "padding_mask": padded([1] * len(tokens), 0, sequence_length)}


def text_bytes(text, n: int) -> np.ndarray:
    """A text as a `utf8` file's input: int32 `[1, n]`, its UTF-8 bytes cut at n and padded with -1."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    out = np.full([1, n], -1, np.int32)
    out[0, : min(len(data), n)] = np.frombuffer(data[:n], np.uint8)
    return out
