"""The EELBERT hash embedding: specification constants and the NumPy reference.

This module is the single home of the hash specification (`docs/hash_spec.md`
explains it in prose; `tflite/golden/hash_golden.json` pins it with golden
vectors). Every other implementation (the TensorFlow graph in
`eelbert_tf.layers.hash_ops`, the C reference in `tflite/c/`) imports or copies
these constants and is tested against the same golden vectors.

The reference below is written for clarity, one token at a time with Python
integers, so that it can be read against the specification line by line. It is
not fast; the TensorFlow layer is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable, Sequence

import numpy as np

SPEC_VERSION = 1

# Symbols: bytes are 0..255; the marks are values no byte can take.
BOW = 256  # start of a word-initial token
CONT = 257  # start of a WordPiece continuation piece ("##ing")
EOW = 258  # end of a token
WHOLE = 259  # first symbol of a whole-token hash (random hash, special tokens)
ORDER_BASE = 260  # first symbol of an n-gram of order n is ORDER_BASE + n
MAX_ORDER = 16

# Two polynomial hashes, h = sum_k (q_k + 1) * B**k mod P, with B a primitive root mod P.
P1, B1 = 65521, 48271
P2, B2 = 65519, 40004
# Per-dimension value u_j = (h1 * a_j + h2 * c_j + b_j) mod M, with a_j, c_j in [1, COEF_MAX].
M = 65521
HALF = M - 1  # v_j = 2 * u_j - HALF lies in [-HALF, HALF]; x_j = v_j / HALF lies in [-1, 1]
COEF_MAX = 16383
# Largest token (in bytes) the int32 bytes entry point accepts: keeps every sum below 2**31.
MAX_TOKEN_BYTES_INT32 = 32765

PAD_TOKEN = "[PAD]"
HASH_TYPES = ("ngram_pooling", "whole_token")

_U32 = 0xFFFFFFFF


def mix32(x: int) -> int:
    """A 32-bit integer finalizer ("lowbias32", C. Wellons); all arithmetic mod 2**32."""
    x &= _U32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _U32
    x ^= x >> 15
    x = (x * 0x846CA68B) & _U32
    x ^= x >> 16
    return x


def dimension_coefficients(dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-dimension coefficients (a, c, b), each an int64 array of length `dim`.

    Coefficient j does not depend on `dim`: a 128-wide vector is the prefix of a
    256-wide one.
    """
    _check_dim_and_seed(dim, seed)
    base = mix32(seed ^ 0x9E3779B9)
    r = [mix32((base + i) & _U32) for i in range(3 * dim)]
    a = np.array([1 + r[3 * j] % COEF_MAX for j in range(dim)], dtype=np.int64)
    c = np.array([1 + r[3 * j + 1] % COEF_MAX for j in range(dim)], dtype=np.int64)
    b = np.array([r[3 * j + 2] % M for j in range(dim)], dtype=np.int64)
    return a, c, b


def polynomial_hash(seq: Sequence[int], base: int, prime: int) -> int:
    """sum_k (seq[k] + 1) * base**k mod prime."""
    h, p = 0, 1
    for q in seq:
        h = (h + (q + 1) * p) % prime
        p = (p * base) % prime
    return h


def hash_pair(seq: Sequence[int]) -> tuple[int, int]:
    """The two polynomial hashes (h1, h2) of a hashed symbol sequence."""
    return polynomial_hash(seq, B1, P1), polynomial_hash(seq, B2, P2)


def is_special(token_bytes: bytes) -> bool:
    """A special token is bracketed: `[CLS]`, `[SEP]`, `[MASK]`, `[UNK]`, `[unused7]`.

    The BERT tokenizer splits `[` and `]` off as punctuation, so no piece of
    ordinary text has this form.
    """
    return len(token_bytes) >= 3 and token_bytes[0] == 0x5B and token_bytes[-1] == 0x5D


def is_padding(token_bytes: bytes) -> bool:
    return token_bytes == b"" or token_bytes == PAD_TOKEN.encode()


def token_symbols(token_bytes: bytes) -> list[int]:
    """The symbol sequence of a token for n-gram pooling: marks around its bytes."""
    if len(token_bytes) > 2 and token_bytes[:2] == b"##":
        return [CONT, *token_bytes[2:], EOW]
    return [BOW, *token_bytes, EOW]


def token_ngrams(token_bytes: bytes, ngram_orders: Sequence[int] = (3,)) -> list[list[int]]:
    """Every hashed sequence of a token under n-gram pooling, in spec order.

    Each is `[ORDER_BASE + n, *window]`: all windows of `n` consecutive symbols,
    order by order; a symbol sequence no longer than `n` is one window.
    """
    s = token_symbols(token_bytes)
    grams = []
    for n in ngram_orders:
        if len(s) <= n:
            grams.append([ORDER_BASE + n, *s])
        else:
            grams.extend([ORDER_BASE + n, *s[i : i + n]] for i in range(len(s) - n + 1))
    return grams


def hashed_sequences(
    token: str | bytes, hash_type: str = "ngram_pooling", ngram_orders: Sequence[int] = (3,)
) -> list[list[int]]:
    """The sequences whose vectors are pooled for one token (empty for padding)."""
    b = token.encode("utf-8") if isinstance(token, str) else bytes(token)
    if is_padding(b):
        return []
    if hash_type == "whole_token" or is_special(b):
        return [[WHOLE, *b]]
    return token_ngrams(b, ngram_orders)


def embed_token_int(
    token: str | bytes,
    dim: int,
    hash_type: str = "ngram_pooling",
    ngram_orders: Sequence[int] = (3,),
    seed: int = 0,
    coefficients: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Exact integer form of a token's embedding: (sum of v over its sequences, count)."""
    a, c, b = coefficients if coefficients is not None else dimension_coefficients(dim, seed)
    total = np.zeros(dim, dtype=np.int64)
    seqs = hashed_sequences(token, hash_type, ngram_orders)
    for seq in seqs:
        h1, h2 = hash_pair(seq)
        u = (h1 * a + h2 * c + b) % M
        total += 2 * u - HALF
    return total, len(seqs)


def embed_tokens(
    tokens: Iterable[str | bytes],
    dim: int,
    hash_type: str = "ngram_pooling",
    ngram_orders: Sequence[int] = (3,),
    seed: int = 0,
) -> np.ndarray:
    """Embeds tokens by the specification: a float32 array `[len(tokens), dim]`.

    Args:
        tokens: token strings (or UTF-8 bytes), as the tokenizer gives them; they
            are hashed byte for byte, with no normalization.
        dim: the embedding width.
        hash_type: `"ngram_pooling"` (EELBERT) or `"whole_token"` (the paper's
            random-hash ablation: one vector per whole token).
        ngram_orders: the n-gram orders pooled, e.g. `(3,)` or `(2, 3, 4)`.
        seed: selects the per-dimension coefficients.

    Each value is `float32(S) / float32(count * 65520)`, where S is the exact
    integer sum of the token's n-gram values, so every implementation that
    follows the spec gets the same bits. `""` and `"[PAD]"` give zeros.

    Example:
    >>> embed_tokens(["hello", "##ing", "[CLS]", ""], dim=4).shape
    (4, 4)
    """
    check_hash_args(dim, hash_type, ngram_orders, seed)
    coefficients = dimension_coefficients(dim, seed)
    tokens = list(tokens)
    out = np.zeros((len(tokens), dim), dtype=np.float32)
    for i, token in enumerate(tokens):
        total, count = embed_token_int(
            token, dim, hash_type, ngram_orders, seed, coefficients=coefficients
        )
        if count:
            out[i] = total.astype(np.float32) / np.float32(count * HALF)
    return out


def _check_dim_and_seed(dim: int, seed: int) -> None:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"`dim` must be a positive integer. Received: dim={dim!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= _U32:
        raise ValueError(f"`seed` must be an integer in [0, 2**32). Received: seed={seed!r}")


def check_hash_args(dim, hash_type, ngram_orders, seed) -> tuple[int, ...]:
    """Validates the spec's settings (ValueError names the bad one); returns the n-gram orders."""
    _check_dim_and_seed(dim, seed)
    if hash_type not in HASH_TYPES:
        raise ValueError(f"`hash_type` must be one of {HASH_TYPES}. Received: hash_type={hash_type!r}")
    return check_ngram_orders(ngram_orders)


def check_ngram_orders(ngram_orders) -> tuple[int, ...]:
    """Validates n-gram orders; returns them as a tuple of ints."""
    try:
        orders = tuple(int(n) for n in ngram_orders)
    except TypeError:
        raise ValueError(
            f"`ngram_orders` must be a sequence of integers in [1, {MAX_ORDER}]. "
            f"Received: ngram_orders={ngram_orders!r}"
        ) from None
    if not orders or any(not 1 <= n <= MAX_ORDER for n in orders) or len(set(orders)) != len(orders):
        raise ValueError(
            f"`ngram_orders` must be distinct integers in [1, {MAX_ORDER}], at least one. "
            f"Received: ngram_orders={ngram_orders!r}"
        )
    return orders


def spec_fingerprint() -> str:
    """A short digest of every constant of the spec, recorded with golden vectors and weights."""
    constants = dict(
        version=SPEC_VERSION, BOW=BOW, CONT=CONT, EOW=EOW, WHOLE=WHOLE, ORDER_BASE=ORDER_BASE,
        P1=P1, B1=B1, P2=P2, B2=B2, M=M, COEF_MAX=COEF_MAX, pad=PAD_TOKEN,
    )
    return hashlib.sha256(json.dumps(constants, sort_keys=True).encode()).hexdigest()[:16]
