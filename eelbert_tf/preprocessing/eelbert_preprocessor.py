"""The former home of the classifier preprocessor: `eelbert_tf.models.eelbert_text_classifier_preprocessor`."""

from eelbert_tf.models.eelbert_text_classifier_preprocessor import (  # noqa: F401
    EelbertPreprocessor,
    EelbertTextClassifierPreprocessor,
)
