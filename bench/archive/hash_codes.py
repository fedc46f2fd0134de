"""What the two hash embeddings give the encoder: the fixed code of every WordPiece token, n-gram pooled
(EELBERT) against one pseudo-random vector per whole token (the paper's random-hash ablation).

    python bench/archive/hash_codes.py [--sample 2000]

For every non-special token of the BERT uncased vocabulary (the one the presets use): the code's length
(L2 norm), the cosine to its nearest other token (over a seeded sample of tokens, against the whole
vocabulary), the mean |cosine| of random pairs, and a few nearest neighbours; then, for each shipped hash
preset, the mean length of its trained position + segment embeddings, which the embeddings LayerNorm adds to
the code before normalizing. Writes the "Hash codes" section of BENCHMARKS.md. A few seconds on one core.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402

HASH_TYPES = {"ngram_pooling": "n-gram pooled (EELBERT)", "whole_token": "whole token (random hash)"}
EXAMPLES = ("running", "##ing", "paris", "good")
PRESETS = {"eelbert_tiny_en": "ngram_pooling", "eelbert_uno_en": "ngram_pooling",
           "random_hash_tiny_en": "whole_token"}


def code_statistics(tokens, hash_type, sample, seed=0, dim=128):
    import eelbert_tf

    codes = np.asarray(eelbert_tf.embed_tokens(tokens, dim=dim, hash_type=hash_type), dtype=np.float64)
    norms = np.linalg.norm(codes, axis=1)
    unit = codes / norms[:, None]
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(tokens), min(sample, len(tokens)), replace=False)
    cos = unit[picked] @ unit.T
    cos[np.arange(len(picked)), picked] = -np.inf
    nearest = cos.max(axis=1)
    half = len(picked) // 2
    pairs = np.abs((unit[picked[:half]] * unit[picked[half:2 * half]]).sum(axis=1))
    neighbours = {}
    for word in EXAMPLES:
        i = tokens.index(word)
        c = unit @ unit[i]
        c[i] = -np.inf
        top = np.argsort(-c)[:3]
        neighbours[word] = [(tokens[j], float(c[j])) for j in top]
    return {"norm_mean": float(norms.mean()), "norm_median": float(np.median(norms)),
            "nearest_cos_mean": float(nearest.mean()), "nearest_cos_over_0.8": float((nearest > 0.8).mean()),
            "pair_abs_cos_mean": float(pairs.mean()), "neighbours": neighbours}


def position_lengths(preset):
    """Mean L2 norm of position_i + segment_0 over the 128 positions of a shipped preset's trained weights."""
    import eelbert_tf

    backbone = eelbert_tf.EelbertBackbone.from_preset(preset)
    positions = np.asarray(backbone.position_embedding.position_embeddings)[:128]
    segment = np.asarray(backbone.segment_embedding.embeddings)[0]
    return float(np.linalg.norm(positions + segment, axis=1).mean())


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=2000, help="tokens whose nearest neighbour is searched")
    args = parser.parse_args(argv)
    from eelbert_tf.data_paths import data_dir

    vocab = (data_dir() / "vocab" / "bert_uncased_vocab.txt").read_text(encoding="utf-8").splitlines()
    tokens = [t for t in vocab if not (t.startswith("[") and t.endswith("]"))]
    stats = {h: code_statistics(tokens, h, args.sample) for h in HASH_TYPES}
    lines = [
        f"The fixed codes of the {len(tokens):,} non-special tokens of the BERT uncased vocabulary, width 128 "
        f"(nearest neighbour over {args.sample:,} tokens drawn with seed 0, against the whole vocabulary; random "
        "pairs: the same tokens in pairs).", "",
        "| hash | mean length | median length | mean cosine to the nearest other token | tokens with a neighbour "
        "above 0.8 | mean abs. cosine, random pairs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for h, name in HASH_TYPES.items():
        s = stats[h]
        lines.append(f"| {name} | {s['norm_mean']:.2f} | {s['norm_median']:.2f} | {s['nearest_cos_mean']:.3f} | "
                     f"{100 * s['nearest_cos_over_0.8']:.1f}% | {s['pair_abs_cos_mean']:.3f} |")
    lines += ["", "Nearest neighbours (cosine):", ""]
    for h, name in HASH_TYPES.items():
        cells = "; ".join(f"`{w}`: " + ", ".join(f"`{t}` {c:.2f}" for t, c in n)
                          for w, n in stats[h]["neighbours"].items())
        lines.append(f"- {name}: {cells}")
    lines += ["", "What the embeddings LayerNorm adds to the code in the shipped presets (mean length of the trained "
              "position + segment-0 embeddings over 128 positions) against the code's mean length:", ""]
    for preset, h in PRESETS.items():
        p = position_lengths(preset)
        lines.append(f"- `{preset}`: {p:.2f} against {stats[h]['norm_mean']:.2f} (ratio {p / stats[h]['norm_mean']:.2f})")
    _report.write_section("Hash codes", "\n".join(lines), "python bench/archive/hash_codes.py")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
