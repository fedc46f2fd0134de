"""The former classifier class, kept so that `.keras` files saved before `EelbertTextClassifier` still load:
`load_classifier` and `to_text_classifier` turn one into the keras-hub task with the same weights. New code
uses `EelbertTextClassifier`."""

import keras

from eelbert_tf.models.eelbert_backbone import bert_kernel_initializer


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertClassifier(keras.Model):
    """Former: a backbone with a classification (or regression) head on the pooled `[CLS]` output.

    Args:
        backbone: an `EelbertBackbone`.
        num_classes: int. Logits per example; `1` for regression (STS-B).
        dropout: float. Dropout before the output layer. Defaults to `0.1`.
        **kwargs: other keyword arguments passed to `keras.Model`.

    Inputs: the backbone's inputs. Output: logits `[batch, num_classes]`.
    """

    def __init__(self, backbone, num_classes, dropout=0.1, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.output_dense = keras.layers.Dense(
            num_classes, kernel_initializer=bert_kernel_initializer(), name="logits"
        )
        # === Functional Model ===
        inputs = dict(backbone.input)
        pooled = backbone(inputs)["pooled_output"]
        outputs = self.output_dense(self.output_dropout(pooled))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout

    def to_text_classifier(self, preprocessor=None):
        """The same model as an `EelbertTextClassifier` (same backbone object, the head's weights copied)."""
        from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier

        model = EelbertTextClassifier(self.backbone, self.num_classes, preprocessor=preprocessor,
                                      dropout=self.dropout)
        model.output_dense.set_weights(self.output_dense.get_weights())
        return model

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "num_classes": self.num_classes,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)
