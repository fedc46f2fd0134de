"""Reading and checking a WordPiece vocabulary file."""

from __future__ import annotations

import os
import pathlib

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def vocabulary_sha256(tokens) -> str:
    """The digest that token caches, pretraining records and .tflite metadata record of a vocabulary."""
    import hashlib

    return hashlib.sha256("\n".join(tokens).encode()).hexdigest()


def load_vocabulary(vocabulary: str | os.PathLike | list[str] | tuple[str, ...]) -> list[str]:
    """A vocabulary as a list of tokens, from a list or a file with one token per line.

    Raises ValueError naming the file and the problem for a missing or empty file,
    a file cut mid-line (no final newline), a line that is not UTF-8, a duplicate or
    empty token, or a missing special token.
    """
    if isinstance(vocabulary, (list, tuple)):
        tokens, source = [str(t) for t in vocabulary], "the vocabulary list"
    else:
        path = pathlib.Path(vocabulary)
        source = f"vocabulary file {str(path)!r}"
        if not path.is_file():
            raise FileNotFoundError(f"The {source} does not exist.")
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            if e.end < len(data) or e.reason != "unexpected end of data":
                raise ValueError(f"The {source} is not UTF-8 text (byte {e.start}).") from None
            text = data[: e.start].decode("utf-8", errors="replace") + "\ufffd"  # cut inside a character
        if text and not text.endswith("\n"):
            line = text.count("\n") + 1
            raise ValueError(
                f"The {source} ends in the middle of line {line} ({text[text.rfind(chr(10)) + 1:][:40]!r}, no "
                "newline): it looks truncated. A vocabulary file has one token per line, each ending in a newline."
            )
        tokens = text.split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        tokens = [t.rstrip("\r") for t in tokens]
    if not tokens:
        raise ValueError(f"The {source} is empty: expected one WordPiece token per line.")
    seen = {}
    for line, token in enumerate(tokens, start=1):
        if token == "":
            raise ValueError(f"The {source} has an empty token at line {line}.")
        if token in seen:
            raise ValueError(
                f"The {source} has the token {token!r} twice (lines {seen[token]} and {line})."
            )
        seen[token] = line
    missing = [t for t in SPECIAL_TOKENS if t not in seen]
    if missing:
        raise ValueError(
            f"The {source} lacks the special tokens {missing} (it has {len(tokens)} tokens; "
            "a BERT WordPiece vocabulary has [PAD], [UNK], [CLS], [SEP] and [MASK])."
        )
    return tokens


def token_byte_width(vocabulary) -> int:
    """Bytes of the longest vocabulary token: the `W` of every format's token bytes."""
    return max(len(t.encode("utf-8")) for t in vocabulary)
