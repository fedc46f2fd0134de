"""Pretraining on the vocabulary-free words tokenizer: a cache of word ids ranked by frequency, MLM targets in a
training-only word vocabulary (the commonest words, then hashed buckets), and a real run that reads it."""

import json

import numpy as np
import pytest

from eelbert_lite import words as words_ref
from eelbert_tf.models.registry import pretraining_tokenizer
from eelbert_tf.models import preset_writer, pretrained
from eelbert_tf.models import presets as shipped_presets
from eelbert_tf.pretraining.pipeline import training_dataset, validation_dataset
from eelbert_lite.vocabulary import SPECIAL_TOKENS
from eelbert_tf.pretraining.word_targets import word_bucket
from eelbert_tf.pretraining.token_cache import TokenCache, build_token_cache
from eelbert_tf.pretraining.config import PretrainConfig, open_token_cache
from eelbert_tf.pretraining.evaluation import evaluate_preset
from eelbert_tf.pretraining.trainer import pretrain

SEQ, BATCH, STEPS, TOP, BUCKETS = 32, 8, 6, 300, 16


@pytest.fixture(scope="module")
def words_cache(tmp_path_factory, corpus_file):
    out = tmp_path_factory.mktemp("words") / "cache"
    build_token_cache([corpus_file], out, SEQ * 120, sequence_length=SEQ, validation_sequences=16,
                      tokenizer="words", target_words=TOP, target_buckets=BUCKETS, log=lambda *_: None)
    return TokenCache(out)


def test_words_cache_ranks_words_by_frequency_and_maps_targets(words_cache, tmp_path, corpus_file):
    table = words_cache.words
    assert words_cache.tokenizer == "words" and table[: len(SPECIAL_TOKENS)] == [t.encode() for t in SPECIAL_TOKENS]
    assert len(set(table)) == len(table) > TOP + 100
    ids = np.asarray(words_cache.train_token_ids)
    assert ids.dtype == np.uint32 and ids.max() < len(table)
    counts = np.bincount(ids.reshape(-1), minlength=len(table))[len(SPECIAL_TOKENS):]
    assert (np.diff(counts) <= 0).all()  # ids rank words by their count in the training sequences
    # Every word is what the words tokenizer (NumPy reference) makes of it: folded, at most 20 bytes; the
    # `##` pieces of longer words too ("#" alone is punctuation, so only a piece starts with "##").
    pieces = [w for w in table[len(SPECIAL_TOKENS):] if w.startswith(b"##")]
    assert pieces and all(len(w) <= 20 for w in pieces)
    for word in table[len(SPECIAL_TOKENS):]:
        if not word.startswith(b"##"):
            assert words_ref.tokenize(word) == [word], word
    # A row reads back as the words tokenizer's tokens of some text: [CLS] words [SEP] words [SEP].
    row = ids[0][: int(words_cache.train_pairs[0][1])]
    assert table[row[0]] == b"[CLS]" and table[row[-1]] == b"[SEP]"
    targets = words_cache.word_targets
    assert (targets[:TOP] == np.arange(TOP)).all()
    assert all(targets[i] == TOP + word_bucket(table[i], BUCKETS) for i in range(TOP, len(table)))
    names = words_cache.target_vocabulary()
    assert len(names) == TOP + BUCKETS and names[4] == "[MASK]" and names[-1] == f"[BUCKET {BUCKETS - 1}]"
    # Deterministic: a rebuild is identical.
    again = build_token_cache([corpus_file], tmp_path / "again", SEQ * 120, sequence_length=SEQ,
                              validation_sequences=16, tokenizer="words", target_words=TOP, target_buckets=BUCKETS,
                              log=lambda *_: None)
    assert TokenCache(again).sha256() == words_cache.sha256()


def test_batches_read_words_and_predict_targets(words_cache):
    vocabulary = words_cache.target_vocabulary()
    for masking in ("per_batch", "keras_hub"):
        dataset, _ = training_dataset(words_cache, vocabulary, "tokens", BATCH, num_batches=2, masking=masking)
        x, ids, weights = next(iter(dataset))
        assert x["tokens"].dtype.name == "string" and x["tokens"].shape == (BATCH, SEQ)
        real = weights.numpy() > 0
        assert real.any() and ids.numpy()[real].max() < TOP + BUCKETS
        assert b"[MASK]" in x["tokens"].numpy().reshape(-1).tolist()
    x, ids, weights = next(iter(validation_dataset(words_cache, vocabulary, "tokens", 16)))
    v = words_cache.validation()
    np.testing.assert_array_equal(ids.numpy(), words_cache.word_targets[v["mask_ids"]])


def test_a_words_run_trains_and_records_it(tmp_path, corpus_file, monkeypatch):
    config = PretrainConfig(preset="eelbert_uno", out_dir=str(tmp_path / "run"), tokens=SEQ * BATCH * STEPS,
                            corpus=[str(corpus_file)], cache_dir=str(tmp_path / "cache"), batch_size=BATCH,
                            sequence_length=SEQ, validation_sequences=16, checkpoint_every=3, log_every=2,
                            tokenizer="words", target_words=TOP, target_buckets=BUCKETS, masking="per_batch")
    record = pretrain(config, log=lambda *_: None)
    assert record["data"]["tokenizer"] == "words" and record["data"]["vocabulary_sha256"] is None
    assert record["backbone_config"]["vocabulary_size"] == TOP + BUCKETS
    assert record["mlm_head_parameters_dropped"] > 128 * (TOP + BUCKETS)
    assert np.isfinite(record["heldout_mlm_loss"]) and record["heldout_mlm_loss"] < np.log(TOP + BUCKETS) + 1
    assert json.loads((tmp_path / "run" / "config.json").read_text())["tokenizer"] == "words"
    vocabulary, cache = open_token_cache(config)
    assert vocabulary == cache.target_vocabulary() and cache.words is not None
    # Fine-tuning (GLUE, `eelbert finetune`) reads the run's words by default; WordPiece models keep WordPiece.
    assert pretraining_tokenizer(str(tmp_path / "run")) == "words"
    assert pretraining_tokenizer("eelbert_uno_en") == pretraining_tokenizer("eelbert_uno") == "wordpiece"
    # Shipped as a preset (tools/pretrain_presets.py, recipe words_v2): no MLM head, the run's held-out figures.
    presets = tmp_path / "presets"
    preset_writer.export_preset(tmp_path / "run", "eelbert_words_test_en", presets_dir=presets)
    shipped = preset_writer.record_shipped_evaluation(
        "eelbert_words_test_en", {"loss": record["heldout_mlm_loss"], "accuracy": record["heldout_mlm_accuracy"]},
        None, presets_dir=presets)["shipped"]
    assert shipped["mlm_head_weights"] is None and shipped["heldout_mlm_loss"] == record["heldout_mlm_loss"]
    monkeypatch.setattr(shipped_presets, "PRESETS_DIR", presets)
    assert pretraining_tokenizer("eelbert_words_test_en") == "words"
    assert pretrained.load_pretrained_backbone("eelbert_words_test_en").dropout == record["backbone_config"]["dropout"]
    with pytest.raises(ValueError, match="ships no MLM head"):
        evaluate_preset("eelbert_words_test_en", presets_dir=presets)


def test_words_settings_are_checked_and_keep_wordpiece_fingerprints():
    with pytest.raises(ValueError, match="needs a hash embedding"):
        PretrainConfig(preset="bert_tiny", out_dir="x", tokens=10**6, tokenizer="words").validate()
    with pytest.raises(ValueError, match="'separate' MLM head"):
        PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, tokenizer="words",
                       mlm_head="hash_tied").validate()
    with pytest.raises(ValueError, match="`tokenizer` must be one of"):
        PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, tokenizer="bpe").validate()
    wordpiece = PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6)
    assert wordpiece.fingerprint() == PretrainConfig(preset="eelbert_uno", out_dir="y", tokens=10**6,
                                                     target_words=5).fingerprint()
    assert wordpiece.fingerprint() != PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6,
                                                     tokenizer="words").fingerprint()
