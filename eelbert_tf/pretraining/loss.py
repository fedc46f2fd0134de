"""The masked-LM loss: sparse softmax cross-entropy over the vocabulary, compiled with XLA.

Profiling a pretraining step (`bench/pretrain_throughput.py`, "Where a step goes") showed
TensorFlow's fused `sparse_softmax_cross_entropy_with_logits` kernel to be the largest single
cost on this CPU: for 64 x 20 predictions over 30,522 tokens it took longer than the logits
matmul. Compiled by XLA (the value, and the gradient as one fused softmax-minus-one-hot
pass) the loss is about five times faster. The whole training step cannot be XLA-compiled
(`jit_compile=True` fails on the hash embedding's string ops), so only the loss is.

The value is Keras's `SparseCategoricalCrossentropy(from_logits=True)` (same per-token losses,
same sample weighting and reduction); `tests/pretraining/test_loss.py` checks values and
gradients against it.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@tf.function(jit_compile=True, reduce_retracing=True)
def _cross_entropy_value(labels, logits):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


@tf.function(jit_compile=True, reduce_retracing=True)
def _cross_entropy_gradient(labels, logits, upstream):
    # d loss_i / d logits_i = softmax(logits_i) - one_hot(label_i), times the upstream gradient
    # (the sample weight): one fused pass, where differentiating the value function would
    # materialize TF's backprop tensor and multiply it outside XLA (twice as slow, measured).
    probabilities = tf.nn.softmax(logits)
    return (probabilities - tf.one_hot(labels, tf.shape(logits)[-1], dtype=logits.dtype)) * upstream[..., None]


@tf.custom_gradient
def _sparse_softmax_cross_entropy(labels, logits):
    def gradient(upstream):
        return None, _cross_entropy_gradient(labels, logits, upstream)

    return _cross_entropy_value(labels, logits), gradient


@keras.saving.register_keras_serializable(package="eelbert_tf")
class MaskedLMLoss(keras.losses.Loss):
    """Per-prediction cross-entropy of integer targets against logits, XLA-compiled.

    Args:
        name: the loss name. Defaults to `"masked_lm_loss"`.
        **kwargs: other arguments of `keras.losses.Loss` (`reduction`, `dtype`).

    Call arguments: `y_true` int `[batch, masks]` token ids, `y_pred` float
    `[batch, masks, vocabulary]` logits, optional `sample_weight` `[batch, masks]`
    (0 on padded prediction slots).
    """

    def __init__(self, name="masked_lm_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return _sparse_softmax_cross_entropy(tf.cast(y_true, tf.int32), tf.cast(y_pred, tf.float32))
