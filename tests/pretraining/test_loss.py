import keras
import numpy as np
import tensorflow as tf

from eelbert_tf.pretraining.loss import MaskedLMLoss


def _batch(seed=0, batch=3, masks=5, vocabulary=97):
    rng = np.random.default_rng(seed)
    logits = tf.constant(rng.normal(scale=4.0, size=(batch, masks, vocabulary)).astype("float32"))
    labels = tf.constant(rng.integers(0, vocabulary, size=(batch, masks)).astype("int32"))
    weights = tf.constant((rng.random((batch, masks)) > 0.3).astype("float32"))
    return labels, logits, weights


def test_equals_keras_sparse_categorical_crossentropy_per_masked_token():
    reference = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
    for seed in range(3):
        labels, logits, weights = _batch(seed)
        for w in (None, weights):
            np.testing.assert_allclose(
                float(MaskedLMLoss()(labels, logits, sample_weight=w)),
                float(reference(labels, logits, sample_weight=w)),
                rtol=1e-5,
            )
        # The mean over real predictions, independently: log-sum-exp minus the target logit.
        x = logits.numpy().astype("float64")
        top = x.max(-1, keepdims=True)
        per_token = (np.log(np.exp(x - top).sum(-1)) + top[..., 0]
                     - np.take_along_axis(x, labels.numpy()[..., None], -1)[..., 0])
        w = weights.numpy()
        np.testing.assert_allclose(float(MaskedLMLoss()(labels, logits, sample_weight=weights)),
                                   (per_token * w).sum() / w.sum(), rtol=1e-5)
    # All slots padded: zero, not NaN.
    labels, logits, weights = _batch(0)
    assert float(MaskedLMLoss()(labels, logits, sample_weight=tf.zeros_like(weights))) == 0.0


def test_gradient_equals_keras():
    labels, logits, weights = _batch(1)
    grads = []
    for loss in (MaskedLMLoss(),
                 keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            value = loss(labels, logits, sample_weight=weights)
        grads.append(tape.gradient(value, logits).numpy())
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-6)
    # Padded prediction slots (weight 0) get no gradient.
    assert np.all(grads[0][weights.numpy() == 0] == 0)


def test_trains_in_keras_fit_and_round_trips_its_config():
    labels, logits, weights = _batch(2)
    inputs = keras.Input(shape=(5, 97))
    model = keras.Model(inputs, keras.layers.Dense(97)(inputs))
    model.compile(optimizer="sgd", loss=MaskedLMLoss())
    history = model.fit(logits, labels, sample_weight=weights, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    restored = keras.losses.deserialize(keras.losses.serialize(MaskedLMLoss()))
    assert isinstance(restored, MaskedLMLoss) and restored.name == "masked_lm_loss"
    assert restored.reduction == "mean_with_sample_weight"


def test_accuracy_equals_keras_sparse_categorical_accuracy():
    from eelbert_tf.pretraining.loss import MaskedLMAccuracy

    for seed in range(3):
        labels, logits, weights = _batch(seed, vocabulary=7)  # small vocabulary: some hits
        ours, reference = MaskedLMAccuracy(), keras.metrics.SparseCategoricalAccuracy()
        ours.update_state(labels, logits, sample_weight=weights)
        reference.update_state(labels, logits, sample_weight=weights)
        assert 0 < float(ours.result()) < 1
        np.testing.assert_allclose(float(ours.result()), float(reference.result()), rtol=1e-6)
    restored = keras.metrics.deserialize(keras.metrics.serialize(MaskedLMAccuracy()))
    assert isinstance(restored, MaskedLMAccuracy) and restored.name == "accuracy"


def test_targets_outside_the_vocabulary_are_refused():
    import pytest

    labels, logits, weights = _batch(3)
    for bad in (97, -1):
        wrong = tf.tensor_scatter_nd_update(labels, [[0, 0]], [bad])
        with pytest.raises(tf.errors.InvalidArgumentError, match="must lie in"):
            MaskedLMLoss()(wrong, logits, sample_weight=weights)
        with pytest.raises(tf.errors.InvalidArgumentError, match="must lie in"):
            tf.function(lambda y: MaskedLMLoss()(y, logits, sample_weight=weights))(wrong)
