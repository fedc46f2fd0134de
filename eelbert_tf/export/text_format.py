"""`text`: a string in (one text, or a pair), scores out; the whole pipeline in one flatbuffer.

FastBertNormalizer -> FastWordpieceTokenizer (string tokens) -> ByteSplitter -> packing
-> hash (int32 builtins) -> encoder -> softmax. The tokenizer ops are TF Text's own
TFLite kernels; nothing needs Flex.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from eelbert_tf.export.core import HASH_WIDTHS, Format, scores_from_tokens, token_byte_width, uses_table
from eelbert_tf.export.packing import pack_rows, special_row
from eelbert_tf.preprocessing.word_tokenizer import text_bytes_to_token_bytes


class TextToTokenBytes(tf.Module):
    """The `EelbertTokenizer`'s normalizer and WordPiece, emitting token bytes `[n, W]` (int32, -1 padded)."""

    def __init__(self, vocabulary, max_bytes_per_word: int = 100, ids: bool = False):
        super().__init__()
        self.width = token_byte_width(vocabulary)
        self.ids = ids
        self.normalizer = tf_text.FastBertNormalizer(lower_case_nfd_strip_accents=True)
        self.wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=list(vocabulary), token_out_type=tf.int32 if ids else tf.string, unknown_token="[UNK]",
            no_pretokenization=False, support_detokenization=False, max_bytes_per_word=max_bytes_per_word)

    def __call__(self, text):
        tokens = self.wordpiece.tokenize(self.normalizer.normalize(text)).flat_values
        if self.ids:  # BERT's table: token ids as rows [n, 1]
            return tokens[:, None]
        ragged = tf_text.ByteSplitter().split(tokens)
        ragged = tf.RaggedTensor.from_row_splits(tf.cast(ragged.flat_values, tf.int32), ragged.row_splits)
        dense = ragged.to_tensor(default_value=-1)
        dense = tf.pad(dense, [[0, 0], [0, self.width - tf.shape(dense)[1]]], constant_values=-1)
        return tf.reshape(dense, [-1, self.width])


class WordsToTokenBytes(tf.Module):
    """The vocabulary-free `EelbertWordTokenizer` in a TFLite graph: TF Text's `ByteSplitter`, then builtin ops
    only (`text_bytes_to_token_bytes`); token bytes `[n, W]` (int32, -1 padded), at most `max_tokens` rows."""

    def __init__(self, max_word_bytes: int, width: int, max_tokens: int, from_bytes: bool = False):
        super().__init__()
        self.max_word_bytes, self.width, self.max_tokens, self.from_bytes = max_word_bytes, width, max_tokens, from_bytes

    def __call__(self, text):
        if self.from_bytes:  # int32 UTF-8 bytes [1, N], -1 padded (the `utf8` format)
            text_bytes = tf.reshape(text, [-1])
        else:
            text_bytes = tf.cast(tf_text.ByteSplitter().split(text).flat_values, tf.int32)
        rows, count = text_bytes_to_token_bytes(text_bytes, self.max_tokens, self.max_word_bytes)
        rows = tf.pad(rows[:count], [[0, 0], [0, self.width - self.max_word_bytes]], constant_values=-1)
        return tf.reshape(rows, [-1, self.width])


def make_tokenize(bundle, sequence_length: int, from_bytes: bool = False):
    """The in-graph tokenizer of a classifier: WordPiece (`TextToTokenBytes`) or words (`WordsToTokenBytes`)."""
    if bundle.tokenizer_kind == "words":
        # A segment never keeps more than sequence_length - 2 tokens ([CLS] and one [SEP] at least).
        return WordsToTokenBytes(bundle.max_word_bytes, bundle.token_byte_width, sequence_length - 2, from_bytes)
    return TextToTokenBytes(bundle.vocabulary, ids=uses_table(bundle))


def build(bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
    """`(fn, input_signature, representative)` of the text-in model."""
    table = uses_table(bundle)
    tokenize = make_tokenize(bundle, sequence_length)
    names = ["text", "text_pair"] if bundle.text_pair else ["text"]
    signature = [tf.TensorSpec([1], tf.string, name=n) for n in names]
    if table:
        cls, sep = (tf.constant([[bundle.vocabulary.index(t)]], tf.int32) for t in ("[CLS]", "[SEP]"))
    else:
        cls, sep = special_row("[CLS]", tokenize.width), special_row("[SEP]", tokenize.width)

    def serve(*texts):
        rows, segment_ids = pack_rows([tokenize(t) for t in texts], sequence_length, cls, sep)
        if table:
            return {"scores": scores_from_tokens(bundle, segment_ids, token_ids=rows[:, 0])}
        return {"scores": scores_from_tokens(bundle, segment_ids, token_bytes=rows, hash_widths=hash_widths)}

    def representative(examples):
        for example in examples:
            yield [np.array([t.encode("utf-8") if isinstance(t, str) else t]) for t in example[: len(names)]]

    return serve, signature, representative


class TextFormat(Format):
    name = "text"
    runtime = ("ai-edge-litert (or the TFLite Interpreter) with TF Text's TFLite kernels registered "
               "(tensorflow_text.tflite_registrar.SELECT_TFTEXT_OPS); no Flex")
    custom_ops = True

    def build(self, bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
        return build(bundle, sequence_length, hash_widths)


FORMAT = TextFormat()
