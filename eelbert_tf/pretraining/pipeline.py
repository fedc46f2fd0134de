"""tf.data pipelines from a token cache to masked-LM batches."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from eelbert_tf.pretraining.token_cache import (
    MASK_SELECTION_RATE,
    MASK_TOKEN_RATE,
    RANDOM_TOKEN_RATE,
    TokenCache,
    mask_selection_length,
)


def _segment_and_padding(token_ids, pairs):
    """segment_ids (1 on the B part) and padding_mask from (b_start, length) per row."""
    position = tf.range(tf.shape(token_ids)[-1])[None, :]
    b_start, length = pairs[:, :1], pairs[:, 1:]
    padding_mask = tf.cast(position < length, tf.int32)
    segment_ids = tf.cast(position >= b_start, tf.int32) * padding_mask
    return segment_ids, padding_mask


def _features(masked_ids, pairs, vocabulary_table, token_input):
    segment_ids, padding_mask = _segment_and_padding(masked_ids, pairs)
    features = {"segment_ids": segment_ids, "padding_mask": padding_mask}
    if token_input == "tokens":
        features["tokens"] = tf.gather(vocabulary_table, masked_ids)
    else:
        features["token_ids"] = masked_ids
    return features


def training_dataset(
    cache: TokenCache,
    vocabulary: list[str],
    token_input: str,
    batch_size: int,
    start_sequence: int = 0,
    num_batches: int | None = None,
):
    """Masked batches `(x, mask_ids, mask_weights)` from sequence `start_sequence` on, in order.

    Masking is keras-hub's `MaskedLMMaskGenerator` (15% of tokens; of those 80%
    `[MASK]`, 10% a random token, 10% kept), drawn afresh for each batch.
    """
    import keras_hub

    available = (cache.num_train_sequences - start_sequence) // batch_size
    num_batches = available if num_batches is None else min(num_batches, available)
    ids, pairs = cache.train_token_ids, cache.train_pairs

    def batches():
        for b in range(num_batches):
            i = start_sequence + b * batch_size
            yield ids[i : i + batch_size].astype(np.int32), pairs[i : i + batch_size].astype(np.int32)

    length = cache.sequence_length
    dataset = tf.data.Dataset.from_generator(
        batches,
        output_signature=(
            tf.TensorSpec([batch_size, length], tf.int32),
            tf.TensorSpec([batch_size, 2], tf.int32),
        ),
    )
    generator = keras_hub.layers.MaskedLMMaskGenerator(
        vocabulary_size=len(vocabulary),
        mask_selection_rate=MASK_SELECTION_RATE,
        mask_token_id=vocabulary.index("[MASK]"),
        mask_selection_length=mask_selection_length(length),
        unselectable_token_ids=[vocabulary.index(t) for t in ("[PAD]", "[CLS]", "[SEP]")],
        mask_token_rate=MASK_TOKEN_RATE,
        random_token_rate=RANDOM_TOKEN_RATE,
    )
    table = tf.constant(vocabulary)

    def to_example(token_ids, pair):
        masked = generator(token_ids)
        x = _features(masked["token_ids"], pair, table, token_input)
        x["mask_positions"] = masked["mask_positions"]
        return x, masked["mask_ids"], masked["mask_weights"]

    dataset = dataset.map(to_example, num_parallel_calls=1, deterministic=True)
    return dataset.prefetch(4), num_batches


def validation_dataset(cache: TokenCache, vocabulary: list[str], token_input: str, batch_size: int = 64):
    """The cache's fixed, pre-masked validation set: `(x, mask_ids, mask_weights)` batches."""
    v = cache.validation()
    table = tf.constant(vocabulary)
    masked = tf.constant(v["token_ids_masked"].astype(np.int32))
    x = _features(masked, tf.constant(v["pairs"].astype(np.int32)), table, token_input)
    x["mask_positions"] = tf.constant(v["mask_positions"].astype(np.int32))
    data = (x, tf.constant(v["mask_ids"].astype(np.int32)), tf.constant(v["mask_weights"]))
    return tf.data.Dataset.from_tensor_slices(data).batch(batch_size)
