import keras

from eelbert_tf.models.eelbert_backbone import bert_kernel_initializer


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertClassifier(keras.Model):
    """A backbone with a classification (or regression) head on the pooled `[CLS]` output.

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
