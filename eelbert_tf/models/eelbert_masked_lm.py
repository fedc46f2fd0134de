import keras
import keras_hub

from eelbert_tf.layers.hash_tied_masked_lm_head import HashTiedMaskedLMHead
from eelbert_tf.models.eelbert_backbone import EelbertBackbone, bert_kernel_initializer

MLM_HEADS = ("tied", "separate", "hash_tied")


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertMaskedLM(keras.Model):
    """A backbone with a masked-language-model head, for pretraining.

    Args:
        backbone: an `EelbertBackbone`.
        vocabulary: list of token strings (needed by `"hash_tied"`).
        mlm_head: how logits over the vocabulary are made:
            - `"tied"`: BERT's, against the backbone's trainable table (`"table"`
              backbones only);
            - `"separate"`: keras-hub `MaskedLMHead` with its own trainable
              `hidden x vocabulary` matrix and bias, used only in pretraining
              and dropped afterwards (never part of the shipped size);
            - `"hash_tied"`: `HashTiedMaskedLMHead`, against the hash embeddings
              of the vocabulary, computed, not stored (hash backbones only).
            Defaults to `"tied"` for table backbones and `"separate"` for hash
            backbones: at an equal budget `"separate"` reached a far lower
            held-out MLM loss, `"hash_tied"` a higher top-1 accuracy and faster
            steps, and both tied downstream (BENCHMARKS.md, "MLM output layer
            for EELBERT").
        **kwargs: other keyword arguments passed to `keras.Model`.

    Inputs: the backbone's inputs plus `"mask_positions"` (int32 `[batch, masks]`).
    Output: logits `[batch, masks, vocabulary_size]`.
    """

    def __init__(self, backbone, vocabulary, mlm_head=None, **kwargs):
        if mlm_head is None:
            mlm_head = "tied" if backbone.embedding_type == "table" else "separate"
        if mlm_head not in MLM_HEADS:
            raise ValueError(f"`mlm_head` must be one of {MLM_HEADS}. Received: {mlm_head!r}")
        if (mlm_head == "tied") != (backbone.embedding_type == "table"):
            raise ValueError(
                f"mlm_head={mlm_head!r} does not fit a {backbone.embedding_type!r} backbone: "
                "'tied' needs a table, 'hash_tied' a hash embedding; 'separate' fits hash backbones."
            )
        vocabulary = list(vocabulary)
        backbone.check_vocabulary_size(len(vocabulary))
        # === Layers ===
        self.backbone = backbone
        if mlm_head == "hash_tied":
            self.mlm_head = HashTiedMaskedLMHead(
                vocabulary=vocabulary,
                embedding=backbone.token_embedding,
                kernel_initializer=bert_kernel_initializer(),
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )
        else:
            self.mlm_head = keras_hub.layers.MaskedLMHead(
                vocabulary_size=len(vocabulary),
                token_embedding=backbone.token_embedding if mlm_head == "tied" else None,
                intermediate_activation="gelu",
                kernel_initializer=bert_kernel_initializer(),
                layer_norm_epsilon=1e-12,
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )

        # === Functional Model ===
        inputs = dict(backbone.input)
        inputs["mask_positions"] = keras.Input(shape=(None,), dtype="int32", name="mask_positions")
        sequence_output = backbone({k: v for k, v in inputs.items() if k != "mask_positions"})[
            "sequence_output"
        ]
        logits = self.mlm_head(sequence_output, mask_positions=inputs["mask_positions"])
        super().__init__(inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.vocabulary = vocabulary
        self.mlm_head_type = mlm_head

    def head_parameter_count(self):
        return sum(int(w.numpy().size) for w in self.mlm_head.weights)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "vocabulary": self.vocabulary,
            "mlm_head": self.mlm_head_type,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)


def build_masked_lm(preset_or_config, vocabulary, mlm_head=None, **backbone_overrides):
    """A fresh `EelbertMaskedLM` from a preset name (or backbone config dict)."""
    if isinstance(preset_or_config, str):
        backbone = EelbertBackbone.from_preset(preset_or_config, **backbone_overrides)
    else:
        backbone = EelbertBackbone.from_config({**preset_or_config, **backbone_overrides})
    return EelbertMaskedLM(backbone, vocabulary, mlm_head=mlm_head)
