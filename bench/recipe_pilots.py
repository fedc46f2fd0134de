"""Pretraining recipe pilots: does any one change leave the unigram plateau sooner?

    python bench/recipe_pilots.py [--only NAME,...] [--threads 1]   # train missing pilots, write the table
    python bench/recipe_pilots.py --table-only

Every shipped preset ends its 61.44M tokens just below the loss of predicting word frequencies
(BENCHMARKS.md, "Pretraining"). Each pilot pretrains `eelbert_uno` (separate MLM head) on the same
16,384,000-token cache, data order and seed as the MLM-head comparison (2,000 steps of 64 x 128),
changing one thing against the shipped recipe (AdamW 1e-3, 5% warm-up then linear decay, post-LN,
batch 64); the last pilot changes the budget instead (7.5x the tokens, so 2x the shipped presets'). The baseline is the comparison's `separate` run itself. A stopped pilot resumes; a
finished one is reused. Writes the "Pretraining recipe pilots" section of BENCHMARKS.md and
docs/recipe_pilots.png.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _report  # noqa: E402
from mlm_head_comparison import heldout_unigram_entropy  # noqa: E402

TOKENS = 16_384_000
CACHE = "runs/cache_16M"
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
# (name, what changes, run folder, PretrainConfig settings over the shipped recipe's)
PILOTS = [
    ("baseline", "none: the shipped recipe", "runs/heads/eelbert_uno_separate", {}),
    ("lr3e-4", "peak learning rate 3e-4", "runs/recipe/eelbert_uno_lr3e-4", {"learning_rate": 3e-4}),
    ("lr3e-3", "peak learning rate 3e-3, 10% warm-up", "runs/recipe/eelbert_uno_lr3e-3",
     {"learning_rate": 3e-3, "warmup_ratio": 0.1}),
    ("pre-LN", "pre-LN blocks and a final LayerNorm (`normalize_first`)", "runs/recipe/eelbert_uno_preln",
     {"backbone_overrides": {"normalize_first": True}}),
    ("batch32", "batch 32 x 128: twice the updates for the same tokens", "runs/recipe/eelbert_uno_batch32",
     {"batch_size": 32}),
    ("budget x7.5", "7.5x the tokens and steps (122.88M; its own cache of that size)", "runs/budget/eelbert_uno_123M",
     {"tokens": 122_880_000, "cache_dir": "runs/budget/cache_123M"}),
]


def run_pilot(out, settings, threads=None):
    from eelbert_tf.pretraining.trainer import PretrainConfig, pretrain

    if not (pathlib.Path(out) / "record.json").exists():
        values = {"preset": "eelbert_uno", "mlm_head": "separate", "tokens": TOKENS, "cache_dir": CACHE,
                  "checkpoint_every": 250, "log_every": 50, "threads": threads, **settings}
        pretrain(PretrainConfig(out_dir=out, resume=True, **values))
    return json.loads((pathlib.Path(out) / "record.json").read_text())


def write_table():
    from eelbert_tf.pretraining.trainer import plot_loss_curves

    done = [(name, change, out) for name, change, out, _ in PILOTS if (pathlib.Path(out) / "record.json").exists()]
    entropy = heldout_unigram_entropy(CACHE)
    rows = []
    for name, change, out in done:
        r = json.loads((pathlib.Path(out) / "record.json").read_text())
        rows.append(f"| {name} | {change} | {r['config']['learning_rate']:g} | {r['config']['warmup_ratio']:.0%} | "
                    f"{r['config']['batch_size']} | {r['tokens_seen']:,} | {r['steps']:,} | "
                    f"{r['wall_seconds'] / 60:.0f} min | {_report.train_loss_cell(r)} | "
                    f"{r['heldout_mlm_loss']:.3f} | {100 * r['heldout_mlm_accuracy']:.2f}% | "
                    f"{_report.commit_cell(r)} |")
    records = {name: json.loads((pathlib.Path(out) / "record.json").read_text()) for name, _, out in done}
    # One-change pilots at the pilot budget; the budget pilot is read apart.
    losses = {n: r["heldout_mlm_loss"] for n, r in records.items() if r["tokens_seen"] == TOKENS}
    budgets = {n: r for n, r in records.items() if r["tokens_seen"] != TOKENS}
    missing = [name for name, _, out, _ in PILOTS if not (pathlib.Path(out) / "record.json").exists()]
    lines = [
        f"Each pilot pretrains `eelbert_uno` (separate MLM head) on the same {TOKENS:,}-token cache, data order "
        "and seed, changing one thing against the shipped recipe (AdamW 1e-3, 5% warm-up then linear decay, "
        "post-LN, batch 64 x 128); the budget pilot trains on 7.5 times the tokens (twice the shipped presets' "
        "budget) from a cache of that size. Held-out MLM loss and accuracy on the cache's fixed validation set; the "
        f"loss of predicting word frequencies there is {entropy:.2f} nats. Wall times are as scheduled "
        "(beside other jobs), not a speed comparison.",
        "",
        "| pilot | what changes | peak lr | warm-up | batch | tokens | steps | wall time | final train loss "
        "| held-out MLM loss | held-out MLM accuracy | commit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        _report.TRAIN_LOSS_NOTE,
    ]
    if missing:
        lines += ["", f"Not run yet: {', '.join(missing)}."]
    if "baseline" in losses and len(losses) > 1:
        best = min((n for n in losses if n != "baseline"), key=losses.get)
        lines += ["", f"Reading: at {TOKENS:,} tokens the lowest held-out loss is {best}'s, {losses[best]:.3f} "
                  f"({losses[best] - losses['baseline']:+.3f} against the baseline); every one-change pilot's "
                  f"held-out loss differs from the word-frequency loss ({entropy:.2f}) by "
                  f"{min(losses.values()) - entropy:+.2f} to {max(losses.values()) - entropy:+.2f} nats, so no "
                  "single change here leaves the plateau at this budget."]
    for name, r in budgets.items():
        lines += ["", f"The {name} pilot ({r['tokens_seen']:,} tokens, {r['steps']:,} steps) ends at held-out "
                  f"loss {r['heldout_mlm_loss']:.3f} and accuracy {100 * r['heldout_mlm_accuracy']:.2f}% "
                  f"({r['heldout_mlm_loss'] - entropy:+.2f} nats against the word-frequency loss), against "
                  f"{losses.get('baseline', float('nan')):.3f} for the baseline at {TOKENS:,} tokens."]
    if done:
        plot_loss_curves([pathlib.Path(out) for _, _, out in done], DOCS / "recipe_pilots.png",
                         labels=[name for name, _, _ in done])
        lines += ["", "![training MLM loss of the recipe pilots](docs/recipe_pilots.png)"]
    _report.write_section("Pretraining recipe pilots", "\n".join(lines), "python bench/recipe_pilots.py")
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated pilot names (default: all)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args(argv)
    if not args.table_only:
        wanted = set(args.only.split(",")) if args.only else {p[0] for p in PILOTS}
        unknown = wanted - {p[0] for p in PILOTS}
        if unknown:
            parser.error(f"unknown pilots {sorted(unknown)}; known: {[p[0] for p in PILOTS]}")
        for name, _, out, settings in PILOTS:
            if name in wanted:
                run_pilot(out, settings, args.threads)
    write_table()


if __name__ == "__main__":
    main()
