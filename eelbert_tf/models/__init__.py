from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.models.presets import BACKBONE_PRESETS, backbone_config

__all__ = ["BACKBONE_PRESETS", "EelbertBackbone", "EelbertTextClassifier", "EelbertTextClassifierPreprocessor",
           "backbone_config"]
