"""The PyTorch mirror of pretraining (bench/archive/torch_mirror/pilots.py) computes what the package's TF model does.

The GPU recipe pilots (BENCHMARKS.md, "Pretraining pilots on a GPU") are evidence only if the mirror is the
same model, loss and schedule: here the Keras `EelbertMaskedLM`'s weights are copied into the mirror and both
must give the same logits, and the mirror's schedule, weight-decay groups and masking rule are checked
against the package's. Needs torch (CI installs the CPU build); skipped where it is absent.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "archive" / "torch_mirror"))

import pilots  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "sat", "on", "mat", "##s", "##ing",
         "dog", "run", ".", ",", "tiny", "model", "hash"]


def _keras_and_mirror(preset, pilot, **overrides):
    from eelbert_lite.hashing import embed_tokens
    from eelbert_tf.models.eelbert_masked_lm import build_masked_lm

    import keras

    keras.utils.set_random_seed(3)
    model = build_masked_lm(preset, VOCAB, vocabulary_size=len(VOCAB), dropout=0.0, **overrides)
    # Random values everywhere (LayerNorms and biases too), so that a weight copied to the wrong place shows.
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(0, 0.2, w.shape).astype("float32") + (1.0 if w.path.endswith("gamma") else 0.0))
    cfg = pilots.config_of(pilot, {"layers": model.backbone.num_layers, "prenorm": bool(overrides.get("normalize_first"))})
    table = embed_tokens(VOCAB, 128) if cfg["embedding"] != "table" else None
    mirror = pilots.build(cfg, table, len(VOCAB))
    pilots.load_keras_weights(mirror, {w.path: np.asarray(w.numpy()) for w in model.weights})
    return model, mirror


def _batch():
    rng = np.random.default_rng(1)
    ids = rng.integers(5, len(VOCAB), (3, 12)).astype(np.int32)
    ids[:, 0], ids[:, 5], ids[:, 9] = 2, 3, 3
    ids[2, 7:] = 0  # a padded row
    pairs = np.array([[6, 10], [6, 10], [6, 7]], np.int32)
    positions = np.array([[1, 2, 7], [3, 4, 8], [1, 6, 2]], np.int32)
    return ids, pairs, positions


@pytest.mark.parametrize("preset,pilot,overrides", [
    ("eelbert_uno", "eelbert_uno", {}),
    ("bert_tiny", "bert_tiny", {}),
    ("eelbert_tiny", "eelbert_tiny", {"normalize_first": True}),
])
def test_mirror_gives_the_keras_logits(preset, pilot, overrides):
    import tensorflow as tf

    model, mirror = _keras_and_mirror(preset, pilot, **overrides)
    ids, pairs, positions = _batch()
    segments, padding = pilots.segments_and_padding(torch, torch.as_tensor(pairs, dtype=torch.long), ids.shape[1])
    x = {"segment_ids": tf.constant(segments.numpy(), tf.int32), "padding_mask": tf.constant(padding.numpy(), tf.int32),
         "mask_positions": tf.constant(positions)}
    if model.backbone.embedding_type == "table":
        x["token_ids"] = tf.constant(ids)
    else:
        x["tokens"] = tf.constant(np.array(VOCAB, dtype=object)[ids])
    expected = model(x).numpy()
    with torch.no_grad():
        got = mirror(torch.as_tensor(ids, dtype=torch.long), segments, padding,
                     torch.as_tensor(positions, dtype=torch.long)).numpy()
    assert expected.shape == got.shape == (3, 3, len(VOCAB))
    np.testing.assert_allclose(got, expected, atol=2e-4, rtol=1e-4)


def test_segments_and_padding_match_the_tf_pipeline():
    import tensorflow as tf

    from eelbert_tf.pretraining.pipeline import _segment_and_padding

    ids, pairs, _ = _batch()
    tf_segments, tf_padding = _segment_and_padding(tf.constant(ids), tf.constant(pairs))
    segments, padding = pilots.segments_and_padding(torch, torch.as_tensor(pairs, dtype=torch.long), ids.shape[1])
    np.testing.assert_array_equal(segments.numpy(), tf_segments.numpy())
    np.testing.assert_array_equal(padding.numpy(), tf_padding.numpy())


def test_schedule_is_the_trainers():
    from eelbert_tf.schedules import make_schedule

    cfg = pilots.config_of("eelbert_uno", {"schedule_steps": 200})
    schedule = make_schedule(cfg["lr"], int(cfg["warmup"] * 200), 200)
    for step in (0, 1, 10, 19, 20, 21, 100, 199):
        assert pilots.lr_at(step, cfg) == pytest.approx(float(schedule(step)), rel=1e-5, abs=1e-9), step


def test_weight_decay_spares_biases_and_layer_norms_only():
    mirror = pilots.build(pilots.config_of("bert_tiny"), None, len(VOCAB))
    decay, no_decay = pilots.decay_groups(mirror)
    names = {id(p): n for n, p in mirror.named_parameters()}
    assert all(names[id(p)].endswith("bias") or "ln" in names[id(p)] for p in no_decay)
    assert {names[id(p)] for p in decay} >= {"table", "position", "segment", "blocks.0.q.weight", "head_dense.weight"}
    assert not any(names[id(p)].endswith("bias") or "_ln" in names[id(p)] for p in decay)


def test_masking_follows_keras_hubs_rule():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 1000, (4000, 128), generator=gen)
    ids[:, 0], ids[:, 64], ids[:, 127] = 2, 3, 3
    ids[:50, 100:] = 0
    masked, positions, targets, weights = pilots.mask_batch(torch, ids, [0, 2, 3], 4, 1000, 20, gen)
    chosen = weights.bool()
    rows = torch.arange(len(ids))[:, None].expand_as(positions)
    assert chosen.sum(1).min() >= 1 and chosen.sum(1).max() <= 20
    assert not torch.isin(ids[rows[chosen], positions[chosen]], torch.tensor([0, 2, 3])).any()  # no special token
    assert torch.equal(targets[chosen], ids[rows[chosen], positions[chosen]])
    unchosen = torch.ones_like(ids, dtype=torch.bool)
    unchosen[rows[chosen], positions[chosen]] = False
    assert torch.equal(masked[unchosen], ids[unchosen])  # only chosen positions change
    rate = chosen.sum().item() / ((ids != 0) & (ids != 2) & (ids != 3)).sum().item()
    assert 0.13 < rate < 0.15  # 15% selected, fewer where 20 per sequence caps it
    replaced = masked[rows[chosen], positions[chosen]]
    assert 0.78 < (replaced == 4).float().mean().item() < 0.82
    kept = (replaced == targets[chosen]).float().mean().item()
    assert 0.09 < kept < 0.12  # 10% kept, plus random draws that hit the same token
