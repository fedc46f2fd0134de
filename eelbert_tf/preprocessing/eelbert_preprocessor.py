import keras
import keras_hub
import tensorflow as tf

from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertPreprocessor(keras.layers.Layer):
    """Texts to backbone inputs: `[CLS] a [SEP] (b [SEP])`, padded and masked.

    One sentence or a pair is tokenized (`EelbertTokenizer`), packed by
    keras-hub's `MultiSegmentPacker`, and the packed ids are turned back into
    token strings for the hash embedding. Padding positions hold id 0 and the
    string `"[PAD]"`, which the hash embedding maps to zeros.

    Truncation: a packed sequence has at most `sequence_length` tokens including
    `[CLS]` and the `[SEP]`s. Longer inputs are cut at the end, and for pairs
    `"round_robin"` takes one token from each segment in turn until the budget is
    spent (`"waterfall"` cuts the later segment first). Nothing else is dropped.

    Args:
        tokenizer: an `EelbertTokenizer`. Defaults to one over the default
            vocabulary.
        sequence_length: int. Defaults to `128`.
        truncate: `"round_robin"` or `"waterfall"`. Defaults to `"round_robin"`.
        **kwargs: other keyword arguments passed to `keras.layers.Layer`.

    Call arguments:
        x: a string tensor of texts, or a tuple of two for sentence pairs.
        y: optional labels, passed through.
        sample_weight: optional sample weights, passed through.

    Returns `x` as a dict: `"token_ids"` (int32), `"tokens"` (string),
    `"segment_ids"` (int32), `"padding_mask"` (int32, 1 for real tokens), each
    `[..., sequence_length]`; with `(x, y, sample_weight)` packed as Keras does.
    """

    def __init__(self, tokenizer=None, sequence_length=128, truncate="round_robin", **kwargs):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        self.tokenizer = tokenizer if tokenizer is not None else EelbertTokenizer()
        if int(sequence_length) < 3:
            raise ValueError(f"`sequence_length` must be at least 3. Received: {sequence_length!r}")
        self.sequence_length = int(sequence_length)
        self.truncate = truncate
        vocab = self.tokenizer
        self.packer = keras_hub.layers.MultiSegmentPacker(
            sequence_length=self.sequence_length,
            start_value=vocab.token_to_id("[CLS]"),
            end_value=vocab.token_to_id("[SEP]"),
            pad_value=vocab.token_to_id("[PAD]"),
            truncate=truncate,
            name="packer",
        )
        self.pad_token_id = vocab.token_to_id("[PAD]")
        self.built = True

    def call(self, x, y=None, sample_weight=None):
        segments = x if isinstance(x, (tuple, list)) else (x,)
        if not 1 <= len(segments) <= 2:
            raise ValueError(
                f"EelbertPreprocessor takes one text or a pair of texts. Received {len(segments)}."
            )
        token_ids = [self.tokenizer(s)["token_ids"] for s in segments]
        token_ids, segment_ids = self.packer(tuple(token_ids))
        features = {
            "token_ids": token_ids,
            "tokens": self.tokenizer.ids_to_tokens(token_ids),
            "segment_ids": segment_ids,
            "padding_mask": tf.cast(token_ids != self.pad_token_id, tf.int32),
        }
        return keras.utils.pack_x_y_sample_weight(features, y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
                "sequence_length": self.sequence_length,
                "truncate": self.truncate,
            }
        )
        return config
