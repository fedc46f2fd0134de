import keras
import tensorflow as tf
import tensorflow_text as tf_text

from eelbert_tf.data_paths import default_vocabulary_path
from eelbert_tf.preprocessing.vocabulary import load_vocabulary


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertTokenizer(keras.layers.Layer):
    """BERT text normalization and WordPiece tokenization, in the TensorFlow graph.

    TF Text's `FastBertNormalizer` (lower case, NFD, strip accents, drop control
    characters) then `FastWordpieceTokenizer` in end-to-end mode (it splits on
    whitespace and punctuation and puts each CJK character apart, as BERT's basic
    tokenizer does). This chain has TFLite kernels, so the same tokenization runs
    in training and on device. A word longer than `max_bytes_per_word` UTF-8 bytes
    becomes `[UNK]`, as in BERT (which counts 100 characters).

    Args:
        vocabulary: a list of tokens or the path of a vocabulary file, one token
            per line. Defaults to the BERT uncased vocabulary in the data
            directory (`eelbert_tf.data_paths`).
        lowercase: bool. Lower-case and strip accents. Defaults to `True`.
        max_bytes_per_word: int. Defaults to `100`.
        **kwargs: other keyword arguments passed to `keras.layers.Layer`.

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

    def __init__(self, vocabulary=None, lowercase=True, max_bytes_per_word=100, **kwargs):
        super().__init__(**kwargs)
        if vocabulary is None:
            vocabulary = default_vocabulary_path()
        self.vocabulary = load_vocabulary(vocabulary)
        self.lowercase = bool(lowercase)
        self.max_bytes_per_word = int(max_bytes_per_word)
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
        self.built = True

    def vocabulary_size(self):
        return len(self.vocabulary)

    def token_to_id(self, token):
        return self.vocabulary.index(token)

    def id_to_token(self, token_id):
        return self.vocabulary[token_id]

    def ids_to_tokens(self, token_ids):
        """Token strings for int ids, any shape or ragged."""
        if isinstance(token_ids, tf.RaggedTensor):
            return token_ids.with_flat_values(self.ids_to_tokens(token_ids.flat_values))
        return tf.gather(self._token_table, token_ids)

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs, tf.string)
        if inputs.shape.rank == 0:  # one unbatched text: its tokens, a dense vector
            token_ids = self._wordpiece.tokenize(self._normalizer.normalize(inputs[None]))[0]
        else:
            token_ids = self._wordpiece.tokenize(self._normalizer.normalize(inputs))
        return {"token_ids": token_ids, "tokens": self.ids_to_tokens(token_ids)}

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": self.vocabulary,
                "lowercase": self.lowercase,
                "max_bytes_per_word": self.max_bytes_per_word,
            }
        )
        return config
