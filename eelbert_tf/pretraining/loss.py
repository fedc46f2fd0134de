"""The masked-LM loss and accuracy of pretraining, made fast on CPU.

The loss is sparse softmax cross-entropy over the vocabulary, compiled with XLA.

Profiling a pretraining step (`bench/pretrain_throughput.py`, "Where a step goes") showed
TensorFlow's fused `sparse_softmax_cross_entropy_with_logits` kernel to be the largest single
cost on this CPU: for 64 x 20 predictions over 30,522 tokens it took longer than the logits
matmul. Compiled by XLA (the value, and the gradient as one fused softmax-minus-one-hot
pass) the loss with its gradient is about four times faster. The whole training step
cannot be XLA-compiled (`jit_compile=True` fails on the hash embedding's string ops), so
only the loss is. Targets outside the vocabulary are refused before XLA (where a gather
would clamp them silently).

The per-token values are Keras's `SparseCategoricalCrossentropy(from_logits=True)`'s;
`tests/pretraining/test_loss.py` checks values and gradients against it. The reduction is
the mean over real predictions (`"mean_with_sample_weight"`: the weighted sum divided by the
sum of the weights), as BERT's MLM loss. Keras's default divides by every prediction slot,
the padded ones too (each sequence has 20 slots for about 19 masked tokens), which logged
training losses about 5% below the per-token loss; the shipped presets' records hold such
values ("final_train_loss" without "train_loss_reduction"). Adam is invariant to that scale,
so the training itself is the same.

The accuracy is Keras's `SparseCategoricalAccuracy` without its guard against negative zeros
(Keras's `argmax` rewrites every -0.0 logit first: several passes over the 39M logits of a
batch, 59 ms against 11 ms for `tf.argmax` on one core, measured), which can only matter
when the top logit ties with another at exactly zero.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@tf.function(jit_compile=True)
def _cross_entropy_value(labels, logits):
    # Written out rather than `tf.nn.sparse_softmax_cross_entropy_with_logits`, which also
    # computes and materializes its gradient, and under XLA ran twice as slow when traced with
    # the unknown batch dimensions of Keras's train step (measured).
    log_normalizer = tf.reduce_logsumexp(logits, axis=-1)
    return log_normalizer - tf.gather(logits, labels, batch_dims=labels.shape.rank), log_normalizer


@tf.function(jit_compile=True)
def _cross_entropy_gradient(labels, logits, log_normalizer, upstream):
    # d loss / d logits = softmax(logits) - one_hot(label), times the upstream gradient (the
    # sample weight): one fused pass over the logits, reusing the forward pass's normalizer.
    probabilities = tf.exp(logits - log_normalizer[..., None])
    one_hot = tf.one_hot(labels, tf.shape(logits)[-1], dtype=logits.dtype)
    return (probabilities - one_hot) * upstream[..., None]


@tf.custom_gradient
def _sparse_softmax_cross_entropy(labels, logits):
    value, log_normalizer = _cross_entropy_value(labels, logits)

    def gradient(upstream):
        return None, _cross_entropy_gradient(labels, logits, log_normalizer, upstream)

    return value, gradient


@keras.saving.register_keras_serializable(package="eelbert_tf")
class MaskedLMLoss(keras.losses.Loss):
    """Per-prediction cross-entropy of integer targets against logits, XLA-compiled.

    Args:
        name: the loss name. Defaults to `"masked_lm_loss"`.
        reduction: Keras's loss reduction. Defaults to `"mean_with_sample_weight"`: the
            mean over the predictions whose sample weight is not 0.
        **kwargs: other arguments of `keras.losses.Loss` (`dtype`).

    Call arguments: `y_true` int `[batch, masks]` token ids, `y_pred` float
    `[batch, masks, vocabulary]` logits, optional `sample_weight` `[batch, masks]`
    (0 on padded prediction slots).
    """

    def __init__(self, name="masked_lm_loss", reduction="mean_with_sample_weight", **kwargs):
        super().__init__(name=name, reduction=reduction, **kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        context = tf.distribute.get_replica_context()
        if (context is None or context.num_replicas_in_sync == 1 or sample_weight is None
                or self.reduction != "mean_with_sample_weight"):
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        # Under a strategy with several replicas: the mean over the masked tokens of the *global*
        # batch, not the mean of each replica's mean (they differ when the replicas' shares hold
        # different numbers of masked tokens). This replica's weighted sum over the global weight:
        # the replicas' values (and gradients) sum to the global mean. Keras's own reduction would
        # return its local mean divided by the replica count (`scale_loss_for_distribution`), the
        # same convention.
        values = self.call(y_true, y_pred)
        weights = tf.cast(sample_weight, values.dtype)
        total_weight = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.stop_gradient(tf.reduce_sum(weights)))
        return tf.math.divide_no_nan(tf.reduce_sum(values * weights), total_weight)

    def call(self, y_true, y_pred):
        labels, logits = tf.cast(y_true, tf.int32), tf.cast(y_pred, tf.float32)
        vocabulary_size = tf.shape(logits)[-1]
        in_range = tf.reduce_all((labels >= 0) & (labels < vocabulary_size))
        tf.debugging.Assert(in_range, ["MaskedLMLoss: target token ids must lie in [0, vocabulary size =",
                                       vocabulary_size, "). Smallest and largest given:",
                                       tf.reduce_min(labels), tf.reduce_max(labels)])
        with tf.control_dependencies([in_range]):
            return _sparse_softmax_cross_entropy(labels, logits)


def _masked_lm_accuracy(y_true, y_pred):
    predicted = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
    return tf.cast(tf.equal(tf.cast(y_true, tf.int32), predicted), tf.float32)


@keras.saving.register_keras_serializable(package="eelbert_tf")
class MaskedLMAccuracy(keras.metrics.MeanMetricWrapper):
    """How often the top logit is the target token, weighted by the sample weights.

    Args:
        name: the metric name. Defaults to `"accuracy"`.
        dtype: the metric's dtype.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=_masked_lm_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
