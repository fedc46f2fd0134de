"""`utf8`: a text's UTF-8 bytes in (int32 `[1, N]`, -1 padded; a pair adds `text_pair_bytes`), scores out.
For models fine-tuned with the vocabulary-free `words` tokenizer: the tokenizer, packing, hash and encoder
are all builtin ops, so the stock TFLite interpreter (Android's, LiteRT's, the browser's) runs it with no
custom op, no Flex and no table. `N` is 8 bytes per token of the sequence length; an app cuts a longer
text at N bytes (only its end, which packing would cut anyway at the sequence length, is lost)."""

from __future__ import annotations

import tensorflow as tf

from eelbert_lite.inputs import UTF8_BYTES_PER_TOKEN as BYTES_PER_TOKEN, text_bytes
from eelbert_tf.export.core import HASH_WIDTHS, ExportError, Format, scores_from_tokens
from eelbert_tf.export.packing import pack_rows, special_row
from eelbert_tf.export.text_format import make_tokenize


def max_text_bytes(sequence_length: int) -> int:
    return BYTES_PER_TOKEN * sequence_length


class Utf8Format(Format):
    name = "utf8"
    runtime = "any TFLite interpreter with the builtin op resolver; no custom ops, no tables (words tokenizer)"

    def check(self, bundle) -> None:
        if bundle.tokenizer_kind != "words":
            raise ExportError("--format utf8 tokenizes in the graph without a vocabulary: it needs a classifier "
                              "fine-tuned with --tokenizer words. Use --format text, mediapipe or bytes.")

    def build(self, bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
        return build(bundle, sequence_length, hash_widths)


def build(bundle, sequence_length: int, hash_widths=HASH_WIDTHS):
    n = max_text_bytes(sequence_length)
    tokenize = make_tokenize(bundle, sequence_length, from_bytes=True)
    names = ["text_bytes", "text_pair_bytes"] if bundle.text_pair else ["text_bytes"]
    signature = [tf.TensorSpec([1, n], tf.int32, name=name) for name in names]
    cls, sep = special_row("[CLS]", tokenize.width), special_row("[SEP]", tokenize.width)

    def serve(*texts):
        rows, segment_ids = pack_rows([tokenize(t) for t in texts], sequence_length, cls, sep)
        return {"scores": scores_from_tokens(bundle, segment_ids, token_bytes=rows, hash_widths=hash_widths)}

    def representative(examples):
        for example in examples:
            yield [text_bytes(t, n) for t in example[: len(names)]]

    return serve, signature, representative


FORMAT = Utf8Format()
