import keras
import tensorflow as tf

from eelbert_lite import hashing as spec
from eelbert_tf.layers import hash_ops


@keras.saving.register_keras_serializable(package="eelbert_tf")
class DynamicHashEmbedding(keras.layers.Layer):
    """EELBERT's dynamic embedding: token strings to vectors, computed, never stored.

    Each token's UTF-8 bytes are framed by word-boundary marks, cut into
    character (byte) n-grams, each n-gram is hashed to a deterministic
    pseudo-random vector with values in [-1, 1], and the vectors are
    mean-pooled ("n-gram pooling hash"; Cohn et al., 2023). The layer has no
    weights and no vocabulary-sized state. The function it computes is fixed by
    `docs/hash_spec.md` and equals `eelbert_lite.hashing.embed_tokens` bit for bit.

    Args:
        output_dim: int. The embedding width.
        hash_type: `"ngram_pooling"` (EELBERT), or `"whole_token"`: one
            pseudo-random vector per whole token (the paper's random-hash
            ablation). Defaults to `"ngram_pooling"`.
        ngram_orders: tuple of ints. The n-gram orders pooled. Defaults to `(3,)`.
        seed: int in [0, 2**32). Selects the per-dimension coefficients.
            Defaults to `0`.
        deduplicate: bool. Embed each distinct string of a batch once and
            gather. Same result, faster on text. Defaults to `True`.
        **kwargs: other keyword arguments passed to `keras.layers.Layer`.

    Call arguments:
        inputs: a string tensor of tokens, dense `[batch, seq]` (padded with
            `""` or `"[PAD]"`, which embed to zeros) or ragged; or the tokens'
            int32 UTF-8 bytes `[batch, seq, max_bytes]`, padded with -1
            (`hash_ops.token_strings_to_bytes`). Tokens are hashed byte for
            byte: normalize them first (the BERT uncased tokenizer lowercases
            and strips accents).

    Returns a float32 tensor `[batch, seq, output_dim]` (ragged in, ragged out).
    Strings are TensorFlow's (the training path, TF Text's byte splitter). Bytes go
    through `embed_bytes()`, written in `keras.ops`: it runs under every Keras
    backend (JAX, PyTorch, TensorFlow) and, under TensorFlow, converts to TFLite
    builtin ops only. Both give the same vectors bit for bit.

    Example:
    >>> layer = DynamicHashEmbedding(output_dim=8)
    >>> layer(tf.constant([["hello", "##ing", ""]])).shape
    TensorShape([1, 3, 8])

    Reference:
        Cohn, Agarwal, Gupta, Patwardhan. "EELBERT: Tiny Models through Dynamic
        Embeddings." EMNLP 2023 Industry Track. arXiv:2310.20144.
    """

    def __init__(
        self,
        output_dim,
        hash_type="ngram_pooling",
        ngram_orders=(3,),
        seed=0,
        deduplicate=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.ngram_orders = spec.check_hash_args(output_dim, hash_type, ngram_orders, seed)
        self.output_dim = int(output_dim)
        self.hash_type = hash_type
        self.seed = int(seed)
        self.deduplicate = bool(deduplicate)
        self.supports_masking = False
        self.built = True

    def call(self, inputs):
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(self._embed_flat(inputs.flat_values))
        if _is_string(inputs):
            inputs = tf.convert_to_tensor(inputs)
            flat = self._embed_flat(tf.reshape(inputs, [-1]))
            outputs = tf.reshape(flat, tf.concat([tf.shape(inputs), [self.output_dim]], 0))
            outputs.set_shape(inputs.shape.concatenate([self.output_dim]))
            return tf.cast(outputs, self.compute_dtype)
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if dtype not in ("int32", "int64"):
            raise ValueError(
                "DynamicHashEmbedding takes a string tensor of tokens, or their UTF-8 bytes as int32 "
                f"`[..., max_bytes]` padded with -1. Received: dtype={dtype}"
            )
        return self.embed_bytes(keras.ops.cast(inputs, "int32"))

    def _embed_flat(self, tokens):
        embed = lambda t: hash_ops.embed_token_strings(  # noqa: E731
            t, self.output_dim, self.hash_type, self.ngram_orders, self.seed
        )
        if not self.deduplicate:
            return embed(tokens)
        unique, index = tf.unique(tokens)
        return tf.gather(embed(unique), index)

    def embed_bytes(self, token_bytes):
        """Embeds int32 UTF-8 bytes `[..., max_bytes]` (padded with -1, `max_bytes` static): `[..., output_dim]`.
        Any Keras backend."""
        ops = keras.ops
        token_bytes = ops.convert_to_tensor(token_bytes)
        max_bytes = token_bytes.shape[-1]
        if keras.backend.backend() == "tensorflow":  # keep the static shape the TFLite exports rely on
            flat = hash_ops.embed_token_bytes(
                tf.reshape(token_bytes, [-1, max_bytes if max_bytes is not None else -1]),
                self.output_dim, self.hash_type, self.ngram_orders, self.seed,
            )
            outputs = tf.reshape(flat, tf.concat([tf.shape(token_bytes)[:-1], [self.output_dim]], 0))
            outputs.set_shape(token_bytes.shape[:-1].concatenate([self.output_dim]))
            return tf.cast(outputs, self.compute_dtype)
        flat = hash_ops.embed_token_bytes(
            ops.reshape(token_bytes, (-1, max_bytes)), self.output_dim, self.hash_type, self.ngram_orders, self.seed
        )
        return ops.cast(ops.reshape(flat, (*token_bytes.shape[:-1], self.output_dim)), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs):
        shape = tuple(inputs.shape)
        if keras.backend.standardize_dtype(inputs.dtype) != "string":  # bytes [..., max_bytes]
            shape = shape[:-1]
        return keras.KerasTensor(shape + (self.output_dim,), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_dim": self.output_dim,
                "hash_type": self.hash_type,
                "ngram_orders": list(self.ngram_orders),
                "seed": self.seed,
                "deduplicate": self.deduplicate,
            }
        )
        return config


def _is_string(x) -> bool:
    """Whether `x` holds strings (a TensorFlow string tensor, or Python / NumPy strings)."""
    if isinstance(x, tf.Tensor):
        return x.dtype == tf.string
    if isinstance(x, (str, bytes, list, tuple)):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", None) in ("U", "S", "O")
