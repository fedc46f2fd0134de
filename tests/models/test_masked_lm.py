import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models.eelbert_masked_lm import build_masked_lm
from eelbert_tf.preprocessing.vocabulary import load_vocabulary

TINY = {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32, "max_sequence_length": 16}


@pytest.fixture(scope="module")
def vocabulary(small_vocab_path):
    return load_vocabulary(small_vocab_path)


def _config(embedding_type, vocabulary):
    return {**TINY, "embedding_type": embedding_type, "vocabulary_size": len(vocabulary)}


@pytest.mark.parametrize("embedding_type,head", [("ngram_hash", "separate"), ("ngram_hash", "hash_tied"),
                                                 ("random_hash", "separate"), ("table", "tied")])
def test_each_head_gives_logits_over_the_vocabulary(vocabulary, embedding_type, head):
    model = build_masked_lm(_config(embedding_type, vocabulary), vocabulary, mlm_head=head)
    token_input = model.backbone.token_input_name
    ids = np.array([[2, 5, 6, 7, 3, 0, 0, 0]], dtype="int32")
    x = {
        token_input: tf.gather(vocabulary, ids) if token_input == "tokens" else tf.constant(ids),
        "segment_ids": tf.zeros_like(ids),
        "padding_mask": tf.constant((ids > 0).astype("int32")),
        "mask_positions": tf.constant([[1, 3]], dtype="int32"),
    }
    logits = model(x)
    assert logits.shape == (1, 2, len(vocabulary))
    assert np.all(np.isfinite(logits.numpy()))


def test_default_heads(vocabulary):
    assert build_masked_lm(_config("ngram_hash", vocabulary), vocabulary).mlm_head_type == "separate"
    assert build_masked_lm(_config("table", vocabulary), vocabulary).mlm_head_type == "tied"


def test_heads_that_do_not_fit_the_backbone_are_refused(vocabulary):
    with pytest.raises(ValueError, match="'tied' needs a table"):
        build_masked_lm(_config("ngram_hash", vocabulary), vocabulary, mlm_head="tied")
    with pytest.raises(ValueError, match="does not fit a 'table' backbone"):
        build_masked_lm(_config("table", vocabulary), vocabulary, mlm_head="hash_tied")
    with pytest.raises(ValueError, match="must be one of"):
        build_masked_lm(_config("table", vocabulary), vocabulary, mlm_head="softmax")


def test_a_vocabulary_of_another_size_is_refused(vocabulary):
    with pytest.raises(ValueError, match=f"has {len(vocabulary) - 1:,} tokens but the model was built for "
                                         f"{len(vocabulary):,}"):
        build_masked_lm(_config("ngram_hash", vocabulary), vocabulary[:-1])
