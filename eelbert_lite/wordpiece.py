"""BERT's text normalization, pre-tokenization and WordPiece, in plain Python: the tokenization that
`eelbert_tf.EelbertTokenizer` runs in the graph (TF Text's `FastBertNormalizer` with
`lower_case_nfd_strip_accents`, then `FastWordpieceTokenizer` in end-to-end mode), for running the
`bytes` and `mediapipe` files without TensorFlow. The two are tested equal on the golden set and on
SST-2 (tests/lite/test_wordpiece.py).

Written by hand: TF Text needs TensorFlow, and the `tokenizers` package's `BertWordPieceTokenizer` (same
vocabulary, lower case, accents stripped) tokenizes 8,786 of the basic plane's 62,032 assigned characters
otherwise than TF Text does, each between two letters: TF Text folds case and compatibility forms
(NFKC_Casefold: "ﬁ" -> "fi", fullwidth -> ASCII, "ß" -> "ss"), drops default-ignorable characters and turns
control characters into spaces, where BERT's Python rules (which `tokenizers` follows) lower-case, decompose
(NFD) and drop controls. The rules here are TF Text's, each a few lines, checked character by character.
"""

from __future__ import annotations

import functools
import unicodedata

UNK, CLS, SEP = "[UNK]", "[CLS]", "[SEP]"
SUFFIX = "##"

_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _CJK)


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(char).startswith("P")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, assigned and reserved alike): the normalizer
# drops these (NFKC_Casefold does), where other format and control characters become spaces.
_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
              (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
              (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
              (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


def _is_ignorable(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _IGNORABLE)


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cf")


@functools.lru_cache(maxsize=65536)
def _normalized_char(char: str, lowercase: bool) -> str:
    """What the normalizer makes of one character: nothing (NUL, U+FFFD, control), a space (whitespace), or
    the character lower-cased, decomposed (NFD) and stripped of its accents (marks, Mn)."""
    if _is_ignorable(ord(char)):
        return ""
    if _is_whitespace(char) or _is_control(char):
        return " "
    if not lowercase:
        return char
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    return "".join(c for c in folded if unicodedata.category(c) != "Mn")


def normalize(text: str, lowercase: bool = True) -> str:
    return "".join(_normalized_char(c, lowercase) for c in text)


def pretokenize(text: str) -> list[str]:
    """Words: split on whitespace, each punctuation character and each CJK character a word of its own."""
    words, current = [], []
    for char in text:
        if _is_whitespace(char):
            if current:
                words.append("".join(current))
                current = []
        elif _is_punctuation(char) or _is_cjk(ord(char)):
            if current:
                words.append("".join(current))
                current = []
            words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


class WordPiece:
    """`tokenize(text)` -> WordPiece token strings; a word with no WordPiece cover, or longer than
    `max_bytes_per_word` UTF-8 bytes, is one `[UNK]`, as in BERT and TF Text. Takes `str` or UTF-8 `bytes`."""

    def __init__(self, vocabulary, lowercase: bool = True, max_bytes_per_word: int = 100):
        self.vocabulary = list(vocabulary)
        self._tokens = set(self.vocabulary)
        self.lowercase = lowercase
        self.max_bytes_per_word = max_bytes_per_word
        self._longest = max(len(t) for t in self.vocabulary)

    def _word(self, word: str) -> list[str]:
        if len(word.encode("utf-8")) > self.max_bytes_per_word:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            end = min(len(word), start + self._longest + len(SUFFIX))
            while end > start:
                piece = word[start:end] if start == 0 else SUFFIX + word[start:end]
                if piece in self._tokens:
                    break
                end -= 1
            if end == start:
                return [UNK]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str | bytes) -> list[str]:
        if isinstance(text, bytes):  # invalid UTF-8 becomes U+FFFD, an [UNK] in its word, as in TF Text
            text = text.decode("utf-8", "replace")
        return [p for word in pretokenize(normalize(text, self.lowercase)) for p in self._word(word)]


def round_robin(lengths: list[int], budget: int) -> list[int]:
    """Tokens kept of each segment when `budget` is shared one token at a time, the first segment first
    (keras-hub's `MultiSegmentPacker(truncate="round_robin")`)."""
    if len(lengths) == 1:
        return [min(lengths[0], budget)]
    a, b = lengths
    b_keep = min(b, max(budget - a, budget // 2))
    return [min(a, budget - b_keep), b_keep]


def pack(segments: list[list[str]], sequence_length: int) -> tuple[list[str], list[int]]:
    """`[CLS] a [SEP] (b [SEP])` cut to `sequence_length` tokens: the tokens and their segment ids."""
    keep = round_robin([len(s) for s in segments], sequence_length - 1 - len(segments))
    tokens, segment_ids = [CLS], [0]
    for i, (segment, k) in enumerate(zip(segments, keep)):
        tokens += segment[:k] + [SEP]
        segment_ids += [i] * (k + 1)
    return tokens, segment_ids
