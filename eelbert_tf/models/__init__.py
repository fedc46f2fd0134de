from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.presets import BACKBONE_PRESETS, backbone_config

__all__ = ["BACKBONE_PRESETS", "EelbertBackbone", "backbone_config"]
