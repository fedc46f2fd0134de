"""Reading speed of the pretraining data: cache order against the seeded permutation.

    python bench/archive/data_order_read.py [--batches 300]

Reads the 16.4M-token pilot cache (runs/cache_16M, built by bench/archive/recipe_pilots.py) through
`training_dataset` (masking included) and through `sequence_batches` alone (the memory-mapped
reads), in both orders, alternating rounds so that both see the same machine load. Writes the
"Training data reading" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402

CACHE = "runs/cache_16M"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from eelbert_tf.data_paths import default_vocabulary_path
    from eelbert_lite.vocabulary import load_vocabulary
    from eelbert_tf.pretraining.pipeline import sequence_batches, training_dataset, training_order
    from eelbert_tf.pretraining.token_cache import TokenCache

    cache = TokenCache(CACHE)
    vocabulary = load_vocabulary(default_vocabulary_path())
    tokens = args.batches * 64 * cache.sequence_length
    rates = {(kind, order): [] for kind in ("reads", "pipeline") for order in ("in_order", "shuffled")}
    for round_ in range(args.rounds):
        for name in ("in_order", "shuffled"):
            order = training_order(cache.num_train_sequences, round_, name)
            start = time.perf_counter()
            for _ in sequence_batches(cache, order, 64, num_batches=args.batches):
                pass
            rates[("reads", name)].append(tokens / (time.perf_counter() - start))
            dataset, _ = training_dataset(cache, vocabulary, "tokens", 64, num_batches=args.batches, order=order)
            start = time.perf_counter()
            for _ in dataset:
                pass
            rates[("pipeline", name)].append(tokens / (time.perf_counter() - start))
    rows = [f"| {kind} | {name} | {statistics.median(v):,.0f} |" for (kind, name), v in rates.items()]
    body = "\n".join([
        f"{args.batches} batches of 64 x {cache.sequence_length} from the {cache.num_train_sequences:,}-sequence pilot "
        f"cache, median of {args.rounds} alternating rounds (each round a fresh permutation seed). `reads`: the "
        "memory-mapped rows alone; `pipeline`: `training_dataset` as training reads it (masking, token strings).",
        "",
        "| what | data order | tokens/s |",
        "|---|---|---:|",
        *rows,
        "",
        "Training itself runs at about 25K tokens/s on one core (BENCHMARKS.md, pilots), far below either.",
    ])
    _report.write_section("Training data reading", body, "python bench/archive/data_order_read.py")
    print(body)


if __name__ == "__main__":
    main()
