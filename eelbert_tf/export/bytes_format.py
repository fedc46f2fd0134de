"""`bytes`: packed token bytes in (int32 `[1, L, W]`, -1 padded), with segment ids and the padding
mask (int32 `[1, L]`); scores out. Builtin ops only, for apps that tokenize themselves and run
the stock TFLite `Interpreter` with no custom op registered. Rows after the mask's last 1 are
ignored (BERT packing puts padding at the end)."""

from __future__ import annotations

import tensorflow as tf

from eelbert_lite import inputs as prepare
from eelbert_tf.export.core import HASH_WIDTHS, ExportError, Format, calibration_inputs, scores_from_tokens, uses_table


class BytesFormat(Format):
    name = "bytes"
    runtime = "any TFLite interpreter with the builtin op resolver (the stock Android Interpreter); no custom ops"

    def check(self, bundle) -> None:
        if uses_table(bundle):
            raise ExportError("--format bytes: this model looks tokens up in a table by id (BERT); it has no use "
                              "for token bytes. Use --format mediapipe or text.")

    def build(self, bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
        return build(bundle, sequence_length, hash_widths)


def build(bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
    width = bundle.token_byte_width
    signature = [tf.TensorSpec([1, sequence_length, width], tf.int32, name="token_bytes"),
                 tf.TensorSpec([1, sequence_length], tf.int32, name="segment_ids"),
                 tf.TensorSpec([1, sequence_length], tf.int32, name="padding_mask")]

    def serve(token_bytes, segment_ids, padding_mask):
        k = tf.reduce_sum(padding_mask)
        return {"scores": scores_from_tokens(bundle, segment_ids[0, :k], token_bytes=token_bytes[0, :k],
                                             hash_widths=hash_widths)}

    def representative(examples):
        def inputs_of(tokens, segment_ids):
            x = prepare.bytes_inputs(tokens, segment_ids, width, sequence_length)
            return [x[spec.name] for spec in signature]

        return calibration_inputs(bundle, examples, sequence_length, inputs_of)

    return serve, signature, representative


FORMAT = BytesFormat()
