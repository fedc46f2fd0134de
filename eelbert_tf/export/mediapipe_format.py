"""`mediapipe`: WordPiece ids, mask and segment ids in (int32 `[1, L]`, the tensors MediaPipe Tasks'
BERT tokenizer fills), probabilities out, builtin ops only, with TextClassifier metadata.

Each id is re-spelled in the graph from a constant byte table of the vocabulary (all tokens'
UTF-8 bytes end to end, uint8, and their start offsets, int32), then hashed by the int32
bytes path. The metadata (BERT tokenizer with the vocabulary, label file) is written with
MediaPipe's own metadata writer, so MediaPipe's TextClassifier loads the file on Android, iOS,
the web or Python with no code of ours.
"""

from __future__ import annotations

import gc

import numpy as np
import tensorflow as tf

from eelbert_tf.classification.classifier_bundle import VOCAB_FILE
from eelbert_lite import inputs as prepare
from eelbert_tf.export.core import (HASH_WIDTHS, ExportError, Format, calibration_inputs, scores_from_tokens,
                                    token_byte_width, uses_table)
from eelbert_tf.export.mediapipe_metadata import text_classifier_writer

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")  # MediaPipe's BERT defaults


def byte_table(vocabulary):
    """(all tokens' bytes end to end as uint8, start offsets int32 [V + 1])."""
    encoded = [t.encode("utf-8") for t in vocabulary]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int32)
    return np.frombuffer(b"".join(encoded), np.uint8), offsets


def ids_to_token_bytes(ids, flat, offsets, width: int):
    """Token bytes `[k, W]` (-1 padded) of WordPiece ids `[k]`, gathered from the byte table."""
    start = tf.gather(offsets, ids)
    length = tf.gather(offsets, ids + 1) - start
    k = tf.range(width)[None, :]
    index = tf.minimum(start[:, None] + k, int(flat.shape[0]) - 1)
    data = tf.cast(tf.gather(flat, index), tf.int32)
    return tf.where(k < length[:, None], data, -tf.ones_like(data))


def build(bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
    width = token_byte_width(bundle.vocabulary)
    flat_np, offsets_np = byte_table(bundle.vocabulary)
    signature = [tf.TensorSpec([1, sequence_length], tf.int32, name=n) for n in INPUT_NAMES]

    def serve(input_word_ids, input_mask, input_type_ids):
        k = tf.reduce_sum(input_mask)
        ids, segment_ids = input_word_ids[0, :k], input_type_ids[0, :k]
        if uses_table(bundle):  # BERT: the table lookup by id, no byte table
            return {"probability": scores_from_tokens(bundle, segment_ids, token_ids=ids)}
        token_bytes = ids_to_token_bytes(ids, tf.constant(flat_np), tf.constant(offsets_np), width)
        return {"probability": scores_from_tokens(bundle, segment_ids, token_bytes=token_bytes,
                                                  hash_widths=hash_widths)}

    def representative(examples):
        ids = {t: i for i, t in enumerate(bundle.vocabulary)}

        def inputs_of(tokens, segment_ids):
            x = prepare.mediapipe_inputs(tokens, segment_ids, ids, sequence_length)
            return [x[spec.name] for spec in signature]

        return calibration_inputs(bundle, [e[:1] for e in examples], sequence_length, inputs_of)

    return serve, signature, representative


def write_metadata(model: bytes, bundle, vocab_path) -> bytes:
    """MediaPipe Tasks TextClassifier metadata (BERT tokenizer with the vocabulary, the labels),
    written by MediaPipe's own writer."""
    text_classifier, metadata_writer = text_classifier_writer()
    labels = metadata_writer.Labels().add(list(bundle.label_names))
    writer = text_classifier.MetadataWriter.create_for_bert_model(
        bytearray(model), metadata_writer.BertTokenizer(str(vocab_path)), labels,
        ids_name=INPUT_NAMES[0], mask_name=INPUT_NAMES[1], segment_name=INPUT_NAMES[2])
    out, _ = writer.populate()
    # The writer cleans its temporary folder in __del__, which fails if it first runs at interpreter exit
    # (the writer sits in a reference cycle): collect it now.
    del writer
    gc.collect()
    return bytes(out)


class MediaPipeFormat(Format):
    name = "mediapipe"
    runtime = "MediaPipe Tasks TextClassifier (Android, iOS, web, Python); builtin ops only"

    def check(self, bundle) -> None:
        if bundle.regression:
            raise ExportError("--format mediapipe makes a TextClassifier; this model is a regression model.")
        if bundle.text_pair:
            raise ExportError("--format mediapipe: MediaPipe's TextClassifier takes one text; this model takes "
                              "a pair (use --format text or bytes).")
        if bundle.tokenizer_kind == "words":
            raise ExportError("--format mediapipe: MediaPipe's TextClassifier tokenizes with a WordPiece vocabulary; "
                              "this model uses the vocabulary-free words tokenizer (use --format utf8, text or "
                              "bytes).")

    def build(self, bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
        return build(bundle, sequence_length, hash_widths)

    def finish(self, model: bytes, bundle) -> bytes:
        return write_metadata(model, bundle, bundle.path / VOCAB_FILE)


FORMAT = MediaPipeFormat()
