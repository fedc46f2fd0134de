"""Distillation in pretraining: the terms, the frozen teacher, the run's record and resume, refusals."""

import json

import numpy as np
import pytest

from eelbert_tf.pretraining.distillation import (
    DistilledMaskedLM,
    MaskedLMTeacherError,
    default_layer_map,
    load_masked_lm_teacher,
)
from eelbert_tf.models.eelbert_masked_lm import build_variables
from eelbert_tf.pretraining.trainer import PretrainConfig, pretrain

SEQ, BATCH, STEPS = 32, 8, 8


def test_default_layer_map_is_uniform():
    assert default_layer_map(1, 2) == [2]
    assert default_layer_map(2, 2) == [1, 2]
    assert default_layer_map(2, 4) == [2, 4]
    assert default_layer_map(4, 2) == [1, 1, 2, 2]


def _batch(vocabulary, length=12, masks=3, seed=0):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, 5000, size=(2, length)).astype(np.int32)
    ids[:, 0], ids[1, 8:] = 101, 0  # [CLS]; the second sequence is padded
    padding = (ids != 0).astype(np.int32)
    return {"token_ids": tf.constant(ids), "tokens": tf.constant(np.asarray(vocabulary, object)[ids]),
            "segment_ids": tf.zeros_like(ids), "padding_mask": tf.constant(padding),
            "mask_positions": tf.constant([[1, 2, 3], [4, 5, 0]], tf.int32),
            "mask_weights": tf.constant([[1, 1, 1], [1, 1, 0]], tf.float32)}


@pytest.fixture(scope="module")
def vocabulary(real_vocab_path):
    from eelbert_lite.vocabulary import load_vocabulary

    return load_vocabulary(real_vocab_path)


def test_a_student_equal_to_its_teacher_has_zero_distillation_terms(vocabulary):
    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM
    from eelbert_tf.models.pretrained import load_pretrained_backbone

    teacher, info = load_masked_lm_teacher("bert_tiny_en", vocabulary, "wordpiece", log=lambda *_: None)
    student = EelbertMaskedLM(load_pretrained_backbone("bert_tiny_en"), vocabulary)
    build_variables(student)
    student.set_weights(teacher.get_weights())
    model = DistilledMaskedLM(student, teacher)
    x = _batch(vocabulary)
    logits = model(x, training=False)
    np.testing.assert_allclose(logits.numpy(), teacher({k: x[k] for k in teacher.input}).numpy(), atol=1e-5)
    for name, tracker in model.term_trackers.items():
        assert abs(float(tracker.result())) < 1e-5, name
    assert info["weights_fingerprint"] and info["num_layers"] == 2 and info["heldout_mlm_loss"] == pytest.approx(4.39,
                                                                                                                abs=0.01)


def test_the_teacher_stays_frozen_and_out_of_checkpoints_while_the_student_learns(vocabulary):
    import keras

    from eelbert_tf.models.eelbert_masked_lm import build_masked_lm
    from eelbert_tf.pretraining.loss import MaskedLMLoss

    teacher, _ = load_masked_lm_teacher("bert_tiny_en", vocabulary, "wordpiece", log=lambda *_: None)
    before = [w.copy() for w in teacher.get_weights()]
    student = build_masked_lm("eelbert_uno", vocabulary, dropout=0.0)
    model = DistilledMaskedLM(student, teacher, hidden=1.0, attention=1.0)
    build_variables(model, teacher_inputs=True)
    assert {id(w) for w in model.weights}.isdisjoint({id(w) for w in teacher.weights})
    assert len(model.trainable_weights) == len(student.trainable_weights)  # equal widths: no projection
    x = _batch(vocabulary)
    y = np.array([[2000, 2001, 2002], [2003, 2004, 0]], np.int32)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=MaskedLMLoss())
    start = model.evaluate(x, y, sample_weight=x["mask_weights"], verbose=0, return_dict=True)
    for _ in range(5):
        model.train_on_batch(x, y, sample_weight=x["mask_weights"])
    end = model.evaluate(x, y, sample_weight=x["mask_weights"], verbose=0, return_dict=True)
    assert end["loss"] < start["loss"] and {"kl_loss", "hidden_loss", "attention_loss"} <= set(end)
    for a, b in zip(before, teacher.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_widths_that_differ_get_a_projection_and_heads_that_differ_are_refused(vocabulary):
    from eelbert_tf.models.eelbert_masked_lm import build_masked_lm

    teacher, _ = load_masked_lm_teacher("bert_tiny_en", vocabulary, "wordpiece", log=lambda *_: None)
    wide = build_masked_lm("eelbert_uno", vocabulary, hidden_dim=64, intermediate_dim=128)
    model = DistilledMaskedLM(wide, teacher, attention=0.0)
    build_variables(model, teacher_inputs=True)
    assert model.describe()["projection_parameters"] == 64 * 128 + 128
    four_heads = build_masked_lm("eelbert_uno", vocabulary, num_heads=4)
    with pytest.raises(MaskedLMTeacherError, match="student has 4 heads, the teacher 2"):
        DistilledMaskedLM(four_heads, teacher)
    with pytest.raises(MaskedLMTeacherError, match="layer map"):
        DistilledMaskedLM(build_masked_lm("eelbert_uno", vocabulary), teacher, layer_map=[3])


def test_teachers_that_cannot_teach_are_refused(vocabulary, tmp_path):
    with pytest.raises(MaskedLMTeacherError, match="words tokenizer"):
        load_masked_lm_teacher("bert_tiny_en", vocabulary, "words")
    with pytest.raises(MaskedLMTeacherError, match="names no MLM head"):
        load_masked_lm_teacher("eelbert_uno_words_en", vocabulary, "wordpiece")
    with pytest.raises(MaskedLMTeacherError, match="vocabulary of 30,522 tokens; the student's has 100"):
        load_masked_lm_teacher("bert_tiny_en", vocabulary[:100], "wordpiece")
    with pytest.raises(MaskedLMTeacherError, match="neither a shipped preset"):
        load_masked_lm_teacher(str(tmp_path), vocabulary, "wordpiece")
    with pytest.raises(ValueError, match="words tokenizer's student"):
        PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, teacher="bert_tiny_en",
                       tokenizer="words").validate()
    with pytest.raises(ValueError, match="distill_hidden"):
        PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, teacher="bert_tiny_en",
                       distill_hidden=-1).validate()


def test_runs_without_a_teacher_keep_their_fingerprint():
    plain = PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6)
    same = PretrainConfig(preset="eelbert_uno", out_dir="y", tokens=10**6, distill_kl=3.0)  # no teacher: unused
    taught = PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, teacher="bert_tiny_en")
    assert plain.fingerprint() == same.fingerprint() != taught.fingerprint()
    assert taught.fingerprint() != PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6,
                                                  teacher="bert_tiny_en", distill_attention=0.0).fingerprint()


@pytest.mark.slow
def test_a_distilled_run_stops_resumes_and_records_its_teacher(tmp_path, corpus_file):
    base = dict(preset="eelbert_uno", tokens=SEQ * BATCH * STEPS, corpus=[str(corpus_file)],
                cache_dir=str(tmp_path / "cache"), batch_size=BATCH, sequence_length=SEQ, validation_sequences=32,
                checkpoint_every=2, log_every=2, teacher="bert_tiny_en")
    quiet = lambda *_: None  # noqa: E731
    out = tmp_path / "run"
    first = pretrain(PretrainConfig(out_dir=str(out), stop_after_steps=4, **base), log=quiet)
    assert first == {"step": 4, "total_steps": STEPS, "finished": False}
    state = json.loads((out / "checkpoints" / "ckpt-00000004" / "state.json").read_text())
    assert len(state["teacher_fingerprint"]) == 16
    # the checkpoint holds the student alone: of the vocabulary-sized matrices, only the student's MLM output
    # layer (bert_tiny_en would add its token table and its own output layer)
    import h5py

    big = []
    with h5py.File(out / "checkpoints" / "ckpt-00000004" / "model.weights.h5") as h5:
        h5["layers"].visititems(lambda name, obj: big.append(name) if getattr(obj, "size", 0) > 10**6 else None)
    assert len(big) == 1 and "masked_lm_head" in big[0], big
    state["teacher_fingerprint"] = "0" * 16  # as if another teacher had trained it
    other = tmp_path / "other"
    import shutil

    shutil.copytree(out, other)
    (other / "checkpoints" / "ckpt-00000004" / "state.json").write_text(json.dumps(state))
    from eelbert_tf.pretraining.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="trained on another teacher"):
        pretrain(PretrainConfig(out_dir=str(other), resume=True, **base), log=quiet)
    record = pretrain(PretrainConfig(out_dir=str(out), resume=True, **base), log=quiet)
    assert record["steps"] == STEPS and record["distillation"]["teacher"] == "bert_tiny_en"
    assert record["distillation"]["layer_map"] == [2] and np.isfinite(record["final_train_mlm_loss"])
    assert [s["start_step"] for s in record["sessions"]] == [0, 4]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert all({"kl_loss", "hidden_loss", "attention_loss", "mlm_loss"} <= set(line) for line in log)
    for line in log:  # the logged total is the MLM loss plus the weighted terms
        assert line["loss"] == pytest.approx(line["mlm_loss"] + line["kl_loss"] + line["hidden_loss"]
                                             + line["attention_loss"], rel=1e-6)
