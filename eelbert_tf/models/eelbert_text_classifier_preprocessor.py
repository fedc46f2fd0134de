"""`EelbertTextClassifierPreprocessor`: texts (or pairs) to `EelbertBackbone` inputs, as keras-hub's
`BertTextClassifierPreprocessor` does for BERT."""

import keras
import keras_hub
import tensorflow as tf

from eelbert_tf.layers.hash_ops import token_strings_to_bytes
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer

# keras-hub finds a preset's tokenizer class through its backbone (`Tokenizer.from_preset(folder)`); set here,
# where both are known, since the backbone's module does not import the tokenizers.
EelbertTokenizer.backbone_cls = EelbertBackbone


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertTextClassifierPreprocessor(keras_hub.models.TextClassifierPreprocessor):
    """Texts to backbone inputs: `[CLS] a [SEP] (b [SEP])`, padded and masked.

    A keras-hub `TextClassifierPreprocessor`: `EelbertTextClassifier` runs it on
    raw strings in `fit`, `evaluate` and `predict` (in `tf.data`), and
    `save_to_preset` / `from_preset` keep it with the tokenizer's assets.

    One sentence or a pair is tokenized (`EelbertTokenizer`), packed by
    keras-hub's `MultiSegmentPacker`, and the packed ids are turned back into
    token strings for the hash embedding. Padding positions hold id 0 and the
    string `"[PAD]"`, which the hash embedding maps to zeros.

    With the vocabulary-free `EelbertWordTokenizer` the token strings are packed
    directly and there are no `"token_ids"` (a hash backbone needs none; no text
    can become `"[PAD]"`, `"[CLS]"` or `"[SEP]"` under it, since `[` and `]` are
    punctuation tokens of their own).

    Truncation: a packed sequence has at most `sequence_length` tokens including
    `[CLS]` and the `[SEP]`s. Longer inputs are cut at the end, and for pairs
    `"round_robin"` takes one token from each segment in turn until the budget is
    spent (`"waterfall"` cuts the later segment first). Nothing else is dropped.

    Args:
        tokenizer: an `EelbertTokenizer` or an `EelbertWordTokenizer`. Defaults
            to an `EelbertTokenizer` over the default vocabulary.
        sequence_length: int. Defaults to `128`.
        truncate: `"round_robin"` or `"waterfall"`. Defaults to `"round_robin"`.
        **kwargs: other keyword arguments passed to `keras_hub.models.TextClassifierPreprocessor`.

    Call arguments:
        x: texts (a string tensor, a Python string or list of strings, or a
            NumPy array of strings), or a tuple of two of those for sentence
            pairs. A list is a batch, never a pair: pairs are tuples.
        y: optional labels, passed through.
        sample_weight: optional sample weights, passed through.

    Returns `x` as a dict: `"token_ids"` (int32; not with `EelbertWordTokenizer`), `"tokens"` (string; under
    the JAX and PyTorch backends, which have no strings, `"token_bytes"` instead: int32 UTF-8 bytes
    `[..., sequence_length, tokenizer.max_token_bytes]`, -1 padded),
    `"segment_ids"` (int32), `"padding_mask"` (int32, 1 for real tokens), each
    `[..., sequence_length]`; with `(x, y, sample_weight)` packed as Keras does.
    """

    backbone_cls = EelbertBackbone
    tokenizer_cls = EelbertTokenizer

    def __init__(self, tokenizer=None, sequence_length=128, truncate="round_robin", **kwargs):
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        tokenizer = tokenizer if tokenizer is not None else EelbertTokenizer()
        if int(sequence_length) < 3:
            raise ValueError(f"`sequence_length` must be at least 3. Received: {sequence_length!r}")
        super().__init__(tokenizer=tokenizer, sequence_length=int(sequence_length), truncate=truncate, **kwargs)
        self._build_packer()
        self.built = True

    def build(self, input_shape=None):
        # The packer is made in __init__ (keras-hub's base makes it here); a tokenizer whose assets were loaded
        # after construction (`from_preset`) gets a packer over its own special ids.
        self._build_packer()
        self.built = True

    def _build_packer(self):
        vocab = self.tokenizer
        self.vocabulary_free = bool(getattr(vocab, "vocabulary_free", False))
        if self.vocabulary_free:
            # EelbertWordTokenizer: the packer packs each token's index into the batch's flat token list,
            # with -1, -2, -3 for [CLS], [SEP], [PAD]; `_pack_strings` gathers the strings back.
            start, end, pad = -1, -2, -3
        else:
            start, end, pad = vocab.start_token_id, vocab.end_token_id, vocab.pad_token_id
        self.packer = keras_hub.layers.MultiSegmentPacker(
            sequence_length=self.sequence_length,
            start_value=start,
            end_value=end,
            pad_value=pad,
            truncate=self.truncate,
            name="packer",
        )
        self.pad_value = pad

    def __call__(self, x, y=None, sample_weight=None, **kwargs):
        # keras-hub's PreprocessingLayer.__call__ reads a lone 2-tuple as (x, y): a pair of texts given as one
        # argument would lose its second text. Here a tuple is always a pair, and labels are passed by name.
        x = tuple(_as_texts(s) for s in x) if isinstance(x, tuple) else _as_texts(x)
        extra = {k: v for k, v in (("y", y), ("sample_weight", sample_weight)) if v is not None}
        return keras.layers.Layer.__call__(self, x, **extra, **kwargs)

    def call(self, x, y=None, sample_weight=None):
        segments = x if isinstance(x, tuple) else (x,)
        if not 1 <= len(segments) <= 2:
            raise ValueError(
                f"{type(self).__name__} takes one text or a pair of texts. Received {len(segments)}."
            )
        for s in segments:
            if s.shape.rank is not None and s.shape.rank > 1:
                raise ValueError(f"{type(self).__name__} takes texts of rank 0 (one text) or 1 (a batch). "
                                 f"Received a string tensor of shape {s.shape}.")
        key = "tokens" if self.vocabulary_free else "token_ids"
        batched = segments[0].shape.rank == 1
        tokens = tuple(self.tokenizer(s)[key] for s in segments)
        if self.vocabulary_free:
            packed, segment_ids = self._pack_strings(tokens)
        else:
            packed, segment_ids = self.packer(tokens)
        if batched:  # a batch: keep [batch, sequence_length] even for an empty batch
            packed = tf.reshape(packed, [-1, self.sequence_length])
            segment_ids = tf.reshape(segment_ids, [-1, self.sequence_length])
        if self.vocabulary_free:
            features = {"tokens": packed}
        else:
            features = {"token_ids": packed, "tokens": self.tokenizer.ids_to_tokens(packed)}
        features["segment_ids"] = segment_ids
        features["padding_mask"] = tf.cast(packed != ("[PAD]" if self.vocabulary_free else self.pad_value), tf.int32)
        if keras.backend.backend() != "tensorflow":
            # JAX and PyTorch have no strings: the hash backbone reads the tokens' UTF-8 bytes (`token_bytes`,
            # -1 padded to the tokenizer's widest token; "[PAD]" hashes to zeros as the string does).
            features["token_bytes"] = token_strings_to_bytes(features.pop("tokens"), self.tokenizer.max_token_bytes)
        return keras.utils.pack_x_y_sample_weight(features, y, sample_weight)

    def _pack_strings(self, tokens):
        """Packs string tokens (ragged `[batch, None]`, or a vector for one text) with the id packer:
        keras-hub's packer hands string results back as Python lists in eager mode."""
        flats, indices, offset = [], [], 0
        for t in tokens:
            flat = t.flat_values if isinstance(t, tf.RaggedTensor) else t
            index = tf.range(tf.size(flat)) + offset
            indices.append(t.with_flat_values(index) if isinstance(t, tf.RaggedTensor) else index)
            flats.append(flat)
            offset += tf.size(flat)
        packed, segment_ids = self.packer(tuple(indices))
        table = tf.concat(flats + [tf.constant(["[CLS]", "[SEP]", "[PAD]"])], 0)
        return tf.gather(table, tf.where(packed < 0, offset - packed - 1, packed)), segment_ids


def _as_texts(x):
    """A string tensor from what a user passes as texts; anything else is refused by name."""
    if isinstance(x, (tf.Tensor, tf.RaggedTensor)) or keras.backend.is_keras_tensor(x):
        if x.dtype != tf.string:
            raise ValueError(f"The preprocessor takes texts (dtype string). Received a tensor of dtype {x.dtype.name}.")
        return x
    try:
        return tf.convert_to_tensor(x, dtype=tf.string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"The preprocessor takes texts: a string, a list of strings or a string tensor. "
                         f"Received {type(x).__name__}: {str(x)[:80]!r} ({e}).") from None
