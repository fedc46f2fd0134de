"""A real pretraining run, killed with SIGKILL and resumed; checkpoints refused when bad."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from eelbert_tf.pretraining import checkpoint as ckpt
from eelbert_tf.pretraining.token_cache import TokenCache, build_token_cache
from eelbert_tf.pretraining.trainer import PretrainConfig
from tests.conftest import REPO

SEQ, BATCH, STEPS = 32, 8, 24


def _command(out, corpus_file, cache, *extra):
    return [
        sys.executable, "-m", "eelbert_tf", "pretrain", "--preset", "eelbert_uno",
        "--tokens", str(SEQ * BATCH * STEPS), "--out", str(out), "--corpus", str(corpus_file),
        "--cache-dir", str(cache), "--batch-size", str(BATCH), "--sequence-length", str(SEQ),
        "--validation-sequences", "32", "--checkpoint-every", "4", "--log-every", "2", *extra,
    ]


def test_token_cache_is_deterministic_and_reused(tmp_path, corpus_file, real_vocab_path):
    a = build_token_cache([corpus_file], tmp_path / "a", SEQ * 200, vocabulary=real_vocab_path,
                          sequence_length=SEQ, validation_sequences=32, log=lambda *_: None)
    b = build_token_cache([corpus_file], tmp_path / "b", SEQ * 200, vocabulary=real_vocab_path,
                          sequence_length=SEQ, validation_sequences=32, log=lambda *_: None)
    ca, cb = TokenCache(a), TokenCache(b)
    assert ca.sha256() == cb.sha256()
    np.testing.assert_array_equal(ca.train_token_ids, cb.train_token_ids)
    assert (ca.train_token_ids[:, 0] == 101).all()  # every sequence starts with [CLS]
    lengths = ca.train_pairs[:, 1]
    assert (ca.train_token_ids[np.arange(len(lengths)), lengths - 1] == 102).all()  # ... ends with [SEP]
    with pytest.raises(ValueError, match="other settings"):
        build_token_cache([corpus_file], tmp_path / "a", SEQ * 100, vocabulary=real_vocab_path,
                          sequence_length=SEQ, validation_sequences=32, log=lambda *_: None)
    with pytest.raises(ValueError, match="holds only"):
        build_token_cache([corpus_file], tmp_path / "c", SEQ * 10**7, vocabulary=real_vocab_path,
                          sequence_length=SEQ, validation_sequences=32, log=lambda *_: None)


@pytest.mark.slow
def test_sigkill_then_resume_finishes_with_the_same_schedule(tmp_path, corpus_file):
    out, cache = tmp_path / "run", tmp_path / "cache"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_command(out, corpus_file, cache), cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 240
    while time.time() < deadline:
        latest = ckpt.latest_checkpoint(out / "checkpoints") if (out / "checkpoints").exists() else None
        if latest is not None and json.loads((latest / "state.json").read_text())["step"] >= 8:
            break
        if proc.poll() is not None:
            pytest.fail("the run ended before it could be killed:\n" + proc.stdout.read().decode()[-3000:])
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads((ckpt.latest_checkpoint(out / "checkpoints") / "state.json").read_text())
    assert 8 <= killed_at["step"] < STEPS
    assert killed_at["sequences_consumed"] == killed_at["step"] * BATCH

    # Without --resume the run refuses to overwrite; with it, it continues and finishes.
    refused = subprocess.run(_command(out, corpus_file, cache), cwd=REPO, capture_output=True, text=True)
    assert refused.returncode != 0 and "already holds checkpoints" in refused.stderr
    resumed = subprocess.run(_command(out, corpus_file, cache, "--resume"), cwd=REPO, capture_output=True,
                             text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resumed from ckpt-{killed_at['step']:08d}" in resumed.stdout
    record = json.loads((out / "record.json").read_text())
    assert record["steps"] == STEPS and record["tokens_seen"] == STEPS * BATCH * SEQ
    assert np.isfinite(record["heldout_mlm_loss"])
    assert record["train_loss_reduction"] == "mean_with_sample_weight"  # logged losses are per masked token
    from eelbert_tf.pretraining.pipeline import order_fingerprint, training_order

    order = record["data"]["order"]
    assert order["data_order"] == "shuffled" and order["seed"] == 0
    assert order["fingerprint"] == order_fingerprint(training_order(TokenCache(cache).num_train_sequences, 0))
    assert json.loads((ckpt.latest_checkpoint(out / "checkpoints") / "state.json").read_text())[
        "order_fingerprint"] == order["fingerprint"]
    # Both sessions are recorded, with the step each started from.
    assert [s["start_step"] for s in record["sessions"]] == [0, killed_at["step"]]
    assert all(s["commit"] for s in record["sessions"])
    # The log covers every interval once the kill is accounted for, with the schedule's learning rates.
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == STEPS
    config = PretrainConfig.from_dict(json.loads((out / "config.json").read_text()))
    # `eelbert pretrain` defaults to the shipped presets' recipe (shuffled_v2): peak 2e-3, 10% warm-up, no dropout.
    assert (config.learning_rate, config.warmup_ratio, config.backbone_arguments()) == (2e-3, 0.1, {"dropout": 0.0})
    from eelbert_tf.schedules import make_schedule

    schedule = make_schedule(config.learning_rate, int(config.warmup_ratio * STEPS), STEPS)
    for row in rows:
        assert row["learning_rate"] == pytest.approx(float(schedule(row["step"] - 1)), rel=1e-5)
    assert {r["step"] for r in rows} >= set(range(killed_at["step"] + 2, STEPS + 1, 2))

    # The recorded held-out loss is reproduced from the run folder exactly, and from a shipped preset
    # (backbone as exported, float16 MLM head kept apart) to float16 rounding.
    from eelbert_tf.models.preset_writer import export_preset
    from eelbert_tf.pretraining.evaluation import evaluate_preset, evaluate_run, export_mlm_head

    quiet = lambda *_: None  # noqa: E731
    assert evaluate_run(out, cache_dir=cache, log=quiet)["loss"] == record["heldout_mlm_loss"]
    export_preset(out, "eelbert_test_en", presets_dir=tmp_path / "presets", config_updates={"dropout": 0.1})
    assert json.loads((tmp_path / "presets" / "eelbert_test_en" / "config.json").read_text())["config"]["dropout"] == 0.1
    assert json.loads((tmp_path / "presets" / "eelbert_test_en" / "record.json").read_text())["shipped"][
        "config_updates"] == {"dropout": 0.1}
    with pytest.raises(ValueError, match="not backbone settings"):
        export_preset(out, "eelbert_bad_en", presets_dir=tmp_path / "presets", config_updates={"dropot": 0.0})
    # A shipped config changes without touching the weights, and the backbone's fingerprint follows it (so GLUE
    # results of the former config are not reused).
    from eelbert_tf.models.preset_writer import set_shipped_config
    from eelbert_tf.models.pretrained import preset_fingerprint

    folder = tmp_path / "presets" / "eelbert_test_en"
    weights, fingerprint = (folder / "model.weights.h5").read_bytes(), preset_fingerprint(folder)
    assert set_shipped_config("eelbert_test_en", None, presets_dir=tmp_path / "presets") == {
        k: v for k, v in record["backbone_config"].items() if k not in ("name", "trainable")}
    assert "config_updates" not in json.loads((folder / "record.json").read_text())["shipped"]
    assert (folder / "model.weights.h5").read_bytes() == weights and preset_fingerprint(folder) != fingerprint
    set_shipped_config("eelbert_test_en", {"dropout": 0.1}, presets_dir=tmp_path / "presets")
    assert preset_fingerprint(folder) == fingerprint
    head = export_mlm_head(out, tmp_path / "heads" / "eelbert_test_en.npz")
    shipped = evaluate_preset("eelbert_test_en", head, cache_dir=cache, log=quiet, presets_dir=tmp_path / "presets")
    assert shipped["loss"] == pytest.approx(record["heldout_mlm_loss"], rel=1e-3)
    assert shipped["loss"] != record["heldout_mlm_loss"]  # the head really went through float16


@pytest.mark.slow
def test_corrupt_and_mismatched_checkpoints_are_refused(tmp_path, corpus_file):
    out, cache = tmp_path / "run", tmp_path / "cache"
    first = subprocess.run(_command(out, corpus_file, cache, "--stop-after-steps", "4"), cwd=REPO,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-3000:]
    mismatched = subprocess.run(_command(out, corpus_file, cache, "--resume", "--learning-rate", "0.01"),
                                cwd=REPO, capture_output=True, text=True)
    assert mismatched.returncode == 2 and "another config" in mismatched.stderr
    assert "Traceback" not in mismatched.stderr
    # A checkpoint whose recorded data order differs from the one this cache and seed give is refused
    # by name (another cache with equal settings cannot happen, so the state file is edited).
    state_file = ckpt.latest_checkpoint(out / "checkpoints") / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "order_fingerprint": "0" * 16}))
    reordered = subprocess.run(_command(out, corpus_file, cache, "--resume"), cwd=REPO, capture_output=True,
                               text=True)
    assert reordered.returncode == 2 and "Traceback" not in reordered.stderr
    assert "another data order" in reordered.stderr and "ckpt-00000004" in reordered.stderr
    state_file.write_text(json.dumps(state))
    weights = ckpt.latest_checkpoint(out / "checkpoints") / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    corrupt = subprocess.run(_command(out, corpus_file, cache, "--resume"), cwd=REPO, capture_output=True,
                             text=True)
    assert corrupt.returncode == 2 and "Traceback" not in corrupt.stderr
    assert "model.weights.h5 is corrupt" in corrupt.stderr and "ckpt-00000004" in corrupt.stderr


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="Unknown pretraining settings: \\['learning_rat'\\]"):
        PretrainConfig.from_dict({"preset": "eelbert_uno", "out_dir": "x", "tokens": 10, "learning_rat": 1})
    with pytest.raises(ValueError, match="less than one batch"):
        PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10).validate()


def test_backbone_overrides_are_checked_and_keep_old_fingerprints():
    import dataclasses
    import hashlib

    plain = PretrainConfig(preset="eelbert_uno", out_dir="x", tokens=10**6, data_order="in_order",
                           masking="keras_hub", dropout=None)
    # The fingerprint of an in-order, keras-hub-masked run without overrides (the preset's own dropout, the API's
    # default before `dropout` existed) is the one it had before these fields existed, so that runs and
    # checkpoints from then still resume; the strategy changes no fingerprint (a run may resume under another).
    ignore = {"out_dir", "resume", "checkpoint_every", "log_every", "stop_after_steps", "cache_dir", "data_dir",
              "threads", "backbone_overrides", "dropout", "data_order", "masking", "strategy", "worker_timeout",
              "tokenizer", "max_word_bytes", "target_words", "target_buckets"}
    before = {k: v for k, v in dataclasses.asdict(plain).items()
              if k not in ignore and k != "teacher" and not k.startswith("distill_")}  # distillation: none
    assert plain.fingerprint() == hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    assert dataclasses.replace(plain, backbone_overrides={}).fingerprint() == plain.fingerprint()
    # Today's default (no dropout) is what `eelbert pretrain` wrote as an override before the field.
    assert dataclasses.replace(plain, dropout=0.0).fingerprint() == \
        dataclasses.replace(plain, backbone_overrides={"dropout": 0.0}).fingerprint() != plain.fingerprint()
    assert dataclasses.replace(plain, strategy="multi-worker").fingerprint() == plain.fingerprint()
    assert dataclasses.replace(plain, masking="per_batch").fingerprint() != plain.fingerprint()
    pre_ln = dataclasses.replace(plain, backbone_overrides={"normalize_first": True})
    pre_ln.validate()
    assert pre_ln.fingerprint() != plain.fingerprint()
    with pytest.raises(ValueError, match="Unknown backbone arguments \\['normalise_first'\\]"):
        dataclasses.replace(plain, backbone_overrides={"normalise_first": True}).validate()
    shuffled = dataclasses.replace(plain, data_order="shuffled")
    assert shuffled.fingerprint() != plain.fingerprint()
    with pytest.raises(ValueError, match="`data_order` must be one of"):
        dataclasses.replace(plain, data_order="random").validate()


def test_cli_backbone_arg_parsing():
    from eelbert_tf.cli import _key_value

    assert _key_value("normalize_first=true") == ("normalize_first", True)
    assert _key_value("ngram_orders=[3, 4]") == ("ngram_orders", [3, 4])
    assert _key_value("activation=relu") == ("activation", "relu")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        _key_value("normalize_first")
