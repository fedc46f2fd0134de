"""Writes hash_golden.json from the NumPy reference (`eelbert_lite.hashing`).

Run only when the specification changes on purpose (and bump SPEC_VERSION):
    python tflite/golden/generate.py
Every implementation is tested against the file this writes, not against this script.
"""

import json
import pathlib

import numpy as np

from eelbert_lite import hashing as spec

OUT = pathlib.Path(__file__).with_name("hash_golden.json")

TOKENS = [
    # ASCII words and pieces
    "the", "hello", "running", "embedding", "a", "i", "x", "telecommunications",
    "##s", "##ing", "##ed", "##ization", "##a", "##", "###", "#",
    # digits and punctuation
    "0", "7", "42", "2023", "3.14", ",", ".", "!", "?", "'", "-", "(", ")", "$", "%", "/",
    # special tokens and bracket forms
    "[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[unused0]", "[unused98]", "[", "]", "[]",
    "[a]", "[pad]",
    # accented Latin, other scripts, emoji
    "é", "café", "naïve", "ñ", "straße", "你", "世界", "日本語", "한국어", "привет", "مرحبا",
    "שלום", "🙂", "👍🏽", "👨‍👩‍👧", "e\u0301",
    # lengths and control bytes
    "", "q" * 100, "ab" * 50 + "c", "\x00", "\t", "a\x00b", "hello world",
]
INVALID_UTF8 = [b"\xff", b"\xc3", b"ab\xfe\xfdcd"]

CONFIGS = [
    dict(name="reference", dim=16, hash_type="ngram_pooling", ngram_orders=[3], seed=0, detail=True),
    dict(name="orders_2_3_4_seed", dim=8, hash_type="ngram_pooling", ngram_orders=[2, 3, 4], seed=12345, detail=False),
    dict(name="random_hash", dim=8, hash_type="whole_token", ngram_orders=[3], seed=0, detail=False),
]


def f32(x):
    return [float(v) for v in np.asarray(x, np.float32)]


def main():
    tokens = [t.encode("utf-8") for t in TOKENS] + INVALID_UTF8
    configs = []
    for cfg in CONFIGS:
        coefs = spec.dimension_coefficients(cfg["dim"], cfg["seed"])
        rows = []
        for tb in tokens:
            total, count = spec.embed_token_int(
                tb, cfg["dim"], cfg["hash_type"], cfg["ngram_orders"], cfg["seed"], coefficients=coefs
            )
            (vector,) = spec.embed_tokens([tb], cfg["dim"], cfg["hash_type"], cfg["ngram_orders"], cfg["seed"])
            row = {"utf8_hex": tb.hex()}
            try:
                row["text"] = tb.decode("utf-8")
            except UnicodeDecodeError:
                pass
            if cfg["detail"]:
                seqs = spec.hashed_sequences(tb, cfg["hash_type"], cfg["ngram_orders"])
                row["sequences"] = seqs
                row["hashes"] = [list(spec.hash_pair(s)) for s in seqs]
                row["total"] = [int(v) for v in total]
            row["count"] = count
            row["vector"] = f32(vector)
            rows.append(row)
        a, c, b = coefs
        configs.append({
            **{k: v for k, v in cfg.items() if k != "detail"},
            "coefficients": {"a": a.tolist(), "c": c.tolist(), "b": b.tolist()},
            "tokens": rows,
        })
    doc = {
        "spec_version": spec.SPEC_VERSION,
        "spec_fingerprint": spec.spec_fingerprint(),
        "about": "Golden vectors of the EELBERT hash embedding; see docs/hash_spec.md. "
        "Vectors are float32 values written as decimals that round-trip exactly.",
        "configs": configs,
    }
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({len(tokens)} tokens x {len(configs)} configs)")


if __name__ == "__main__":
    main()
