"""What `fit` of the package's keras-hub tasks (`EelbertTextClassifier`, `EelbertMaskedLM`) does unlike
keras-hub's: texts given as lists (or, for pairs, a tuple of two lists) are shuffled every epoch unless
`shuffle=False`. keras-hub batches lists in their order and warns that `shuffle` is ignored, so a file sorted
by label would train one label at a time. A `tf.data.Dataset` keeps its own order, as in Keras, without
Keras's warning; other inputs shuffle as in Keras unless `shuffle=False`."""

import numpy as np
import tensorflow as tf


def fit_arguments(x, y=None, sample_weight=None, batch_size=None, shuffle=None) -> dict:
    """The arguments to hand keras-hub's `fit` for these."""
    texts = x if isinstance(x, (list, np.ndarray)) else None
    if isinstance(x, tuple) and len(x) == 2 and all(isinstance(t, (list, np.ndarray)) for t in x):
        texts = x
    if texts is None or shuffle is False or (y is None and sample_weight is not None):
        if shuffle is None:
            shuffle = not isinstance(x, tf.data.Dataset)
        return dict(x=x, y=y, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight)
    size = len(texts[0]) if isinstance(texts, tuple) else len(texts)
    features = tuple(tf.constant(list(t), tf.string) for t in texts) if isinstance(texts, tuple) else \
        tf.constant(list(texts), tf.string)
    labelled = tuple(np.asarray(v) for v in (y, sample_weight) if v is not None)  # no weights without labels (above)
    dataset = tf.data.Dataset.from_tensor_slices((features, *labelled) if labelled else features)
    dataset = dataset.shuffle(size, reshuffle_each_iteration=True)
    return dict(x=dataset.batch(batch_size or 32), shuffle=False)  # shuffled above
