"""BERT packing of WordPiece token bytes inside a TFLite graph: `[CLS] a [SEP] (b [SEP])`, cut round
robin as keras-hub's `MultiSegmentPacker` (the Keras preprocessor) cuts it, with builtin ops only."""

from __future__ import annotations

import tensorflow as tf


def special_row(token: str, width: int):
    """The bytes of a special token as one row `[1, W]`, -1 padded."""
    data = list(token.encode()) + [-1] * (width - len(token.encode()))
    return tf.constant([data], tf.int32)


def round_robin_lengths(lengths, budget: int):
    """Tokens kept of each segment: one from each in turn until `budget` is spent (first one first)."""
    if len(lengths) == 1:
        return [tf.minimum(lengths[0], budget)]
    la, lb = lengths
    b_keep = tf.minimum(lb, tf.maximum(budget - la, budget // 2))
    a_keep = tf.minimum(la, budget - b_keep)
    return [a_keep, b_keep]


def pack_rows(segments, sequence_length: int, cls, sep):
    """`(rows [k, ...], segment_ids [k])` for one example from each segment's rows `[n, ...]` (token bytes
    `[n, W]`, or token ids `[n, 1]`), with `cls` and `sep` rows `[1, ...]`."""
    budget = sequence_length - 1 - len(segments)
    keep = round_robin_lengths([tf.shape(s)[0] for s in segments], budget)
    rows, segment_ids = [cls], [tf.zeros([1], tf.int32)]
    for i, (s, k) in enumerate(zip(segments, keep)):
        rows += [s[:k], sep]
        segment_ids.append(tf.fill(tf.reshape(k + 1, [1]), i))
    return tf.concat(rows, 0), tf.concat(segment_ids, 0)
