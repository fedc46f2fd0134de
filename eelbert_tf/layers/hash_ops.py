"""TensorFlow graph implementation of the hash specification (`eelbert_lite.hashing`).

Two entry points compute the same function:

- `embed_token_strings`: a 1-D string tensor. String work is TF Text's
  `ByteSplitter` plus `tf.strings` comparisons; n-gram windows are laid out flat
  (ragged), so a long token costs only its own windows, and sums are exact in
  int64. This is the training path.
- `embed_token_bytes`: an int32 `[N, L]` tensor of UTF-8 bytes padded with -1,
  with a static `L`, written in `keras.ops`: it runs under every Keras backend
  (TensorFlow, JAX, PyTorch), so `EelbertBackbone` does too. Under TensorFlow it
  lowers to builtin TFLite ops only (int32 MUL/ADD/FLOOR_MOD, SUM, SELECT, CAST,
  DIV), every intermediate below 2**31. This is the converter path.

Both share `sequence_hashes` and `hash_values` (plain `+ * %` on int32 tensors and
NumPy constants, so they serve either), and both are tested against the NumPy
reference and the golden vectors.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text
from keras import ops

from eelbert_lite import hashing as spec

_HASHES = ((spec.B1, spec.P1), (spec.B2, spec.P2))
_PAD_BYTES = tuple(spec.PAD_TOKEN.encode())


def coefficient_constants(dim: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The spec's per-dimension coefficients (a, c, b) as int32 NumPy constants (any backend takes them)."""
    return tuple(x.astype(np.int32) for x in spec.dimension_coefficients(dim, seed))


def sequence_hashes(symbols: list[tf.Tensor], first_symbol: int) -> tuple[tf.Tensor, tf.Tensor]:
    """(h1, h2) of the sequences `[first_symbol, *symbols]`, elementwise.

    `symbols[k]` holds the k-th symbol of every sequence (int32, any shape); -1
    marks an absent symbol and contributes nothing.
    """
    hashes = []
    for base, prime in _HASHES:
        acc = (first_symbol + 1) % prime
        for k, s in enumerate(symbols):
            # (s + 1) <= 277 and the power is < 2**16, so the product is < 2**25. `%` is floor mod for
            # TensorFlow, JAX and PyTorch tensors alike.
            acc = ((s + 1) * pow(base, k + 1, prime)) % prime + acc
        hashes.append(acc % prime)
    return hashes[0], hashes[1]


def hash_values(h1: tf.Tensor, h2: tf.Tensor, coefficients) -> tf.Tensor:
    """Integer values v = 2 * ((h1 a + h2 c + b) mod M) - HALF, shape `[..., dim]`."""
    a, c, b = coefficients
    # h1, h2 < 2**16 and a, c <= 16383: the sum stays below 2**31.
    u = (h1[..., None] * a + h2[..., None] * c + b) % spec.M
    return 2 * u - spec.HALF


def pooled_embedding(total: tf.Tensor, count: tf.Tensor, int32_product: bool = False) -> tf.Tensor:
    """float32(total) / float32(count * HALF); zero where count is zero.

    count and HALF are exact in float32, so their float32 product is the exact
    product rounded once, as the spec says. With `int32_product` (the bytes path,
    whose static length bounds every sum below 2**31, count * HALF included) the
    product is taken in int32 and cast once: the same float32 value, and the two
    int-to-float casts then feed the DIV directly, with no float op or reshape
    between that an int8 converter would quantize (int8 exports keep that DIV in
    float: `eelbert_tf.export.core.convert`).
    """
    count = ops.maximum(count, ops.ones_like(count))[..., None]
    if int32_product:
        denominator = ops.cast(ops.cast(count, "int32") * spec.HALF, "float32")
    else:
        denominator = ops.cast(count, "float32") * float(spec.HALF)
    return ops.divide(ops.cast(total, "float32"), _opaque_under_xla(denominator, total.shape))


def _opaque_under_xla(denominator, shape):
    """The divisor as XLA must take it. Under JAX, XLA's algebraic simplifier rewrites `A / broadcast(B)` as
    `A * broadcast(1 / B)`, one rounding more, which misses the spec by an ulp in 2 vectors of 3 (measured on
    the golden vectors); an optimization barrier around the broadcast divisor keeps the IEEE division that
    TensorFlow, PyTorch and NumPy compute. Other backends take the divisor as it is."""
    import keras

    if keras.backend.backend() != "jax":
        return denominator
    import jax

    return jax.lax.optimization_barrier(ops.broadcast_to(denominator, shape))


# ----------------------------------------------------------------------------------------------
# String path (flat windows over ragged bytes).


def embed_token_strings(
    tokens: tf.Tensor, dim: int, hash_type: str, ngram_orders, seed: int
) -> tf.Tensor:
    """Embeds a 1-D string tensor of tokens: float32 `[N, dim]`."""
    coefficients = coefficient_constants(dim, seed)
    tokens = tf.convert_to_tensor(tokens, tf.string)
    n_tokens = tf.shape(tokens, out_type=tf.int64)[0]
    length = tf.strings.length(tokens, unit="BYTE")
    padding = tf.equal(length, 0) | tf.equal(tokens, spec.PAD_TOKEN)
    special = (
        (length >= 3)
        & tf.equal(tf.strings.substr(tokens, 0, 1), "[")
        & tf.equal(tf.strings.substr(tokens, tf.maximum(length - 1, 0), tf.ones_like(length)), "]")
    )
    whole = ~padding & (special | (hash_type == "whole_token"))
    ngram = ~padding & ~whole

    token_bytes = tf.cast(tf_text.ByteSplitter().split(tokens), tf.int32)
    flat = token_bytes.flat_values
    starts = tf.cast(token_bytes.row_starts(), tf.int32)
    # Two -1 sentinels past the end keep every clipped gather in range.
    flat_ext = tf.concat([flat, tf.constant([-1, -1], tf.int32)], axis=0)
    n_flat = tf.shape(flat)[0]

    total = tf.zeros(tf.stack([n_tokens, dim]), tf.int64)
    count = tf.zeros_like(length)

    # Whole-token hashes: one sequence [WHOLE, *bytes] per token.
    rows = tf.cast(token_bytes.value_rowids(), tf.int32)
    position = tf.range(n_flat) - tf.gather(starts, rows)
    h = []
    for base, prime in _HASHES:
        power = _power_mod(tf.cast(position + 1, tf.int64), base, prime)
        terms = tf.math.floormod(tf.cast(flat + 1, tf.int64) * power, prime)
        sums = tf.math.unsorted_segment_sum(terms, rows, tf.cast(n_tokens, tf.int32))
        h.append(tf.cast(tf.math.floormod(sums + (spec.WHOLE + 1), prime), tf.int32))
    v_whole = hash_values(h[0], h[1], coefficients)
    total += tf.where(whole[:, None], tf.cast(v_whole, tf.int64), tf.zeros_like(total))
    count += tf.cast(whole, tf.int32)

    # N-gram pooling over the symbols [BOW|CONT, *body, EOW].
    cont = (length > 2) & tf.equal(tf.strings.substr(tokens, 0, 2), "##")
    offset = 2 * tf.cast(cont, tf.int32)
    n_symbols = length - offset + 2
    first_mark = tf.where(cont, spec.CONT, spec.BOW)
    for n in spec.check_ngram_orders(ngram_orders):
        windows = tf.where(ngram, tf.maximum(n_symbols - n + 1, 1), 0)
        win_token = tf.repeat(tf.range(tf.size(windows)), windows)
        i = tf.ragged.range(windows).flat_values
        t_symbols = tf.gather(n_symbols, win_token)
        t_base = tf.gather(starts + offset, win_token)
        t_mark = tf.gather(first_mark, win_token)
        symbols = []
        for k in range(n):
            p = i + k
            byte = tf.gather(flat_ext, tf.clip_by_value(t_base + p - 1, 0, n_flat))
            sym = tf.where(p == 0, t_mark, tf.where(p == t_symbols - 1, spec.EOW, byte))
            symbols.append(tf.where(p >= t_symbols, -1, sym))
        h1, h2 = sequence_hashes(symbols, spec.ORDER_BASE + n)
        values = hash_values(h1, h2, coefficients)
        total += _segment_sum_exact(values, win_token, n_tokens, tf.reduce_max(tf.concat([windows, [0]], 0)))
        count += windows
    return pooled_embedding(total, count)


def _segment_sum_exact(values, segment_ids, num_segments, max_per_segment):
    """Exact per-token sums of int32 values in [-HALF, HALF], as int64."""
    num_segments = tf.cast(num_segments, tf.int32)
    # Up to 32767 terms per token an int32 sum cannot overflow; beyond, sum in int64.
    return tf.cond(
        max_per_segment <= 32767,
        lambda: tf.cast(tf.math.unsorted_segment_sum(values, segment_ids, num_segments), tf.int64),
        lambda: tf.math.unsorted_segment_sum(tf.cast(values, tf.int64), segment_ids, num_segments),
    )


def _power_mod(exponent: tf.Tensor, base: int, prime: int) -> tf.Tensor:
    """base ** exponent mod prime, elementwise, for int64 exponents >= 0 (square and multiply)."""
    e = tf.math.floormod(exponent, prime - 1)  # Fermat: the order of base divides prime - 1.
    result = tf.ones_like(e)
    square = base % prime
    for bit in range((prime - 1).bit_length()):
        take = tf.equal(tf.bitwise.bitwise_and(tf.bitwise.right_shift(e, bit), 1), 1)
        result = tf.where(take, tf.math.floormod(result * square, prime), result)
        square = square * square % prime
    return result


# ----------------------------------------------------------------------------------------------
# Bytes path (dense, static shapes, int32 builtins only).


def embed_token_bytes(
    token_bytes: tf.Tensor, dim: int, hash_type: str, ngram_orders, seed: int
) -> tf.Tensor:
    """Embeds int32 `[N, L]` token bytes padded with -1: float32 `[N, dim]`."""
    total, count = token_bytes_totals(token_bytes, dim, hash_type, ngram_orders, seed)
    return pooled_embedding(total, count, int32_product=True)


def token_bytes_totals(
    token_bytes: tf.Tensor, dim: int, hash_type: str, ngram_orders, seed: int
) -> tuple[tf.Tensor, tf.Tensor]:
    """The integer parts of `embed_token_bytes`: per-token sums of the hashed values (int32 `[N, dim]`)
    and the number of sequences pooled (int32 `[N]`). Sums of disjoint token sets add exactly, so callers
    may hash tokens in groups and pool once (`pooled_embedding`)."""
    coefficients = coefficient_constants(dim, seed)
    x = ops.convert_to_tensor(token_bytes)
    dtype = keras_dtype(x)
    if dtype != "int32" or len(x.shape) != 2 or x.shape[-1] is None:
        raise ValueError(
            "`token_bytes` must be an int32 tensor [N, L] with a static L (UTF-8 bytes, "
            f"-1 padded). Received: dtype={dtype}, shape={tuple(x.shape)}"
        )
    max_len = x.shape[-1]
    if max_len > spec.MAX_TOKEN_BYTES_INT32:
        raise ValueError(
            f"`token_bytes` may hold at most {spec.MAX_TOKEN_BYTES_INT32} bytes per token so that "
            f"int32 sums cannot overflow. Received: L={max_len}"
        )
    pos = np.arange(max_len, dtype=np.int32)[None, :]
    length = ops.sum(ops.cast(ops.greater_equal(x, 0), "int32"), axis=-1)
    first = x[:, 0] if max_len >= 1 else -ops.ones_like(length)
    second = x[:, 1] if max_len >= 2 else -ops.ones_like(length)
    last = ops.sum(ops.where(ops.equal(pos, (length - 1)[:, None]), x, 0), axis=-1)
    padding = ops.equal(length, 0)
    if max_len >= len(_PAD_BYTES):
        same = ops.equal(x[:, : len(_PAD_BYTES)], np.array(_PAD_BYTES, np.int32)[None, :])
        padding = ops.logical_or(padding, ops.logical_and(ops.equal(length, len(_PAD_BYTES)), ops.all(same, axis=-1)))
    special = ops.logical_and(ops.logical_and(ops.greater_equal(length, 3), ops.equal(first, ord("["))),
                              ops.equal(last, ord("]")))
    whole = ops.logical_and(ops.logical_not(padding), special if hash_type != "whole_token" else True)
    ngram = ops.logical_and(ops.logical_not(padding), ops.logical_not(whole))

    # Whole-token hashes: [WHOLE, *bytes]; the -1 padding contributes nothing.
    h = []
    for base, prime in _HASHES:
        powers = np.array([pow(base, k + 1, prime) for k in range(max_len)], np.int32)
        terms = ((x + 1) * powers[None, :]) % prime
        h.append((ops.sum(terms, axis=-1) + (spec.WHOLE + 1)) % prime)
    total = ops.where(whole[:, None], hash_values(h[0], h[1], coefficients), 0)
    count = ops.cast(whole, "int32")

    # N-gram pooling over [BOW|CONT, *body, EOW, -1...], windows i = 0 .. L+1.
    cont = ops.logical_and(ops.logical_and(ops.greater(length, 2), ops.equal(first, ord("#"))),
                           ops.equal(second, ord("#")))
    shifted = ops.pad(x[:, 2:], [[0, 0], [0, min(2, max_len)]], constant_values=-1)
    body = ops.where(cont[:, None], shifted, x)
    n_symbols = length - 2 * ops.cast(cont, "int32") + 2
    mark = ops.cast(ops.where(cont, spec.CONT, spec.BOW), "int32")[:, None]
    symbols = ops.concatenate([mark, ops.pad(body, [[0, 0], [0, 1]], constant_values=-1)], axis=1)
    eow = ops.equal(np.arange(max_len + 2, dtype=np.int32)[None, :], (n_symbols - 1)[:, None])
    symbols = ops.where(eow, spec.EOW, symbols)
    n_windows = max_len + 2
    i = np.arange(n_windows, dtype=np.int32)[None, :]
    for n in spec.check_ngram_orders(ngram_orders):
        padded = ops.pad(symbols, [[0, 0], [0, n]], constant_values=-1)
        h1, h2 = sequence_hashes([padded[:, k : k + n_windows] for k in range(n)], spec.ORDER_BASE + n)
        valid = ops.logical_and(ops.logical_or(ops.less_equal(i + n, n_symbols[:, None]), i == 0), ngram[:, None])
        values = hash_values(h1, h2, coefficients) * ops.cast(valid, "int32")[..., None]
        total = total + ops.sum(values, axis=1)
        count = count + ops.sum(ops.cast(valid, "int32"), axis=1)
    return total, count


def keras_dtype(x) -> str:
    """The standardized dtype name of a tensor of any backend (`"int32"`, ...)."""
    import keras

    return keras.backend.standardize_dtype(x.dtype)


def token_strings_to_bytes(tokens: tf.Tensor, max_bytes: int | None = None) -> tf.Tensor:
    """UTF-8 bytes of string tokens as int32 `[..., L]`, padded with -1.

    With `max_bytes`, L is fixed and a longer token raises InvalidArgumentError
    (it is never cut silently); without it, L is the longest token.
    """
    tokens = tf.convert_to_tensor(tokens, tf.string)
    ragged = tf.cast(tf_text.ByteSplitter().split(tokens), tf.int32)
    if max_bytes is None:
        return ragged.to_tensor(default_value=-1)
    longest = tf.reduce_max(tf.concat([tf.reshape(tf.strings.length(tokens, unit="BYTE"), [-1]), [0]], 0))
    check = tf.debugging.assert_less_equal(
        longest, max_bytes, message=f"a token is longer than max_bytes={max_bytes} bytes"
    )
    with tf.control_dependencies([check]):
        shape = tf.concat([tf.shape(tokens, out_type=tf.int64), [max_bytes]], 0)
        return ragged.to_tensor(default_value=-1, shape=shape)
