import keras
import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models import EelbertTextClassifierPreprocessor
from eelbert_tf.preprocessing import EelbertTokenizer


@pytest.fixture(scope="module")
def tokenizer(small_vocab_path):
    return EelbertTokenizer(vocabulary=small_vocab_path)


def test_tokenizer_gives_strings_and_ids(tokenizer):
    out = tokenizer(tf.constant(["The quick brown fox jumped!", "Unbelievable, café"]))
    assert out["tokens"].to_list() == [
        [b"the", b"quick", b"brown", b"fox", b"jump", b"##ed", b"!"],
        [b"un", b"##believ", b"##able", b",", b"cafe"],
    ]
    ids = out["token_ids"].to_list()
    assert [tokenizer.id_to_token(i) for i in ids[0]][:2] == ["the", "quick"]
    assert tokenizer(tf.constant("zzz qqq"))["tokens"].numpy().tolist() == [b"[UNK]", b"[UNK]"]


def test_real_bert_tokenization(real_vocab_path):
    tokenizer = EelbertTokenizer(vocabulary=real_vocab_path)
    out = tokenizer(tf.constant(["Héllo, WORLD! 世你 embeddings"]))["tokens"].to_list()[0]
    # Each CJK character is its own word; 你 is not in BERT's uncased vocabulary.
    assert out == [b"hello", b",", b"world", b"!", "世".encode(), b"[UNK]", b"em", b"##bed", b"##ding", b"##s"]


def test_packing_single_and_pairs(tokenizer):
    pre = EelbertTextClassifierPreprocessor(tokenizer=tokenizer, sequence_length=8)
    x = pre(tf.constant(["the quick brown fox jumped over the lazy dog"]))
    assert x["tokens"].numpy()[0].tolist() == [
        b"[CLS]", b"the", b"quick", b"brown", b"fox", b"jump", b"##ed", b"[SEP]"]
    assert x["padding_mask"].numpy().tolist() == [[1] * 8]
    x = pre((tf.constant(["the fox"]), tf.constant(["a dog"])))
    assert x["tokens"].numpy()[0].tolist() == [
        b"[CLS]", b"the", b"fox", b"[SEP]", b"a", b"dog", b"[SEP]", b"[PAD]"]
    assert x["segment_ids"].numpy()[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
    assert x["padding_mask"].numpy()[0].tolist() == [1, 1, 1, 1, 1, 1, 1, 0]
    # Round robin: 5 slots are taken a, b, a, b, a from the two segments.
    x = pre((tf.constant(["the quick brown fox"]), tf.constant(["the lazy dog is good"])))
    assert x["tokens"].numpy()[0].tolist() == [
        b"[CLS]", b"the", b"quick", b"brown", b"[SEP]", b"the", b"lazy", b"[SEP]"]


def test_labels_pass_through_and_tf_data(tokenizer):
    pre = EelbertTextClassifierPreprocessor(tokenizer=tokenizer, sequence_length=6)
    texts = ["hello world", "a good movie", "bad"]
    unbatched = tf.data.Dataset.from_tensor_slices((texts, [1, 0, 1])).map(pre).batch(3)
    batched = tf.data.Dataset.from_tensor_slices((texts, [1, 0, 1])).batch(3).map(pre)
    (xu, yu), (xb, yb) = next(iter(unbatched)), next(iter(batched))
    assert yu.numpy().tolist() == [1, 0, 1]
    for key in xb:
        np.testing.assert_array_equal(xu[key].numpy(), xb[key].numpy())
    assert yb.numpy().tolist() == [1, 0, 1]
    assert xb["tokens"].shape == (3, 6)


def test_preprocessor_config_round_trip(tokenizer):
    pre = EelbertTextClassifierPreprocessor(tokenizer=tokenizer, sequence_length=10, truncate="waterfall")
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(pre))
    x = tf.constant(["the quick fox"])
    np.testing.assert_array_equal(clone(x)["token_ids"].numpy(), pre(x)["token_ids"].numpy())
    with pytest.raises(ValueError, match="pair"):
        pre((x, x, x))


def test_python_texts_lists_and_empty_batches(small_vocab_path):
    preprocessor = EelbertTextClassifierPreprocessor(EelbertTokenizer(small_vocab_path), sequence_length=8)
    for texts, batch in [([], 0), (tf.constant([], tf.string), 0), (["a b", "c"], 2), (np.array(["x"]), 1)]:
        x = preprocessor(texts)
        assert {k: tuple(v.shape) for k, v in x.items()} == {k: (batch, 8) for k in x}
    assert preprocessor("one text")["tokens"].shape == (8,)  # unbatched in, unbatched out (keras-hub's rule)
    pair = preprocessor((["a b"], ["c"]))  # a tuple is a pair; a list is a batch
    assert pair["segment_ids"].numpy().max() == 1
    with pytest.raises(ValueError, match="takes texts: a string, a list of strings"):
        preprocessor([1, 2])
    with pytest.raises(ValueError, match="dtype int32"):
        preprocessor(tf.constant([1]))
