import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models.eelbert_masked_lm import build_masked_lm
from eelbert_lite.vocabulary import load_vocabulary

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


# === The keras-hub task: `EelbertMaskedLM(keras_hub.models.MaskedLM)` with `EelbertMaskedLMPreprocessor` ===

TEXTS = ["the cat sat on the mat .", "a dog ran in the park", "the mat is red and the cat is not", "hello world"]


@pytest.fixture(scope="module")
def masked_lm(small_vocab_path):
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM
    from eelbert_tf.models.eelbert_masked_lm_preprocessor import EelbertMaskedLMPreprocessor
    from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer

    tokenizer = EelbertTokenizer(str(small_vocab_path))
    preprocessor = EelbertMaskedLMPreprocessor(tokenizer, sequence_length=16, mask_selection_rate=0.5,
                                               mask_selection_length=8)
    backbone = EelbertBackbone.from_config(_config("ngram_hash", tokenizer.get_vocabulary()))
    return EelbertMaskedLM(backbone, preprocessor=preprocessor)


def test_the_preprocessor_masks_as_pretraining_does(masked_lm):
    preprocessor = masked_lm.preprocessor
    tokenizer = preprocessor.tokenizer
    x, y, weights = preprocessor(TEXTS * 8)
    ids, positions, y, weights = (t.numpy() for t in (x["token_ids"], x["mask_positions"], y, weights))
    assert x["tokens"].shape == (32, 16) and positions.shape == y.shape == weights.shape == (32, 8)
    # the strings the hash embedding reads are the masked ids' tokens: "[MASK]" where a token was masked
    assert (x["tokens"].numpy() == tokenizer.ids_to_tokens(ids).numpy()).all()
    assert (x["tokens"].numpy() == b"[MASK]").sum() > 0
    # the targets are the unmasked ids, never [CLS], [SEP] or [PAD]
    from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor

    clean = EelbertTextClassifierPreprocessor(tokenizer, sequence_length=16)(TEXTS * 8)["token_ids"].numpy()
    selected = weights > 0
    assert selected.sum() > 32
    assert (np.take_along_axis(clean, positions, 1)[selected] == y[selected]).all()
    special = [tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")]
    assert not np.isin(y[selected], special).any()
    # a pair is a tuple: its second text is segment 1
    pair, _, _ = preprocessor((TEXTS[:2], TEXTS[2:]))
    assert pair["segment_ids"].numpy().max() == 1


def test_fit_and_evaluate_on_raw_strings(masked_lm):
    masked_lm.compile(optimizer="adam")
    history = masked_lm.fit(x=TEXTS * 4, batch_size=4, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = masked_lm.evaluate(x=TEXTS, batch_size=2, verbose=0)
    assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0


def test_fit_on_a_list_of_strings_shuffles_every_epoch(masked_lm, monkeypatch):
    """As EelbertTextClassifier's: keras-hub would batch the list in its order (and warn that `shuffle` is
    ignored)."""
    import keras_hub

    seen = []
    monkeypatch.setattr(keras_hub.models.MaskedLM, "fit", lambda self, **kw: seen.append(kw))
    texts = [f"text number {i}" for i in range(40)]
    masked_lm.fit(x=texts, batch_size=8, epochs=2)
    dataset = seen[-1]["x"]
    first, second = ([t.decode() for batch in dataset for t in batch.numpy()] for _ in range(2))
    assert sorted(first) == sorted(texts) and first != texts and first != second  # shuffled, anew each epoch
    assert seen[-1]["shuffle"] is False and seen[-1]["epochs"] == 2
    masked_lm.fit(x=texts, batch_size=8, shuffle=False)
    assert seen[-1]["x"] is texts and seen[-1]["shuffle"] is False


def test_save_to_preset_is_read_by_keras_hub_masked_lm(masked_lm, tmp_path):
    import keras_hub

    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM

    masked_lm.save_to_preset(str(tmp_path / "mlm"))
    assert {"task.json", "task.weights.h5", "preprocessor.json", "model.weights.h5"} <= {
        p.name for p in (tmp_path / "mlm").iterdir()}
    for loaded in (keras_hub.models.MaskedLM.from_preset(str(tmp_path / "mlm")),
                   EelbertMaskedLM.from_preset(str(tmp_path / "mlm"))):
        assert type(loaded) is EelbertMaskedLM and loaded.mlm_head_type == "separate"
        assert type(loaded.preprocessor).__name__ == "EelbertMaskedLMPreprocessor"
        x, _, _ = loaded.preprocessor(TEXTS)
        x = {k: v for k, v in x.items() if k in loaded.input}
        np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(masked_lm(x)))


def test_the_shipped_preset_gets_its_wordpiece_preprocessor():
    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM

    model = EelbertMaskedLM.from_preset("eelbert_uno_en", sequence_length=16)
    assert model.preprocessor.tokenizer.vocabulary_size() == 30522 and model.mlm_head_type == "separate"
    assert model.preprocessor.mask_selection_length == 3  # eelbert pretrain's: 15% of the length, rounded up


def test_masked_lm_bad_input_is_refused_by_name(masked_lm, vocabulary):
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM
    from eelbert_tf.models.eelbert_masked_lm_preprocessor import EelbertMaskedLMPreprocessor
    from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer

    with pytest.raises(ValueError, match="masks WordPiece ids, and EelbertWordTokenizer has no vocabulary"):
        EelbertMaskedLMPreprocessor(EelbertWordTokenizer())
    with pytest.raises(ValueError, match="makes its own targets"):
        masked_lm.preprocessor(TEXTS, y=[1, 0, 1, 0])
    with pytest.raises(ValueError, match="texts of rank 0"):
        masked_lm.preprocessor(tf.constant([TEXTS]))
    with pytest.raises(ValueError, match="takes texts"):
        masked_lm.preprocessor(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="is not the preprocessor's tokenizer's"):
        EelbertMaskedLM(EelbertBackbone.from_config(_config("ngram_hash", vocabulary)),
                        vocabulary=vocabulary[::-1], preprocessor=masked_lm.preprocessor)
