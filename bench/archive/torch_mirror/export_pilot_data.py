"""Writes the data of the PyTorch recipe pilots (`bench/archive/torch_mirror/pilots.py`) from the package's token cache.

    python bench/archive/torch_mirror/export_pilot_data.py --cache runs/cache_123M --sequences 200000 --out .pilot

The pilots run on a lent GPU machine that has PyTorch but no TensorFlow, so everything TF computes is
computed here, with the package's own code, and carried: the first `--sequences` training sequences in
the order the TF trainer reads them (`training_order`, seed 0: the sequences a `shuffled_v2` run sees
first, in the same order), the cache's pre-masked validation set (the held-out loss every record
reports), and the WordPiece vocabulary, whose hash vectors the pilots compute there with the specification's
NumPy reference (`eelbert_lite/hashing.py`, which needs no TensorFlow). Token ids
and pairs are xz-compressed raw arrays, so that they fit the machine's 64 MiB transfer.
"""

from __future__ import annotations

import argparse
import json
import lzma
import pathlib
import sys
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))


def main(argv=None):
    from eelbert_tf.data_paths import default_vocabulary_path
    from eelbert_lite.hashing import embed_tokens
    from eelbert_lite.vocabulary import load_vocabulary
    from eelbert_tf.pretraining.pipeline import order_fingerprint, training_order
    from eelbert_tf.pretraining.token_cache import TokenCache

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", required=True, help="a built token cache folder (e.g. runs/cache_123M)")
    p.add_argument("--sequences", type=int, default=200_000, help="training sequences to carry")
    p.add_argument("--seed", type=int, default=0, help="the data-order seed of the TF runs")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", required=True)
    p.add_argument("--record", default=None, help="also write the meta data here (the committed record of the data)")
    a = p.parse_args(argv)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = TokenCache(a.cache)
    order = training_order(cache.num_train_sequences, a.seed, "shuffled")
    rows = order[: a.sequences]
    ids = np.asarray(cache.train_token_ids[np.sort(rows)])[np.argsort(np.argsort(rows))]
    pairs = np.asarray(cache.train_pairs[np.sort(rows)])[np.argsort(np.argsort(rows))]
    assert (ids[0] == cache.train_token_ids[rows[0]]).all()
    t = time.time()
    (out / "train_ids.u16.xz").write_bytes(lzma.compress(ids.astype("<u2").tobytes(), preset=6))
    (out / "train_pairs.i16.xz").write_bytes(lzma.compress(pairs.astype("<i2").tobytes(), preset=6))
    print(f"compressed {ids.size:,} tokens in {time.time() - t:.0f} s", flush=True)
    v = cache.validation()
    np.savez_compressed(out / "validation.npz", **{k: v[k] for k in
                        ("token_ids_masked", "pairs", "mask_positions", "mask_ids", "mask_weights")})
    vocabulary = load_vocabulary(default_vocabulary_path(a.data_dir))
    # The hash vectors are computed where the pilots run, by the same reference (eelbert_lite/hashing.py, NumPy
    # only), from this vocabulary: 2 seconds, against 16 MB to carry.
    (out / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    check = embed_tokens(vocabulary[1000:1010], 128)
    # How much running text the commonest tokens are (the `top_table` pilots give those tokens trainable rows).
    counts = np.bincount(ids.reshape(-1), minlength=len(vocabulary))
    counts[[vocabulary.index(t) for t in ("[PAD]", "[CLS]", "[SEP]", "[MASK]")]] = 0
    ranked = np.sort(counts)[::-1]
    coverage = {str(k): round(float(ranked[:k].sum() / ranked.sum()), 4) for k in (128, 1024, 4096)}
    meta = {"cache": str(a.cache), "cache_sha256": cache.sha256(), "sequences": int(a.sequences),
            "sequence_length": int(cache.sequence_length), "order_seed": a.seed,
            "order_fingerprint": order_fingerprint(order), "vocabulary_size": len(vocabulary),
            "special": {t: vocabulary.index(t) for t in ("[PAD]", "[CLS]", "[SEP]", "[MASK]")},
            "top_token_coverage": coverage, "hash_check": {"tokens": "1000:1010", "sum": float(check.astype(np.float64).sum())}}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    if a.record:
        pathlib.Path(a.record).write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps(meta), flush=True)


if __name__ == "__main__":
    main()
