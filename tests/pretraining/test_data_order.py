"""The training data order: one seeded permutation of the cache, read the same way after a resume."""

import json

import numpy as np
import pytest

from eelbert_tf.pretraining.pipeline import order_fingerprint, sequence_batches, training_order
from eelbert_tf.pretraining.token_cache import TokenCache

DOCS, WINDOWS, SEQ = 40, 12, 16  # 40 documents of 12 consecutive windows, as the cache lays them out


@pytest.fixture
def cache(tmp_path):
    """A cache whose every token names the document its window was cut from (document d: id 1000 + d)."""
    doc = np.repeat(np.arange(DOCS), WINDOWS)
    ids = np.repeat((1000 + doc)[:, None], SEQ, axis=1).astype(np.uint16)
    ids[:, 1] = np.tile(np.arange(WINDOWS), DOCS)  # window index within the document
    pairs = np.tile(np.array([[4, SEQ]], np.int16), (len(ids), 1))
    np.save(tmp_path / "train_token_ids.npy", ids)
    np.save(tmp_path / "train_pairs.npy", pairs)
    (tmp_path / "meta.json").write_text(json.dumps({"settings": {"sequence_length": SEQ}, "files": {}}))
    return TokenCache(tmp_path)


def _documents(batch):
    return set(batch[0][:, 0].tolist())


def test_consecutive_batches_draw_from_many_documents(cache):
    batch = 16
    in_order = list(sequence_batches(cache, training_order(cache.num_train_sequences, 0, "in_order"), batch))
    shuffled = list(sequence_batches(cache, training_order(cache.num_train_sequences, 0), batch))
    # In cache order two consecutive batches of 16 span at most 3 documents of 12 windows ...
    assert len(_documents(in_order[0]) | _documents(in_order[1])) <= 3
    # ... shuffled, the same two batches come from many (32 draws from 40 documents).
    for first, second in zip(shuffled, shuffled[1:]):
        assert len(_documents(first) | _documents(second)) >= 15
    # Every sequence is read exactly once per pass, none twice, none skipped.
    rows = np.concatenate([b[0][:, :2] for b in shuffled])
    assert len({tuple(r) for r in rows.tolist()}) == len(rows) == (cache.num_train_sequences // batch) * batch


def test_the_order_depends_on_the_seed_alone(cache):
    n = cache.num_train_sequences
    a, b, c = training_order(n, 0), training_order(n, 0), training_order(n, 1)
    np.testing.assert_array_equal(a, b)
    assert order_fingerprint(a) == order_fingerprint(b) != order_fingerprint(c)
    assert sorted(a.tolist()) == list(range(n))
    assert order_fingerprint(training_order(n, 0, "in_order")) != order_fingerprint(a)
    with pytest.raises(ValueError, match="data_order"):
        training_order(n, 0, "sorted")


def test_a_resumed_read_yields_the_batches_an_uninterrupted_one_does(cache):
    order = training_order(cache.num_train_sequences, 3)
    whole = list(sequence_batches(cache, order, 8))
    for stopped_after in (1, 7, len(whole) - 1):
        resumed = list(sequence_batches(cache, order, 8, start_sequence=stopped_after * 8))
        assert len(resumed) == len(whole) - stopped_after
        for (ids_a, pairs_a), (ids_b, pairs_b) in zip(whole[stopped_after:], resumed):
            np.testing.assert_array_equal(ids_a, ids_b)
            np.testing.assert_array_equal(pairs_a, pairs_b)
    # A batch holds the rows the order names, in the order it names them.
    np.testing.assert_array_equal(whole[2][0], cache.train_token_ids[order[16:24]].astype(np.int32))


def _vocabulary():
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(2000)]


def _all(dataset):
    return [(x, ids.numpy(), w.numpy()) for x, ids, w in dataset]


def test_per_batch_masks_are_the_same_resumed_and_split_across_workers(cache):
    """`masking="per_batch"`: a batch's masks depend on the seed and its position alone, so a resumed
    read, and the workers' shares of each batch put together, equal the uninterrupted read."""
    from eelbert_tf.pretraining.pipeline import training_dataset

    order, batch = training_order(cache.num_train_sequences, 0), 8
    read = lambda **kw: _all(training_dataset(cache, _vocabulary(), "token_ids", batch, order=order,  # noqa: E731
                                              masking="per_batch", seed=5, **kw)[0])
    whole = read()
    resumed = read(start_sequence=3 * batch)
    halves = [read(rows=(0, 4)), read(rows=(4, 8))]
    assert len(whole) == cache.num_train_sequences // batch and len(resumed) == len(whole) - 3
    for i, (x, ids, w) in enumerate(whole):
        assert 0 < w.sum() <= w.size and (x["token_ids"].numpy() == 4).any()  # masked, with [MASK]s
        for name in ("token_ids", "mask_positions"):
            if i >= 3:
                np.testing.assert_array_equal(resumed[i - 3][0][name], x[name])
            np.testing.assert_array_equal(np.concatenate([h[i][0][name] for h in halves]), x[name])
        np.testing.assert_array_equal(np.concatenate([h[i][1] for h in halves]), ids)
    other_seed = _all(training_dataset(cache, _vocabulary(), "token_ids", batch, order=order, masking="per_batch",
                                       seed=6)[0])
    assert not np.array_equal(other_seed[0][0]["mask_positions"], whole[0][0]["mask_positions"])
