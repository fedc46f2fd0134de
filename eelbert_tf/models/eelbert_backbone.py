"""`EelbertBackbone`: keras-hub's `Backbone` with the dynamic hash embedding (or BERT's table) in front of
BERT's encoder. One job, over 350 lines: the class, its presets' registration with keras-hub."""

import keras
import keras_hub
import numpy as np
from keras_hub.src.utils.preset_utils import register_presets  # keras-hub's own models register through it

from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
from eelbert_tf.models.preset_folder import check_preset_folder
from eelbert_tf.models.presets import BACKBONE_PRESETS, backbone_config, keras_hub_presets, pretrained_presets
from eelbert_tf.models.pretrained import load_pretrained_backbone

EMBEDDING_TYPES = ("ngram_hash", "random_hash", "table")


def token_input_name(embedding_type):
    """The backbone's token input: `"token_ids"` (BERT's table), `"tokens"` (strings, for the hash embeddings
    under TensorFlow), or `"token_bytes"` (their int32 UTF-8 bytes `[batch, seq, max_bytes]`, -1 padded, for the
    hash embeddings under JAX and PyTorch, which have no string tensors)."""
    if embedding_type == "table":
        return "token_ids"
    return "tokens" if keras.backend.backend() == "tensorflow" else "token_bytes"


def bert_kernel_initializer(stddev=0.02):
    return keras.initializers.TruncatedNormal(stddev=stddev)


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertBackbone(keras_hub.models.Backbone):
    """A BERT encoder whose token embedding is injected: EELBERT's or BERT's.

    A keras-hub `Backbone`: `from_preset` reads a shipped preset name, an
    architecture name, a local preset folder written by `save_to_preset`, or a
    `kaggle://` / `hf://` handle (keras-hub's loader), and the text tasks
    (`EelbertTextClassifier`, `EelbertMaskedLM`) wrap it.

    Token embedding + trainable position embedding + segment embedding, summed,
    layer-normalized and dropped out, then `num_layers` keras-hub
    `TransformerEncoder` blocks (post-norm, GELU, as BERT), and a tanh pooler on
    `[CLS]`. The token embedding is one of:

    - `"ngram_hash"` (EELBERT): `DynamicHashEmbedding` over the token strings,
      n-gram pooling. No parameters.
    - `"random_hash"`: `DynamicHashEmbedding` with one pseudo-random vector per
      whole token (the paper's hash ablation). No parameters.
    - `"table"` (BERT): a trainable `vocabulary_size x hidden_dim` table
      (keras-hub `ReversibleEmbedding`) over token ids.

    Args:
        num_layers: int. Transformer blocks.
        num_heads: int. Attention heads per block.
        hidden_dim: int. Width of the embeddings and the encoder.
        intermediate_dim: int. Width of each block's feed-forward layer.
        embedding_type: one of `"ngram_hash"`, `"random_hash"`, `"table"`.
            Defaults to `"ngram_hash"`.
        vocabulary_size: int. Used by `"table"` only (and by the pretraining
            head). Defaults to `30522`.
        ngram_orders: tuple of ints, for `"ngram_hash"`. Defaults to `(3,)`.
        hash_seed: int, for the hash embeddings. Defaults to `0`.
        dropout: float. Defaults to `0.1`.
        max_sequence_length: int. Rows of the position embedding. Defaults to `512`.
        num_segments: int. Defaults to `2`.
        activation: the feed-forward activation. Defaults to `"gelu"`.
        normalize_first: bool. `False` (BERT, and every shipped preset): LayerNorm after
            each residual sum. `True`: pre-LN blocks (keras-hub `TransformerEncoder`'s
            `normalize_first`) and one LayerNorm after the last block. Defaults to `False`.
        token_embedding_scale: float. The token vectors are multiplied by it before the
            position and segment embeddings are added. A hash vector's values have a standard
            deviation of about 0.29 (n-gram pooling; 0.58 for the random hash), 15 to 30 times
            the 0.02 of BERT's initial position embeddings, so at 1.0 the position signal is
            drowned at the start of pretraining; about 0.07 makes the two alike, as a BERT
            table's rows and positions are (BENCHMARKS.md, "Pretraining recipe pilots").
            Defaults to `1.0` (the shipped presets so far).
        position_embedding_stddev: float. The standard deviation of the initial position and
            segment embeddings (truncated normal). BERT starts them, like its token table, at
            0.02; a hash model's token vectors are fixed at a spread of about 0.29, so at 0.02
            its position signal starts 15 times weaker than the tokens' and has to grow through
            training; 0.29 starts the two alike, as in BERT. Only the initial values change.
            Defaults to `0.02`.
        dtype: the dtype policy of the model's layers.
        **kwargs: other keyword arguments passed to `keras_hub.models.Backbone`.

    Inputs (a dict): `"tokens"` (string `[batch, seq]`, for the hash embeddings
    under TensorFlow; under JAX and PyTorch, which have no strings, `"token_bytes"`:
    their int32 UTF-8 bytes `[batch, seq, max_bytes]`, -1 padded, hashed in
    `keras.ops` to the same vectors) or `"token_ids"` (int32, for `"table"`), plus
    `"segment_ids"` and `"padding_mask"` (int32, 1 for real tokens).
    `EelbertTextClassifierPreprocessor` makes them for the running backend.

    Outputs (a dict): `"sequence_output"` `[batch, seq, hidden_dim]` and
    `"pooled_output"` `[batch, hidden_dim]`.

    Example:
    >>> backbone = EelbertBackbone.from_preset("eelbert_uno")
    >>> preprocessor = EelbertTextClassifierPreprocessor(sequence_length=16)
    >>> backbone(preprocessor(tf.constant(["a tiny model"])))["pooled_output"].shape
    TensorShape([1, 128])

    Reference:
        Cohn et al., "EELBERT: Tiny Models through Dynamic Embeddings", EMNLP 2023.
        Devlin et al., "BERT", NAACL 2019.
    """

    def __init__(
        self,
        num_layers,
        num_heads,
        hidden_dim,
        intermediate_dim,
        embedding_type="ngram_hash",
        vocabulary_size=30522,
        ngram_orders=(3,),
        hash_seed=0,
        dropout=0.1,
        max_sequence_length=512,
        num_segments=2,
        activation="gelu",
        normalize_first=False,
        token_embedding_scale=1.0,
        position_embedding_stddev=0.02,
        dtype=None,
        **kwargs,
    ):
        if embedding_type not in EMBEDDING_TYPES:
            raise ValueError(
                f"`embedding_type` must be one of {EMBEDDING_TYPES}. Received: {embedding_type!r}"
            )
        if hidden_dim % num_heads:
            raise ValueError(
                f"`hidden_dim` ({hidden_dim}) must be divisible by `num_heads` ({num_heads})."
            )
        self._token_scale = float(token_embedding_scale)
        # === Layers ===
        if embedding_type == "table":
            self.token_embedding = keras_hub.layers.ReversibleEmbedding(
                input_dim=vocabulary_size,
                output_dim=hidden_dim,
                embeddings_initializer=bert_kernel_initializer(),
                dtype=dtype,
                name="token_embedding",
            )
        else:
            self.token_embedding = DynamicHashEmbedding(
                output_dim=hidden_dim,
                hash_type="ngram_pooling" if embedding_type == "ngram_hash" else "whole_token",
                ngram_orders=ngram_orders,
                seed=hash_seed,
                dtype=dtype,
                name="token_embedding",
            )
        self.position_embedding = keras_hub.layers.PositionEmbedding(
            initializer=bert_kernel_initializer(position_embedding_stddev),
            sequence_length=max_sequence_length,
            dtype=dtype,
            name="position_embedding",
        )
        self.segment_embedding = keras.layers.Embedding(
            input_dim=num_segments,
            output_dim=hidden_dim,
            embeddings_initializer=bert_kernel_initializer(position_embedding_stddev),
            dtype=dtype,
            name="segment_embedding",
        )
        self.embeddings_add = keras.layers.Add(dtype=dtype, name="embeddings_add")
        self.embeddings_layer_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, dtype=dtype, name="embeddings_layer_norm"
        )
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.transformer_layers = [
            keras_hub.layers.TransformerEncoder(
                num_heads=num_heads,
                intermediate_dim=intermediate_dim,
                activation=activation,
                dropout=dropout,
                layer_norm_epsilon=1e-12,
                kernel_initializer=bert_kernel_initializer(),
                normalize_first=normalize_first,
                dtype=dtype,
                name=f"transformer_layer_{i}",
            )
            for i in range(num_layers)
        ]
        # Pre-LN blocks leave the residual stream unnormalized: one LayerNorm after the stack.
        self.final_layer_norm = (
            keras.layers.LayerNormalization(epsilon=1e-12, dtype=dtype, name="final_layer_norm")
            if normalize_first
            else None
        )
        self.pooled_dense = keras.layers.Dense(
            hidden_dim,
            kernel_initializer=bert_kernel_initializer(),
            activation="tanh",
            dtype=dtype,
            name="pooled_dense",
        )

        # === Functional Model ===
        if embedding_type == "table":
            token_input = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        elif keras.backend.backend() == "tensorflow":
            token_input = keras.Input(shape=(None,), dtype="string", name="tokens")
        else:  # JAX and PyTorch have no strings: the tokens' UTF-8 bytes, hashed in keras.ops
            token_input = keras.Input(shape=(None, None), dtype="int32", name="token_bytes")
        segment_id_input = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
        padding_mask_input = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
        outputs = self.encode(self.token_embedding(token_input), segment_id_input, padding_mask_input)
        super().__init__(
            inputs={
                token_input.name: token_input,
                "segment_ids": segment_id_input,
                "padding_mask": padding_mask_input,
            },
            outputs=outputs,
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.embedding_type = embedding_type
        self.vocabulary_size = vocabulary_size
        self.ngram_orders = tuple(ngram_orders)
        self.hash_seed = hash_seed
        self.dropout = dropout
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.activation = activation
        self.normalize_first = normalize_first
        self.token_embedding_scale = float(token_embedding_scale)
        self.position_embedding_stddev = float(position_embedding_stddev)

    @property
    def token_input_name(self):
        return token_input_name(self.embedding_type)

    def call(self, inputs, training=None, mask=None, **kwargs):
        # The preprocessor's dict carries what every backbone may read ("token_ids" and "tokens" under
        # TensorFlow); Keras would map a dict with extra keys onto the inputs by position. Each backbone takes its own.
        if isinstance(inputs, dict):
            inputs = {k: v for k, v in inputs.items() if k in self.input}
            if isinstance(mask, dict):
                mask = {k: v for k, v in mask.items() if k in self.input}
        return super().call(inputs, training=training, mask=mask, **kwargs)

    def check_vocabulary_size(self, size, what="The vocabulary"):
        """Raises `ValueError` unless a vocabulary of `size` tokens is the one this model was built for.

        Token ids index the table (BERT) and the MLM output layer (all models): a vocabulary of
        another size would give wrong tokens silently, or fail deep inside a kernel.
        """
        if size != self.vocabulary_size:
            raise ValueError(
                f"{what} has {size:,} tokens but the model was built for {self.vocabulary_size:,}: "
                "give the vocabulary the model was pretrained with."
            )

    def embed(self, token_input, segment_ids):
        """Token + position + segment embeddings, normalized and dropped out."""
        return self.embed_vectors(self.token_embedding(token_input), segment_ids)

    def embed_vectors(self, token_vectors, segment_ids):
        """Position and segment embeddings added to given token vectors, normalized and dropped out."""
        positions = self.position_embedding(token_vectors)
        segments = self.segment_embedding(segment_ids)
        if self._token_scale != 1.0:
            token_vectors = token_vectors * self._token_scale
        x = self.embeddings_add((token_vectors, positions, segments))
        x = self.embeddings_layer_norm(x)
        return self.embeddings_dropout(x)

    def encode(self, token_vectors, segment_ids, padding_mask, return_intermediates=False):
        """The backbone from token vectors on: `{"sequence_output", "pooled_output"}`.

        The functional model calls this on `token_embedding(tokens)`; exports call it on
        vectors computed elsewhere (`DynamicHashEmbedding.embed_bytes`, or host code on a
        microcontroller), so every format runs the same layers with the same weights.

        `return_intermediates=True` adds `"hidden_states"` (the embeddings' output, then each
        block's: `num_layers + 1` tensors `[batch, seq, hidden_dim]`) and `"attention_scores"`
        (each block's attention probabilities, `[batch, heads, seq, seq]`): the targets and
        outputs of distillation (`pretraining/distillation.py`).
        """
        x = self.embed_vectors(token_vectors, segment_ids)
        hidden_states, attention_scores = [x], []
        for transformer_layer in self.transformer_layers:
            if return_intermediates:
                x, scores = transformer_layer(x, padding_mask=padding_mask, return_attention_scores=True)
                attention_scores.append(scores)
            else:
                x = transformer_layer(x, padding_mask=padding_mask)
            hidden_states.append(x)
        if self.final_layer_norm is not None:
            x = self.final_layer_norm(x)
        outputs = {"sequence_output": x, "pooled_output": self.pooled_dense(x[:, 0, :])}
        if return_intermediates:
            outputs["hidden_states"] = hidden_states
            outputs["attention_scores"] = attention_scores
        return outputs

    def parameter_counts(self):
        """Parameters split as `embedding` / `encoder` / `pooler`, and `total`."""
        count = lambda layers: sum(int(np.prod(w.shape)) for l in layers for w in l.weights)  # noqa: E731
        embedding = count(
            [
                self.token_embedding,
                self.position_embedding,
                self.segment_embedding,
                self.embeddings_layer_norm,
            ]
        )
        encoder = count(self.transformer_layers + ([self.final_layer_norm] if self.final_layer_norm else []))
        pooler = count([self.pooled_dense])
        return {
            "embedding": embedding,
            "token_embedding": count([self.token_embedding]),
            "encoder": encoder,
            "pooler": pooler,
            "total": embedding + encoder + pooler,
        }

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A backbone from a preset.

        - an architecture preset (`eelbert_uno`, `bert_tiny`, ...: see `eelbert_tf.models.presets`): freshly
          initialized weights;
        - a shipped pretrained preset (`eelbert_uno_en`, ...: see `eelbert_tf.models.pretrained`): the
          pretrained weights, read offline from the installed package;
        - anything else keras-hub's loader reads: a local preset folder written by `save_to_preset`, or a
          `kaggle://` or `hf://` handle.
        """
        if isinstance(preset, str) and preset in BACKBONE_PRESETS:
            return cls(**{**backbone_config(preset), **kwargs})
        if isinstance(preset, str) and preset in pretrained_presets():
            backbone = load_pretrained_backbone(preset, **kwargs)
            return backbone if load_weights else cls.from_config(backbone.get_config())
        check_preset_folder(preset)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "embedding_type": self.embedding_type,
            "vocabulary_size": self.vocabulary_size,
            "ngram_orders": list(self.ngram_orders),
            "hash_seed": self.hash_seed,
            "dropout": self.dropout,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
            "activation": self.activation,
            "normalize_first": self.normalize_first,
            **({"token_embedding_scale": self.token_embedding_scale} if self.token_embedding_scale != 1.0 else {}),
            **({"position_embedding_stddev": self.position_embedding_stddev}
               if self.position_embedding_stddev != 0.02 else {}),
        }


# The shipped presets by name in keras-hub's registry, so that after `import eelbert_tf`
# `keras_hub.models.Backbone.from_preset("eelbert_uno_en")` and `TextClassifier.from_preset(..., num_classes=2)`
# find them offline, and `EelbertBackbone.presets` lists them with their metadata.
register_presets(keras_hub_presets(), EelbertBackbone)
