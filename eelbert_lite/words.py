"""The vocabulary-free word tokenizer (`tokenizer="words"`): specification constants and the NumPy
reference.

EELBERT's hash embedding reads a token's bytes and needs no vocabulary; this tokenizer gives it
tokens without one either: ASCII and Latin-1 case folding and a split into words and punctuation,
decided byte by byte with a few comparisons, so a microcontroller can run it in C and a TFLite model
with builtin ops (`docs/hash_spec.md`, section 9, is the prose; `tflite/golden/words_golden.json`
pins it). The TensorFlow graph (`eelbert_tf.preprocessing.word_tokenizer`) and the C reference
(`tflite/c/eelbert_words.c`) are tested against the same golden file.

Like `eelbert_lite.hashing`, the reference is written for clarity, one byte at a time.
"""

from __future__ import annotations

import hashlib
import json

WORDS_SPEC_VERSION = 1

# Byte classes (section 9.2).
SPACE, PUNCT, WORD = 0, 1, 2
# A word longer than this many bytes is cut into pieces (section 9.3).
DEFAULT_MAX_WORD_BYTES = 20
MIN_MAX_WORD_BYTES = 3
CONTINUATION_PREFIX = b"##"
# Latin-1 Supplement capitals U+00C0..U+00DE (but U+00D7, the multiplication sign) are C3 80..C3 9E.
LATIN1_LEAD, LATIN1_CAPITAL_FIRST, LATIN1_CAPITAL_LAST, LATIN1_TIMES = 0xC3, 0x80, 0x9E, 0x97
# General Punctuation U+2010..U+203F (dashes, curly quotes, daggers, bullet, ellipsis, primes) are
# E2 80 90..E2 80 BF: one three-byte punctuation token.
GENERAL_PUNCT_LEAD, GENERAL_PUNCT_SECOND, GENERAL_PUNCT_FIRST, GENERAL_PUNCT_LAST = 0xE2, 0x80, 0x90, 0xBF


def is_ascii_punct(b: int) -> bool:
    return 0x21 <= b <= 0x2F or 0x3A <= b <= 0x40 or 0x5B <= b <= 0x60 or 0x7B <= b <= 0x7E


def fold_case(text: bytes) -> bytes:
    """Section 9.1: A-Z to a-z, and the Latin-1 capitals (C3 80..C3 9E but C3 97) to their small letters."""
    out = bytearray(text)
    for i, b in enumerate(text):
        if 0x41 <= b <= 0x5A:
            out[i] = b + 0x20
        elif (i > 0 and text[i - 1] == LATIN1_LEAD and LATIN1_CAPITAL_FIRST <= b <= LATIN1_CAPITAL_LAST
              and b != LATIN1_TIMES):
            out[i] = b + 0x20
    return bytes(out)


def byte_classes(text: bytes) -> list[int]:
    """Section 9.2: each byte's class; bytes of a three-byte General Punctuation character are
    PUNCT, its first byte marked as a token start by `word_spans`."""
    n = len(text)
    classes = []
    for b in text:
        if b <= 0x20 or b == 0x7F:
            classes.append(SPACE)
        elif is_ascii_punct(b):
            classes.append(PUNCT)
        else:
            classes.append(WORD)
    for i in range(n - 2):
        if (text[i] == GENERAL_PUNCT_LEAD and text[i + 1] == GENERAL_PUNCT_SECOND
                and GENERAL_PUNCT_FIRST <= text[i + 2] <= GENERAL_PUNCT_LAST):  # E2 is never a tail byte
            classes[i] = classes[i + 1] = classes[i + 2] = PUNCT
    return classes


def check_max_word_bytes(max_word_bytes) -> int:
    if isinstance(max_word_bytes, bool) or not isinstance(max_word_bytes, int) or max_word_bytes < MIN_MAX_WORD_BYTES:
        raise ValueError(f"`max_word_bytes` must be an integer >= {MIN_MAX_WORD_BYTES} (a continuation piece is "
                         f"'##' and at least one byte). Received: {max_word_bytes!r}")
    return max_word_bytes


def word_spans(text: bytes, max_word_bytes: int = DEFAULT_MAX_WORD_BYTES) -> list[tuple[int, int, bool]]:
    """Section 9.3: `(start, length, continuation)` of each token, in byte offsets of `text`.

    A punctuation token is one ASCII punctuation byte or one three-byte General Punctuation
    character; a word is a maximal run of WORD bytes, cut into a first piece of `max_word_bytes`
    bytes and continuation pieces of `max_word_bytes - 2` bytes (written `##` + bytes).
    """
    check_max_word_bytes(max_word_bytes)
    classes = byte_classes(text)
    spans = []
    i, n = 0, len(text)
    while i < n:
        c = classes[i]
        if c == SPACE:
            i += 1
        elif c == PUNCT:
            size = 3 if text[i] == GENERAL_PUNCT_LEAD else 1  # a PUNCT E2 always leads a General Punctuation
            spans.append((i, size, False))
            i += size
        else:
            j = i
            while j < n and classes[j] == WORD:
                j += 1
            spans.append((i, min(j - i, max_word_bytes), False))
            k = i + max_word_bytes
            while k < j:
                spans.append((k, min(j - k, max_word_bytes - 2), True))
                k += max_word_bytes - 2
            i = j
    return spans


def tokenize(text: str | bytes, max_word_bytes: int = DEFAULT_MAX_WORD_BYTES) -> list[bytes]:
    """A text's tokens (bytes): case-folded, split into words and punctuation, long words cut into
    `##` pieces. What the hash embedding (`eelbert_lite.hashing`) then embeds."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    if not isinstance(text, (bytes, bytearray)):
        raise TypeError(f"tokenize takes a str or bytes. Received {type(text).__name__}.")
    folded = fold_case(bytes(text))
    return [(CONTINUATION_PREFIX if cont else b"") + folded[s:s + n] for s, n, cont in word_spans(folded, max_word_bytes)]


def words_spec_fingerprint() -> str:
    """A digest of every constant of the word tokenizer; the golden file records it."""
    constants = {
        "version": WORDS_SPEC_VERSION, "classes": [SPACE, PUNCT, WORD],
        "space": "b <= 0x20 or b == 0x7f", "ascii_punct": [[0x21, 0x2F], [0x3A, 0x40], [0x5B, 0x60], [0x7B, 0x7E]],
        "latin1": [LATIN1_LEAD, LATIN1_CAPITAL_FIRST, LATIN1_CAPITAL_LAST, LATIN1_TIMES],
        "general_punct": [GENERAL_PUNCT_LEAD, GENERAL_PUNCT_SECOND, GENERAL_PUNCT_FIRST, GENERAL_PUNCT_LAST],
        "default_max_word_bytes": DEFAULT_MAX_WORD_BYTES, "prefix": CONTINUATION_PREFIX.decode(),
    }
    return hashlib.sha256(json.dumps(constants, sort_keys=True).encode()).hexdigest()[:16]
