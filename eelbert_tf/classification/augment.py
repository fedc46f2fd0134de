"""Text augmentation for task distillation: new training texts that a teacher labels.

A small student learns a teacher's function best from many inputs near the task's own
(Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into Simple Neural
Networks"; TinyBERT's data augmentation). The labels of these texts are the teacher's soft
scores, never the original's label, so a variant that changes the meaning is still a
correct example.

`augment_texts(texts, n, seed)` gives `n` variants of each text by Tang et al.'s three
rules, applied word by word (words are whitespace-separated):

- masking: with probability `p_mask` a word becomes `[MASK]` (the teacher learns what the
  rest of the text says without it);
- replacement: with probability `p_replace` a word becomes a word drawn from the corpus's
  own word distribution (Tang et al. draw a word of the same part of speech; we have no
  tagger that runs offline, and a frequency-drawn word keeps the text in the domain's
  vocabulary);
- n-gram sampling: with probability `p_ngram` the variant is cut to a random span of 1 to
  5 words.

The rules are NumPy only and seeded, so the same `(texts, n, seed)` gives the same
variants in every process: a teacher in another framework scores exactly the texts the
student will read (`eelbert augment` writes them; `teacher.py` reads the scores back).
A variant equal to its source text, or to one already drawn for it, is dropped, so a text
may get fewer than `n` variants (one-word texts, mostly); the count is reported.
"""

from __future__ import annotations

import collections

import numpy as np

MASK = "[MASK]"


def _word_distribution(texts):
    counts = collections.Counter(w for t in texts for w in t.split())
    words = sorted(counts)  # sorted: the distribution does not depend on the order of `texts`
    weights = np.asarray([counts[w] for w in words], np.float64)
    return words, weights / weights.sum()


def _variant(words, rng, vocabulary, cumulative, p_mask, p_replace, p_ngram):
    out = []
    for w in words:
        r = rng.random()
        if r < p_mask:
            out.append(MASK)
        elif r < p_mask + p_replace:
            out.append(vocabulary[min(int(np.searchsorted(cumulative, rng.random(), side="right")),
                                      len(vocabulary) - 1)])
        else:
            out.append(w)
    if len(out) > 1 and rng.random() < p_ngram:
        span = int(rng.integers(1, min(5, len(out)) + 1))
        start = int(rng.integers(0, len(out) - span + 1))
        out = out[start:start + span]
    return " ".join(out)


def augment_texts(texts, n: int, seed: int = 0, p_mask: float = 0.1, p_replace: float = 0.1,
                  p_ngram: float = 0.25, vocabulary_texts=None) -> list[list[str]]:
    """Up to `n` distinct variants of each text (see the module docstring); a list per text.

    `vocabulary_texts` (default `texts`) gives the word distribution of the replacement rule.
    """
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"The augmentation seed must be an integer (the same texts in every process). Received: {seed!r}")
    if n < 0:
        raise ValueError(f"--augment must be 0 or more variants per text. Received: {n}")
    for name, p in (("p_mask", p_mask), ("p_replace", p_replace), ("p_ngram", p_ngram)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"`{name}` must be a probability in [0, 1]. Received: {p}")
    if n == 0:
        return [[] for _ in texts]
    vocabulary, probabilities = _word_distribution(texts if vocabulary_texts is None else vocabulary_texts)
    if not vocabulary:
        return [[] for _ in texts]
    cumulative = np.cumsum(probabilities)
    rng = np.random.default_rng(seed)
    out = []
    for text in texts:
        words = text.split()
        seen, variants = {text, " ".join(words)}, []  # unchanged (up to spacing) is no variant
        for _ in range(n):
            v = _variant(words, rng, vocabulary, cumulative, p_mask, p_replace, p_ngram) if words else text
            if v not in seen:
                seen.add(v)
                variants.append(v)
        out.append(variants)
    return out


def augment_pairs(texts, pairs, n: int, seed: int = 0, **kwargs):
    """Variants of text pairs: both sides drawn by the same rules, each from its own seeded stream."""
    first = augment_texts(texts, n, seed, **kwargs)
    if pairs is None:
        return [[(t, None) for t in vs] for vs in first]
    second = augment_texts(pairs, n, seed + 1, **kwargs)
    out = []
    for a, b, vs, ws in zip(texts, pairs, first, second):
        # Pad the shorter side with its original text, so each variant changes at least one side.
        k = max(len(vs), len(ws))
        out.append([(vs[i] if i < len(vs) else a, ws[i] if i < len(ws) else b) for i in range(k)])
    return out
