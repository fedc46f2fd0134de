import functools
import os

import keras
import keras_hub
import tensorflow as tf
import tensorflow_text as tf_text

from eelbert_tf.data_paths import default_vocabulary_path
from eelbert_lite.vocabulary import load_vocabulary, vocabulary_sha256

VOCABULARY_ASSET = "vocabulary.txt"


@functools.lru_cache(maxsize=1)
def _packaged_vocabulary_sha256() -> str:
    return vocabulary_sha256(load_vocabulary(default_vocabulary_path()))


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertTokenizer(keras_hub.tokenizers.Tokenizer):
    """BERT text normalization and WordPiece tokenization, in the TensorFlow graph.

    TF Text's `FastBertNormalizer` (lower case, NFD, strip accents, drop control
    characters) then `FastWordpieceTokenizer` in end-to-end mode (it splits on
    whitespace and punctuation and puts each CJK character apart, as BERT's basic
    tokenizer does). This chain has TFLite kernels, so the same tokenization runs
    in training and on device. A word longer than `max_bytes_per_word` UTF-8 bytes
    becomes `[UNK]`, as in BERT (which counts 100 characters).

    A keras-hub `Tokenizer`: `save_to_preset` writes the vocabulary as the asset
    `assets/tokenizer/vocabulary.txt`, `from_preset` reads it back, and the special
    token ids (`start_token_id` `[CLS]`, `end_token_id` `[SEP]`, `pad_token_id`,
    `mask_token_id`) are what keras-hub's packers and maskers take. Unlike keras-hub's
    tokenizers it returns the token strings beside the ids: the hash embedding reads
    the strings, a table reads the ids.

    Args:
        vocabulary: a list of tokens or the path of a vocabulary file, one token
            per line. Defaults to the BERT uncased vocabulary in the data
            directory (`eelbert_tf.data_paths`).
        lowercase: bool. Lower-case and strip accents. Defaults to `True`.
        max_bytes_per_word: int. Defaults to `100`.
        **kwargs: other keyword arguments passed to `keras_hub.tokenizers.Tokenizer`.

    Call arguments:
        inputs: a string tensor of texts, any rank.

    Returns a dict with `"token_ids"` (int32) and `"tokens"` (string), each ragged
    with one more dimension than the input.

    Example:
    >>> tokenizer = EelbertTokenizer(vocabulary=["[PAD]", "[UNK]", "[CLS]",
    ...     "[SEP]", "[MASK]", "the", "qu", "##ick", "fox"])
    >>> tokenizer(tf.constant(["The quick fox"]))["tokens"].to_list()
    [[b'the', b'qu', b'##ick', b'fox']]
    """

    vocabulary_free = False

    def __init__(self, vocabulary=None, lowercase=True, max_bytes_per_word=100, **kwargs):
        super().__init__(**kwargs)
        self.file_assets = [VOCABULARY_ASSET]
        self.lowercase = bool(lowercase)
        self.max_bytes_per_word = int(max_bytes_per_word)
        self.set_vocabulary(default_vocabulary_path() if vocabulary is None else vocabulary)
        self.built = True

    def set_vocabulary(self, vocabulary):
        """(Re)builds the WordPiece tables over `vocabulary` (a list of tokens or a file, checked by
        `load_vocabulary`)."""
        self.vocabulary = load_vocabulary(vocabulary)
        self._index = {t: i for i, t in enumerate(self.vocabulary)}
        self._normalizer = tf_text.FastBertNormalizer(lower_case_nfd_strip_accents=self.lowercase)
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=self.vocabulary,
            token_out_type=tf.int32,
            unknown_token="[UNK]",
            no_pretokenization=False,
            support_detokenization=False,
            max_bytes_per_word=self.max_bytes_per_word,
        )
        self._token_table = tf.constant(self.vocabulary, tf.string)
        # Every token this tokenizer emits is a vocabulary entry: their longest UTF-8 form bounds the byte width
        # a JAX or PyTorch backbone reads (`"token_bytes"`).
        self.max_token_bytes = max(len(t.encode("utf-8")) for t in self.vocabulary)
        for token, name in (("[CLS]", "start_token"), ("[SEP]", "end_token"), ("[PAD]", "pad_token"),
                            ("[MASK]", "mask_token"), ("[UNK]", "unk_token")):
            setattr(self, name, token)
            setattr(self, f"{name}_id", self._index[token])

    def get_vocabulary(self):
        return list(self.vocabulary)

    def vocabulary_size(self):
        return len(self.vocabulary)

    def token_to_id(self, token):
        if token not in self._index:
            raise ValueError(f"Token {token!r} is not in the vocabulary ({len(self.vocabulary):,} tokens).")
        return self._index[token]

    def id_to_token(self, token_id):
        if not 0 <= int(token_id) < len(self.vocabulary):
            raise ValueError(f"Token id {token_id} is outside the vocabulary (0 to {len(self.vocabulary) - 1}).")
        return self.vocabulary[int(token_id)]

    def ids_to_tokens(self, token_ids):
        """Token strings for int ids, any shape or ragged."""
        if isinstance(token_ids, tf.RaggedTensor):
            return token_ids.with_flat_values(self.ids_to_tokens(token_ids.flat_values))
        return tf.gather(self._token_table, token_ids)

    def tokenize(self, inputs):
        inputs = tf.convert_to_tensor(inputs, tf.string)
        if inputs.shape.rank == 0:  # one unbatched text: its tokens, a dense vector
            token_ids = self._wordpiece.tokenize(self._normalizer.normalize(inputs[None]))[0]
        else:
            token_ids = self._wordpiece.tokenize(self._normalizer.normalize(inputs))
        return {"token_ids": token_ids, "tokens": self.ids_to_tokens(token_ids)}

    def call(self, inputs):
        return self.tokenize(inputs)

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, VOCABULARY_ASSET), "w", encoding="utf-8") as f:
            f.write("\n".join(self.vocabulary) + "\n")

    def load_assets(self, dir_path):
        self.set_vocabulary(os.path.join(dir_path, VOCABULARY_ASSET))

    def get_config(self):
        config = super().get_config()
        # The packaged BERT vocabulary is named by None (a preset's tokenizer.json stays small; the asset file
        # holds it too); any other vocabulary is kept in the config, so that get_config/from_config alone
        # rebuilds the same tokenizer.
        default = vocabulary_sha256(self.vocabulary) == _packaged_vocabulary_sha256()
        config.update(
            {
                "vocabulary": None if default else self.vocabulary,
                "lowercase": self.lowercase,
                "max_bytes_per_word": self.max_bytes_per_word,
            }
        )
        return config
