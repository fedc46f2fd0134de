"""`EelbertMaskedLMPreprocessor`: texts (or pairs) to masked `EelbertBackbone` inputs and their targets, as
keras-hub's `BertMaskedLMPreprocessor` does for BERT."""

import keras
import keras_hub
import tensorflow as tf

from eelbert_tf.layers.hash_ops import token_strings_to_bytes
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.eelbert_text_classifier_preprocessor import _as_texts
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_tf.preprocessing.masking import (
    MASK_SELECTION_RATE,
    MASK_TOKEN_RATE,
    RANDOM_TOKEN_RATE,
    mask_selection_length as default_mask_selection_length,
)


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertMaskedLMPreprocessor(keras_hub.models.MaskedLMPreprocessor):
    """Texts to masked backbone inputs `x`, the masked tokens' ids `y` and their weights.

    A keras-hub `MaskedLMPreprocessor`: `EelbertMaskedLM` runs it on raw strings in
    `fit` and `evaluate` (in `tf.data`), masking anew at every pass. One sentence or
    a pair is tokenized (`EelbertTokenizer`), packed `[CLS] a [SEP] (b [SEP])` by
    keras-hub's `MultiSegmentPacker`, and masked by keras-hub's
    `MaskedLMMaskGenerator`; the masked ids are then turned into token strings for the
    hash embedding, so a masked position reads the string `"[MASK]"` (or the random
    token that replaced it). The masking rule is the one `eelbert pretrain` draws
    from a seeded generator (`eelbert_tf.preprocessing.masking.mask_rows`): every
    token but `[PAD]`, `[CLS]` and `[SEP]` is selectable.

    Masked-LM targets are WordPiece ids: the vocabulary-free `EelbertWordTokenizer`
    has none, and is refused (`eelbert pretrain --tokenizer words` pretrains words
    backbones against a target vocabulary of their own).

    Args:
        tokenizer: an `EelbertTokenizer`. Defaults to one over the default vocabulary.
        sequence_length: int. Defaults to `128`.
        truncate: `"round_robin"` or `"waterfall"`, as in `EelbertTextClassifierPreprocessor`.
        mask_selection_rate: float. The probability that a token is selected. Defaults to `0.15`.
        mask_selection_length: int. Selected positions kept per sequence. Defaults to 15% of
            `sequence_length`, rounded up (`20` at 128), as `eelbert pretrain` does.
        mask_token_rate: float. The probability that a selected token becomes `[MASK]`. Defaults to `0.8`.
        random_token_rate: float. The probability that it becomes a random token. Defaults to `0.1`.
        **kwargs: other keyword arguments passed to `keras_hub.models.MaskedLMPreprocessor`.

    Call arguments:
        x: texts, or a tuple of two of those for sentence pairs (as `EelbertTextClassifierPreprocessor`).
        y, sample_weight: must be `None`: the layer makes the targets and their weights.

    Returns `(x, y, sample_weight)`: `x` the dict of `EelbertTextClassifierPreprocessor` (`"token_ids"`,
    `"tokens"` or, under JAX and PyTorch, `"token_bytes"`, `"segment_ids"`, `"padding_mask"`) plus
    `"mask_positions"` (int32 `[..., mask_selection_length]`); `y` the original ids at those positions;
    `sample_weight` 1.0 where a position was selected, 0.0 where it pads.
    """

    backbone_cls = EelbertBackbone
    tokenizer_cls = EelbertTokenizer

    def __init__(self, tokenizer=None, sequence_length=128, truncate="round_robin",
                 mask_selection_rate=MASK_SELECTION_RATE, mask_selection_length=None,
                 mask_token_rate=MASK_TOKEN_RATE, random_token_rate=RANDOM_TOKEN_RATE, **kwargs):
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        tokenizer = tokenizer if tokenizer is not None else EelbertTokenizer()
        if getattr(tokenizer, "vocabulary_free", False):
            raise ValueError(
                f"{type(self).__name__} masks WordPiece ids, and {type(tokenizer).__name__} has no vocabulary: "
                "pretrain a words backbone with `eelbert pretrain --tokenizer words` (its own target vocabulary)."
            )
        if int(sequence_length) < 3:
            raise ValueError(f"`sequence_length` must be at least 3. Received: {sequence_length!r}")
        if mask_selection_length is None:
            mask_selection_length = default_mask_selection_length(int(sequence_length))
        super().__init__(tokenizer=tokenizer, sequence_length=int(sequence_length), truncate=truncate,
                         mask_selection_rate=mask_selection_rate, mask_selection_length=int(mask_selection_length),
                         mask_token_rate=mask_token_rate, random_token_rate=random_token_rate, **kwargs)
        self.build(None)

    def build(self, input_shape=None):
        # Made here and again when `from_preset` loads the tokenizer's assets after construction.
        t = self.tokenizer
        self.packer = keras_hub.layers.MultiSegmentPacker(
            sequence_length=self.sequence_length, start_value=t.start_token_id, end_value=t.end_token_id,
            pad_value=t.pad_token_id, truncate=self.truncate, name="packer",
        )
        self.masker = keras_hub.layers.MaskedLMMaskGenerator(
            vocabulary_size=t.vocabulary_size(), mask_selection_rate=self.mask_selection_rate,
            mask_selection_length=self.mask_selection_length, mask_token_id=t.mask_token_id,
            mask_token_rate=self.mask_token_rate, random_token_rate=self.random_token_rate,
            unselectable_token_ids=[t.pad_token_id, t.start_token_id, t.end_token_id], name="masker",
        )
        self.built = True

    def __call__(self, x, y=None, sample_weight=None, **kwargs):
        # As EelbertTextClassifierPreprocessor: a tuple is always a pair of texts, never (x, y).
        if y is not None or sample_weight is not None:
            raise ValueError(f"{type(self).__name__} makes its own targets: call it with texts only "
                             "(received `y` or `sample_weight`).")
        x = tuple(_as_texts(s) for s in x) if isinstance(x, tuple) else _as_texts(x)
        return keras.layers.Layer.__call__(self, x, **kwargs)

    def call(self, x, y=None, sample_weight=None):
        segments = x if isinstance(x, tuple) else (x,)
        if not 1 <= len(segments) <= 2:
            raise ValueError(f"{type(self).__name__} takes one text or a pair of texts. Received {len(segments)}.")
        for s in segments:
            if s.shape.rank is not None and s.shape.rank > 1:
                raise ValueError(f"{type(self).__name__} takes texts of rank 0 (one text) or 1 (a batch). "
                                 f"Received a string tensor of shape {s.shape}.")
        batched = segments[0].shape.rank == 1
        token_ids, segment_ids = self.packer(tuple(self.tokenizer(s)["token_ids"] for s in segments))
        if batched:  # keep [batch, sequence_length] even for an empty batch
            token_ids = tf.reshape(token_ids, [-1, self.sequence_length])
            segment_ids = tf.reshape(segment_ids, [-1, self.sequence_length])
        padding_mask = tf.cast(token_ids != self.tokenizer.pad_token_id, tf.int32)
        masked = self.masker(token_ids)
        masked_ids = tf.cast(masked["token_ids"], tf.int32)
        features = {
            "token_ids": masked_ids,
            "tokens": self.tokenizer.ids_to_tokens(masked_ids),
            "segment_ids": segment_ids,
            "padding_mask": padding_mask,
            "mask_positions": tf.cast(masked["mask_positions"], tf.int32),
        }
        if keras.backend.backend() != "tensorflow":  # as EelbertTextClassifierPreprocessor
            features["token_bytes"] = token_strings_to_bytes(features.pop("tokens"), self.tokenizer.max_token_bytes)
        y = tf.cast(masked["mask_ids"], tf.int32)
        return features, y, tf.cast(masked["mask_weights"], tf.float32)

