"""tf.data pipelines from a token cache to masked-LM batches."""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow as tf

from eelbert_tf.preprocessing.masking import (
    MASK_SELECTION_RATE,
    MASK_TOKEN_RATE,
    RANDOM_TOKEN_RATE,
    mask_rows,
    mask_selection_length,
)
from eelbert_tf.pretraining.token_cache import TokenCache


def _segment_and_padding(token_ids, pairs):
    """segment_ids (1 on the B part) and padding_mask from (b_start, length) per row."""
    position = tf.range(tf.shape(token_ids)[-1])[None, :]
    b_start, length = pairs[:, :1], pairs[:, 1:]
    padding_mask = tf.cast(position < length, tf.int32)
    segment_ids = tf.cast(position >= b_start, tf.int32) * padding_mask
    return segment_ids, padding_mask


def _inputs_and_targets(cache: TokenCache, vocabulary: list[str]):
    """(the strings a token id stands for, their MLM target ids or None, special ids, [MASK] id).

    A WordPiece cache's ids index `vocabulary` and are their own targets. A words cache's ids index its
    word table, and `vocabulary` is its training-only target vocabulary (`TokenCache.target_vocabulary`):
    the hash embedding reads the word itself, the output layer predicts its target.
    """
    words = cache.words
    if words is None:
        return (vocabulary, None, [vocabulary.index(t) for t in ("[PAD]", "[CLS]", "[SEP]")],
                vocabulary.index("[MASK]"))
    return words, cache.word_targets, [words.index(t) for t in (b"[PAD]", b"[CLS]", b"[SEP]")], words.index(b"[MASK]")


def _features(masked_ids, pairs, vocabulary_table, token_input):
    """Backbone inputs; `token_input` is `"tokens"`, `"token_ids"` or both (a tuple: a hash student and its
    table teacher read the same masked sequence)."""
    segment_ids, padding_mask = _segment_and_padding(masked_ids, pairs)
    features = {"segment_ids": segment_ids, "padding_mask": padding_mask}
    names = (token_input,) if isinstance(token_input, str) else tuple(token_input)
    if "tokens" in names:
        features["tokens"] = tf.gather(vocabulary_table, masked_ids)
    if "token_ids" in names:
        features["token_ids"] = masked_ids
    return features


DATA_ORDERS = ("shuffled", "in_order")


def training_order(num_sequences: int, seed: int, data_order: str = "shuffled") -> np.ndarray:
    """The order in which a run reads the cache's training sequences (indices into the cache).

    `"shuffled"` (the default, as BERT shuffles its instances): one seeded permutation of the
    whole cache, the same for every model trained at the same seed, so a batch draws its
    sequences from all over the corpus. `"in_order"`: cache order, i.e. consecutive windows of
    one document after another (how the presets before the shuffle were trained).
    """
    if data_order == "in_order":
        return np.arange(num_sequences, dtype=np.int64)
    if data_order != "shuffled":
        raise ValueError(f"`data_order` must be one of {DATA_ORDERS}. Received: {data_order!r}")
    return np.random.default_rng([int(seed), 2]).permutation(num_sequences).astype(np.int64)


def order_fingerprint(order: np.ndarray) -> str:
    """Identifies a data order (a digest of the index sequence); recorded and checked on resume."""
    return hashlib.sha256(np.ascontiguousarray(order, dtype="<i8").tobytes()).hexdigest()[:16]


def sequence_batches(cache: TokenCache, order: np.ndarray, batch_size: int, start_sequence: int = 0,
                     num_batches: int | None = None):
    """`(token_ids [B, L] int32, pairs [B, 2] int32)` for consecutive batches of `order`, from
    position `start_sequence` in it; what a resumed run reads is what an uninterrupted run reads
    at the same position."""
    available = (len(order) - start_sequence) // batch_size
    num_batches = available if num_batches is None else min(num_batches, available)
    ids, pairs = cache.train_token_ids, cache.train_pairs
    for b in range(num_batches):
        rows = order[start_sequence + b * batch_size : start_sequence + (b + 1) * batch_size]
        # Read the rows in ascending file order (one pass over the memory map), then put them back.
        ascending = np.argsort(rows, kind="stable")
        back = np.empty_like(ascending)
        back[ascending] = np.arange(len(rows))
        sorted_rows = rows[ascending]
        yield (np.asarray(ids[sorted_rows])[back].astype(np.int32),
               np.asarray(pairs[sorted_rows])[back].astype(np.int32))


MASKINGS = ("per_batch", "keras_hub")


def training_dataset(
    cache: TokenCache,
    vocabulary: list[str],
    token_input: str,
    batch_size: int,
    start_sequence: int = 0,
    num_batches: int | None = None,
    order: np.ndarray | None = None,
    masking: str = "keras_hub",
    seed: int = 0,
    rows: tuple[int, int] | None = None,
):
    """Masked batches `(x, mask_ids, mask_weights)` read through `order` (default: cache order)
    from position `start_sequence` on.

    Masking (15% of tokens; of those 80% `[MASK]`, 10% a random token, 10% kept):
    `"per_batch"` draws each batch's masks from a NumPy generator keyed by `seed` and the batch's
    position in the order (`masking.mask_rows`), so a resumed run, or a run split across
    workers, sees exactly the masks of an uninterrupted single-process run; `"keras_hub"`
    applies keras-hub's `MaskedLMMaskGenerator`, whose draws follow TensorFlow's random state
    (the shipped presets were trained so).

    `rows=(lo, hi)` keeps rows `lo:hi` of every (global) batch after masking: one worker's share
    under a distribution strategy (`distribute.py`).
    """
    import keras_hub

    if masking not in MASKINGS:
        raise ValueError(f"`masking` must be one of {MASKINGS}. Received: {masking!r}")
    if order is None:
        order = training_order(cache.num_train_sequences, 0, "in_order")
    available = (len(order) - start_sequence) // batch_size
    num_batches = available if num_batches is None else min(num_batches, available)
    length = cache.sequence_length
    inputs, targets, special, mask_id = _inputs_and_targets(cache, vocabulary)
    table = tf.constant(inputs)
    k = mask_selection_length(length)

    if masking == "per_batch":
        first_batch = start_sequence // batch_size

        def batches():
            for b, (token_ids, pairs) in enumerate(
                    sequence_batches(cache, order, batch_size, start_sequence, num_batches)):
                m = mask_rows(token_ids, np.random.default_rng([int(seed), 3, first_batch + b]), special, mask_id,
                              len(inputs))
                ids = m["mask_ids"] if targets is None else targets[m["mask_ids"]]
                yield m["token_ids_masked"], pairs, m["mask_positions"], ids, m["mask_weights"]

        dataset = tf.data.Dataset.from_generator(batches, output_signature=(
            tf.TensorSpec([batch_size, length], tf.int32), tf.TensorSpec([batch_size, 2], tf.int32),
            tf.TensorSpec([batch_size, k], tf.int32), tf.TensorSpec([batch_size, k], tf.int32),
            tf.TensorSpec([batch_size, k], tf.float32)))

        def to_example(masked_ids, pairs, positions, ids, weights):
            x = _features(masked_ids, pairs, table, token_input)
            x["mask_positions"] = positions
            return x, ids, weights
    else:
        def batches():
            yield from sequence_batches(cache, order, batch_size, start_sequence, num_batches)

        dataset = tf.data.Dataset.from_generator(batches, output_signature=(
            tf.TensorSpec([batch_size, length], tf.int32), tf.TensorSpec([batch_size, 2], tf.int32)))
        generator = keras_hub.layers.MaskedLMMaskGenerator(
            vocabulary_size=len(inputs),
            mask_selection_rate=MASK_SELECTION_RATE,
            mask_token_id=mask_id,
            mask_selection_length=k,
            unselectable_token_ids=special,
            mask_token_rate=MASK_TOKEN_RATE,
            random_token_rate=RANDOM_TOKEN_RATE,
        )

        target_table = None if targets is None else tf.constant(targets, tf.int32)

        def to_example(token_ids, pairs):
            masked = generator(token_ids)
            x = _features(masked["token_ids"], pairs, table, token_input)
            x["mask_positions"] = masked["mask_positions"]
            ids = masked["mask_ids"] if target_table is None else tf.gather(target_table, masked["mask_ids"])
            return x, ids, masked["mask_weights"]

    dataset = dataset.map(to_example, num_parallel_calls=1, deterministic=True)
    if rows is not None:
        lo, hi = rows
        dataset = dataset.map(lambda x, ids, weights: (
            {name: value[lo:hi] for name, value in x.items()}, ids[lo:hi], weights[lo:hi]))
    return dataset.prefetch(4), num_batches


def validation_dataset(cache: TokenCache, vocabulary: list[str], token_input: str, batch_size: int = 64):
    """The cache's fixed, pre-masked validation set: `(x, mask_ids, mask_weights)` batches."""
    v = cache.validation()
    inputs, targets, _, _ = _inputs_and_targets(cache, vocabulary)
    table = tf.constant(inputs)
    masked = tf.constant(v["token_ids_masked"].astype(np.int32))
    x = _features(masked, tf.constant(v["pairs"].astype(np.int32)), table, token_input)
    x["mask_positions"] = tf.constant(v["mask_positions"].astype(np.int32))
    ids = v["mask_ids"] if targets is None else targets[v["mask_ids"]]
    data = (x, tf.constant(ids.astype(np.int32)), tf.constant(v["mask_weights"]))
    return tf.data.Dataset.from_tensor_slices(data).batch(batch_size)
