"""The tests' reference for each format's inputs: eelbert_tf's Keras preprocessing (TF Text's WordPiece, keras-hub's
packing, the Keras hash layer). The package prepares them in Python (`eelbert_lite.inputs`, `eelbert_lite.micro`),
for the runtime and for int8 calibration alike; tests hold the two equal."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from eelbert_tf.layers.hash_ops import token_strings_to_bytes


def _packed(preprocessor, example, text_pair: bool):
    texts = [tf.constant([t]) for t in example[: 2 if text_pair else 1]]
    return preprocessor(tuple(texts) if len(texts) == 2 else texts[0])


def id_inputs(preprocessor, example, text_pair: bool = False) -> dict:
    """`input_word_ids`, `input_mask`, `input_type_ids` int32 `[1, L]` (the `mediapipe` format)."""
    x = _packed(preprocessor, example, text_pair)
    return {"input_word_ids": x["token_ids"].numpy().astype(np.int32),
            "input_mask": x["padding_mask"].numpy().astype(np.int32),
            "input_type_ids": x["segment_ids"].numpy().astype(np.int32)}


def bytes_inputs(preprocessor, example, width: int, text_pair: bool = False) -> dict:
    """`token_bytes` int32 `[1, L, W]` (-1 padded), `segment_ids`, `padding_mask` (the `bytes` format)."""
    x = _packed(preprocessor, example, text_pair)
    mask = x["padding_mask"].numpy().astype(np.int32)
    tokens = np.where(mask == 1, x["tokens"].numpy(), b"")  # padding rows: no bytes
    token_bytes = token_strings_to_bytes(tokens, max_bytes=width).numpy().astype(np.int32)
    return {"token_bytes": token_bytes, "segment_ids": x["segment_ids"].numpy().astype(np.int32),
            "padding_mask": mask}


def micro_float_inputs(bundle, example, sequence_length: int, preprocessor=None) -> dict:
    """A `micro` model's inputs before quantization: the Keras preprocessor's tokens through the Keras hash layer."""
    x = _packed(preprocessor or bundle.preprocessor(sequence_length), example, bundle.text_pair)
    mask = x["padding_mask"].numpy().astype(np.float32)
    tokens = np.where(mask == 1, x["tokens"].numpy(), b"")
    vectors = bundle.model.backbone.token_embedding(tf.constant(tokens)).numpy()
    return {"token_vectors": vectors.astype(np.float32), "padding_mask": mask,
            "segment_ids": x["segment_ids"].numpy().astype(np.float32)}
