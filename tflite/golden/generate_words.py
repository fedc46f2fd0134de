"""Writes words_golden.json from the NumPy reference of the word tokenizer (`eelbert_lite.words`)
and of the hash (`eelbert_lite.hashing`).

Run only when the specification changes on purpose (and bump WORDS_SPEC_VERSION):
    python tflite/golden/generate_words.py
Every implementation (TensorFlow graph, TFLite builtins, C) is tested against the file this writes.
"""

import json
import pathlib

import numpy as np

from eelbert_lite import hashing
from eelbert_lite import words as spec

OUT = pathlib.Path(__file__).with_name("words_golden.json")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Don't panic!", "It's 3.14, not 22/7 (roughly).", "e-mail: someone@example.com; URL https://a.b/c?d=1&e",
    "Hello,   World...", "ALL CAPS and MiXeD cAsE", "", " ", "\t\n\r\x0b\x0c", "!!!", "a",
    # Latin-1 capitals fold; the multiplication sign and other scripts do not
    "ÀÉÎÕÜ Ç Ñ Þ × ß àéîõü", "Ελληνικά ПРИВЕТ", "café naïve résumé",
    # General Punctuation: dashes, curly quotes, ellipsis, bullet, per mille, primes
    "“Quoted” — and ‘single’ – dash… ok • 5‰ 2′ 3″", "word—word", "‐‒―‖‗‰‱′″‴‵‶‷‸‹›※‼‽‾‿",
    # other scripts, emoji (no case, no split)
    "你好，世界。", "日本語のテキスト", "안녕하세요", "مرحبا بالعالم", "🙂👍🏽 👨‍👩‍👧", "e\u0301",
    # long words: pieces
    "telecommunications", "internationalization", "internationalizations", "a" * 20, "a" * 21, "a" * 22,
    "b" * 39, "b" * 40, "b" * 41, "pneumonoultramicroscopicsilicovolcanoconiosis",
    # control bytes and DEL separate
    "\x00ab\x01cd\x7fef", "tab\tseparated\x1fvalues",
]
RAW = [
    b"\xe2\x80", b"\xe2\x80\x8f", b"ab\xe2\x80\x93cd", b"\xe2\x80\xe2\x80\x94", b"\xc3\x97\xc3\x80\xc3",
    b"\xc3\x41", b"\xff\xfe A \xc3", b"x\xe2\x80\xbfy\xe2\x80\xc0z",
]
CONFIGS = [dict(name="default", max_word_bytes=spec.DEFAULT_MAX_WORD_BYTES, vectors=True),
           dict(name="short_pieces", max_word_bytes=5, vectors=False),
           dict(name="minimum", max_word_bytes=3, vectors=False)]
HASH = dict(dim=16, hash_type="ngram_pooling", ngram_orders=[3], seed=0)


def main():
    texts = [t.encode("utf-8") for t in TEXTS] + RAW
    configs = []
    for cfg in CONFIGS:
        rows = []
        for text in texts:
            tokens = spec.tokenize(text, cfg["max_word_bytes"])
            row = {"utf8_hex": text.hex(), "tokens_hex": [t.hex() for t in tokens]}
            try:
                row["text"] = text.decode("utf-8")
                row["tokens"] = [t.decode("utf-8") for t in tokens]
            except UnicodeDecodeError:
                pass
            if cfg["vectors"]:
                vectors = hashing.embed_tokens(tokens, HASH["dim"], HASH["hash_type"], HASH["ngram_orders"],
                                               HASH["seed"]) if tokens else np.zeros((0, HASH["dim"]), np.float32)
                row["vectors"] = [[float(v) for v in np.asarray(vec, np.float32)] for vec in vectors]
            rows.append(row)
        configs.append({"name": cfg["name"], "max_word_bytes": cfg["max_word_bytes"], "texts": rows})
    doc = {
        "words_spec_version": spec.WORDS_SPEC_VERSION,
        "words_spec_fingerprint": spec.words_spec_fingerprint(),
        "hash_spec_fingerprint": hashing.spec_fingerprint(),
        "hash": HASH,
        "about": "Golden tokens of the vocabulary-free word tokenizer (docs/hash_spec.md, section 9) and, for "
        "the default setting, each token's hash vector (float32 values as decimals that round-trip).",
        "configs": configs,
    }
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
