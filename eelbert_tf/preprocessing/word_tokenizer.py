"""The vocabulary-free word tokenizer in the TensorFlow graph (`tokenizer="words"`).

`eelbert_lite.words` is the specification's reference (`docs/hash_spec.md`, section 9). Here one
function, `word_piece_spans`, computes every token's byte span from flat UTF-8 bytes with ops that
are TFLite builtins (comparisons, CUMSUM, WHERE, GATHER, UNSORTED_SEGMENT_MIN/SUM, FLOOR_DIV,
FLOOR_MOD, SELECT, CONCATENATION): no table, no string op. Two outputs are built on it:

- `EelbertWordTokenizer` (a Keras layer): texts to token strings, for training and the Keras
  preprocessor; TF Text's `ByteSplitter` gives the bytes.
- `text_bytes_to_token_bytes`: int32 UTF-8 bytes of one text (padded with -1) to the int32 token
  bytes matrix the hash's builtins-only entry point takes (`hash_ops.embed_token_bytes`): the
  text-in model a phone or a browser runs with no tokenizer table at all.
"""

from __future__ import annotations

import keras
import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from eelbert_lite import words as spec
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer

_HASH = 0x23  # "#"


def _shifted(values, row_ids, k, fill):
    """values[i - k] where byte i - k is in the same text as byte i, else `fill` (k may be negative)."""
    n = tf.shape(values)[0]
    index = tf.range(n) - k
    inside = (index >= 0) & (index < n)
    safe = tf.clip_by_value(index, 0, tf.maximum(n - 1, 0))
    same = inside & (tf.gather(row_ids, safe) == row_ids)
    return tf.where(same, tf.gather(values, safe), tf.fill(tf.shape(values), tf.cast(fill, values.dtype)))


def fold_case(byte_values, row_ids):
    """Section 9.1 on int32 bytes: A-Z and the Latin-1 capitals to small letters."""
    b = byte_values
    upper = (b >= 0x41) & (b <= 0x5A)
    previous = _shifted(b, row_ids, 1, -1)
    latin1 = ((previous == spec.LATIN1_LEAD) & (b >= spec.LATIN1_CAPITAL_FIRST) & (b <= spec.LATIN1_CAPITAL_LAST)
              & (b != spec.LATIN1_TIMES))
    return b + 0x20 * tf.cast(upper | latin1, tf.int32)


def word_piece_spans(byte_values, row_ids, max_word_bytes: int = spec.DEFAULT_MAX_WORD_BYTES):
    """Section 9.2 and 9.3 on flat int32 bytes `[N]` whose text index is `row_ids` `[N]` (ascending).

    Returns `(starts, lengths, continuation, rows)`, each `[T]`: the tokens in order, as byte offsets
    into `byte_values`, whether each is a `##` continuation piece, and its text's index.
    """
    return _spans(byte_values, row_ids, max_word_bytes)[:4]


def _spans(byte_values, row_ids, max_word_bytes):
    """`word_piece_spans`, plus each byte's token index `[N]` and whether it belongs to a token `[N]` (every
    byte but a space does: a token runs from its start to the next start or space)."""
    w = spec.check_max_word_bytes(max_word_bytes)
    b = tf.cast(byte_values, tf.int32)
    row_ids = tf.cast(row_ids, tf.int32)
    space = (b <= 0x20) | (b == 0x7F)
    ascii_punct = (((b >= 0x21) & (b <= 0x2F)) | ((b >= 0x3A) & (b <= 0x40)) | ((b >= 0x5B) & (b <= 0x60))
                   | ((b >= 0x7B) & (b <= 0x7E)))
    next1, next2 = _shifted(b, row_ids, -1, -1), _shifted(b, row_ids, -2, -1)
    lead = ((b == spec.GENERAL_PUNCT_LEAD) & (next1 == spec.GENERAL_PUNCT_SECOND)
            & (next2 >= spec.GENERAL_PUNCT_FIRST) & (next2 <= spec.GENERAL_PUNCT_LAST))
    general_punct = lead | _shifted(lead, row_ids, 1, False) | _shifted(lead, row_ids, 2, False)
    word = ~space & ~ascii_punct & ~general_punct

    index = tf.range(tf.shape(b)[0])
    run_start = word & ~_shifted(word, row_ids, 1, False)
    run_id = tf.maximum(tf.cumsum(tf.cast(run_start, tf.int32)) - 1, 0)
    big = tf.fill(tf.shape(b), tf.int32.max)
    run_first = tf.math.unsorted_segment_min(tf.where(word, index, big), run_id, tf.shape(b)[0] + 1)
    position = index - tf.gather(run_first, run_id)  # offset of a word byte in its word
    beyond = position - w
    piece_start = word & ((position == 0) | ((beyond >= 0) & (tf.math.floormod(beyond, w - 2) == 0)))
    token_start = piece_start | ascii_punct | lead

    token_id = tf.maximum(tf.cumsum(tf.cast(token_start, tf.int32)) - 1, 0)
    starts = tf.cast(tf.reshape(tf.where(token_start), [-1]), tf.int32)
    # One spare segment: a text of spaces only has no token, yet its bytes have token_id 0.
    lengths = tf.math.unsorted_segment_sum(tf.cast(~space, tf.int32), token_id, tf.shape(starts)[0] + 1)[:-1]
    continuation = tf.gather(word & (position >= w), starts)
    return starts, lengths, continuation, tf.gather(row_ids, starts), token_id, ~space


def text_bytes_to_token_bytes(text_bytes, max_tokens: int, max_word_bytes: int = spec.DEFAULT_MAX_WORD_BYTES):
    """One text's int32 UTF-8 bytes `[N]` (trailing -1 padding allowed) to its tokens' int32 bytes
    `[max_tokens, max_word_bytes]`, -1 padded, and the number of tokens kept (at most `max_tokens`;
    later tokens are cut, as packing cuts a long text at the end). Builtin TFLite ops only."""
    text_bytes = tf.cast(tf.reshape(text_bytes, [-1]), tf.int32)
    length = tf.reduce_sum(tf.cast(text_bytes >= 0, tf.int32))
    b = text_bytes[:length]
    rows = tf.zeros_like(b)
    starts, lengths, continuation, _ = word_piece_spans(b, rows, max_word_bytes)
    folded = fold_case(b, rows)
    count = tf.minimum(tf.shape(starts)[0], max_tokens)
    starts, lengths, continuation = starts[:count], lengths[:count], continuation[:count]
    # A continuation piece's bytes are "##" then its content, so content column j sits at j + 2.
    offset = 2 * tf.cast(continuation, tf.int32)
    column = tf.range(max_word_bytes)[None, :]
    content = column - offset[:, None]
    valid = (content >= 0) & (content < lengths[:, None])
    source = tf.clip_by_value(starts[:, None] + content, 0, tf.maximum(length - 1, 0))
    values = tf.where(valid, tf.gather(folded, source), -tf.ones_like(source))
    values = tf.where((content < 0) & (offset[:, None] > 0), tf.fill(tf.shape(values), _HASH), values)
    padding = tf.fill([max_tokens - count, max_word_bytes], -1)
    return tf.concat([values, padding], 0), count


_BYTE_STRINGS = [bytes([i]) for i in range(256)]


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertWordTokenizer(keras_hub.tokenizers.Tokenizer):
    """The vocabulary-free tokenizer: texts to word and punctuation tokens, with no table.

    ASCII and Latin-1 letters are lower-cased; whitespace and control bytes separate tokens; each
    ASCII punctuation byte and each General Punctuation character (dashes, curly quotes, ellipsis,
    U+2010..U+203F) is a token; every other run of bytes (letters, digits, other scripts, emoji)
    is a word, and a word longer than `max_word_bytes` bytes is cut into a first piece of that many
    bytes and `##` continuation pieces, which the hash embedding marks as such. The function is fixed
    by `docs/hash_spec.md`, section 9, and equals `eelbert_lite.words.tokenize` token for token.

    Unlike `EelbertTokenizer` it gives no token ids: a model built on it has no input vocabulary
    (its pretraining targets have one, dropped after pretraining). A keras-hub `Tokenizer` with no
    assets and no special token ids: `EelbertTextClassifierPreprocessor` packs `[CLS]`, `[SEP]` and
    `[PAD]` as strings.

    Args:
        max_word_bytes: int, at least 3. Defaults to `20`.
        **kwargs: other keyword arguments passed to `keras_hub.tokenizers.Tokenizer`.

    Call arguments:
        inputs: a string tensor of texts, rank 0 or 1.

    Returns a dict with `"tokens"` (string), ragged `[batch, None]` for a batch of texts, a dense
    vector for one text.

    Example:
    >>> EelbertWordTokenizer()(tf.constant(["Don't panic!"]))["tokens"].to_list()
    [[b'don', b"'", b't', b'panic', b'!']]
    """

    vocabulary_free = True

    def __init__(self, max_word_bytes=spec.DEFAULT_MAX_WORD_BYTES, **kwargs):
        super().__init__(**kwargs)
        self.max_word_bytes = spec.check_max_word_bytes(max_word_bytes)
        # The widest token: a piece of max_word_bytes bytes after "##", or "[CLS]" / "[SEP]" / "[PAD]" when
        # packed (the byte width a JAX or PyTorch backbone reads, `"token_bytes"`).
        self.max_token_bytes = max(self.max_word_bytes + 2, 5)
        self._byte_strings = tf.constant(_BYTE_STRINGS)
        self._splitter = tf_text.ByteSplitter()
        self.built = True

    def call(self, inputs):
        return self.tokenize(inputs)

    def tokenize(self, inputs):
        inputs = tf.convert_to_tensor(inputs, tf.string)
        if inputs.shape.rank == 0:
            return {"tokens": self.tokenize(inputs[None])["tokens"][0]}
        if inputs.shape.rank != 1:
            raise ValueError(f"EelbertWordTokenizer takes a text or a batch (rank 0 or 1). Received rank {inputs.shape.rank}.")
        byte_rows = self._splitter.split(inputs)  # ragged uint8 [batch, bytes]
        b = tf.cast(byte_rows.flat_values, tf.int32)
        row_ids = tf.cast(byte_rows.value_rowids(), tf.int32)
        starts, _, continuation, rows, token_id, member = _spans(b, row_ids, self.max_word_bytes)
        characters = tf.gather(self._byte_strings, fold_case(b, row_ids))
        pieces = tf.RaggedTensor.from_value_rowids(
            tf.boolean_mask(characters, member), tf.boolean_mask(token_id, member), nrows=tf.shape(starts)[0])
        tokens = tf.strings.reduce_join(pieces, axis=-1)
        tokens = tf.where(continuation, tf.strings.join(["##", tokens]), tokens)
        return {"tokens": tf.RaggedTensor.from_value_rowids(tokens, rows, nrows=tf.shape(inputs)[0])}

    def save_assets(self, dir_path):
        """No assets: the tokenizer is its config (keras-hub's `save_to_preset` asks every tokenizer)."""

    def load_preset_assets(self, preset):
        """No assets to load."""

    def get_config(self):
        config = super().get_config()
        config.update({"max_word_bytes": self.max_word_bytes})
        return config


TOKENIZERS = ("wordpiece", "words")


def make_tokenizer(kind: str = "wordpiece", vocabulary=None, max_word_bytes: int = spec.DEFAULT_MAX_WORD_BYTES):
    """The tokenizer a classifier or an export names: `"wordpiece"` (`EelbertTokenizer` over `vocabulary`)
    or `"words"` (`EelbertWordTokenizer`, no vocabulary)."""
    if kind == "words":
        return EelbertWordTokenizer(max_word_bytes=max_word_bytes)
    if kind != "wordpiece":
        raise ValueError(f"--tokenizer {kind!r}: expected one of {', '.join(TOKENIZERS)}.")

    return EelbertTokenizer(vocabulary)

