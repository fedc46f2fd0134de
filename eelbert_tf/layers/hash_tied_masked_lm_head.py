import keras
import tensorflow as tf
from keras import ops

from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding


@keras.saving.register_keras_serializable(package="eelbert_tf")
class HashTiedMaskedLMHead(keras.layers.Layer):
    """Masked-LM logits scored against the hash embeddings of the vocabulary.

    The EELBERT counterpart of BERT's tied output layer: the vocabulary's
    vectors are the dynamic hash embeddings of its token strings, computed once
    from the hash (they are a function of the strings, not parameters), so
    pretraining has no vocabulary-sized parameters at all. The encoder output
    at the masked positions passes a dense layer and a LayerNorm (as in BERT's
    head), then a dot product with every vocabulary vector. There is no output
    bias (it would be vocabulary-sized); one trainable scalar scales the logits.

    Args:
        vocabulary: list of token strings (the WordPiece vocabulary).
        embedding: the backbone's `DynamicHashEmbedding`, or its config, whose
            function embeds the vocabulary.
        intermediate_activation: activation of the dense layer. Defaults to `"gelu"`.
        layer_norm_epsilon: float. Defaults to `1e-12`.
        kernel_initializer: initializer of the dense layer.
        **kwargs: other keyword arguments passed to `keras.layers.Layer`.

    Call arguments:
        inputs: float `[batch, seq, hidden]` encoder output.
        mask_positions: int `[batch, masks]` positions to predict.

    Returns logits `[batch, masks, vocabulary_size]`.
    """

    def __init__(
        self,
        vocabulary,
        embedding,
        intermediate_activation="gelu",
        layer_norm_epsilon=1e-12,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(embedding, dict):
            embedding = DynamicHashEmbedding.from_config(embedding)
        self.vocabulary = list(vocabulary)
        self.embedding = embedding
        self.intermediate_activation = keras.activations.get(intermediate_activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.vocabulary_size = len(self.vocabulary)

    def build(self, inputs_shape, mask_positions_shape=None):
        hidden = self.embedding.output_dim
        self._intermediate_dense = keras.layers.Dense(
            hidden,
            activation=self.intermediate_activation,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="intermediate_dense",
        )
        self._intermediate_layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name="intermediate_layer_norm"
        )
        # One trainable temperature, starting at 1/sqrt(hidden) so that initial logits are
        # O(1) (the vectors are fixed; without it the first loss is about twice log(V)).
        self.logit_scale = self.add_weight(
            name="logit_scale",
            shape=(),
            initializer=keras.initializers.Constant(hidden**-0.5),
        )
        self._intermediate_dense.build((None, None, inputs_shape[-1]))
        self._intermediate_layer_norm.build((None, None, hidden))
        # [hidden, vocabulary]: a constant computed from the hash, never trained or saved.
        with tf.init_scope():
            vectors = self.embedding(tf.constant([self.vocabulary]))[0]
            self._vocabulary_matrix = tf.constant(tf.transpose(vectors).numpy())
        self.built = True

    def call(self, inputs, mask_positions):
        x = ops.take_along_axis(inputs, ops.expand_dims(mask_positions, -1), axis=1)
        x = self._intermediate_layer_norm(self._intermediate_dense(x))
        # Scaling the [masks, hidden] input rather than the [masks, vocabulary] logits is the
        # same product and keeps the scale's gradient off the vocabulary-sized tensor.
        x = x * ops.cast(self.logit_scale, x.dtype)
        return ops.matmul(x, ops.cast(self._vocabulary_matrix, x.dtype))

    def compute_output_shape(self, inputs_shape, mask_positions_shape):
        return tuple(mask_positions_shape) + (self.vocabulary_size,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": self.vocabulary,
                "embedding": self.embedding.get_config(),
                "intermediate_activation": keras.activations.serialize(self.intermediate_activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
