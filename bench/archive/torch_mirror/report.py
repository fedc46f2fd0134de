"""Writes the "Pretraining pilots on a GPU" section of BENCHMARKS.md and its plot from the pilots' logs.

    python bench/archive/torch_mirror/report.py      # reads bench/results/torch_pilots/*.jsonl

The logs were written on a lent H200 by (each round one command; `.pilot` made by export_pilot_data.py):

    python bench/archive/torch_mirror/export_pilot_data.py --cache runs/cache_123M --sequences 320000 --out .pilot
    python bench/archive/torch_mirror/pilots.py --data .pilot --out OUT --pilots all --steps 15000 --deadline 440 \
        --eval-every 1000                                                   # round 1 (the first 12 pilots)
    python bench/archive/torch_mirror/pilots.py --data .pilot --out OUT --pilots bert_uno_separate,eelbert_uno_wide1024,\
eelbert_uno_wide4096,eelbert_uno_mlp,eelbert_uno_pool2k,eelbert_uno_top1k --steps 15000 --deadline 290 \
        --eval-every 1000                                                   # round 2

and copied to bench/results/torch_pilots/round1.jsonl and round2.jsonl. Every pilot of a round ran at the
same time on the one GPU until the deadline, so each stopped at the step its share of the GPU reached.
"""

from __future__ import annotations

import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO / "bench"))

import _report  # noqa: E402

RESULTS = REPO / "bench" / "results" / "torch_pilots"
TF_V2 = REPO / "bench" / "results" / "presets_v2"
PLOT = REPO / "docs" / "gpu_pilots_heldout.png"
STEPS = (2000, 4000, 6000, 8000, 9000)
WHAT = {
    "bert_tiny": "BERT-tiny as shipped: learned table, tied head (2 layers)",
    "bert_tiny_separate": "BERT-tiny, learned table, separate head",
    "bert_uno": "one layer, learned table, tied head",
    "bert_uno_separate": "one layer, learned table, separate head",
    "bert_tiny_frozen": "BERT-tiny, table frozen at its random start (std 0.02), separate head",
    "eelbert_uno": "EELBERT-UNO as shipped (n-gram hash, separate head)",
    "eelbert_tiny": "EELBERT-tiny as shipped",
    "eelbert_uno_proj": "+ trainable 128 x 128 map of the hash vector (identity at start)",
    "eelbert_tiny_proj": "EELBERT-tiny + the same map",
    "eelbert_uno_proj_pos": "+ that map, positions started at 0.29",
    "eelbert_uno_prenorm": "pre-LN blocks",
    "eelbert_uno_lr5e-3": "peak learning rate 5e-3 (2.5x)",
    "eelbert_uno_headinit": "output matrix started from the hash vectors (tying at the start only)",
    "eelbert_uno_wide1024": "hash width 1,024, trainable 1,024 x 128 map (131K parameters)",
    "eelbert_uno_wide4096": "hash width 4,096, trainable 4,096 x 128 map (524K parameters)",
    "eelbert_uno_mlp": "+ trainable 128-512-128 MLP of the hash vector, residual (131K)",
    "eelbert_uno_pool2k": "+ 2 rows of a trainable 2,048 x 128 pool per token, by hash (262K)",
    "eelbert_uno_top1k": "+ trainable rows for the 1,024 commonest tokens (131K)",
}


def load():
    pilots = {}
    for path in sorted(RESULTS.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            p = pilots.setdefault(r["pilot"], {"round": path.stem, "rows": [], "final": None, "header": None})
            if "config" in r:
                p["header"] = r
            elif r.get("final"):
                p["final"] = r
            else:
                p["rows"].append(r)
    return pilots


def first_below(rows, key, level=6.0):
    return next((r["step"] for r in rows if r.get(key) is not None and r[key] < level), None)


def tf_log(name):
    path = TF_V2 / name / "train_log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def plot(pilots):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.8), dpi=110)
    for name, p in pilots.items():
        rows = [r for r in p["rows"] if "val_loss" in r]
        learned = name.startswith("bert") and name != "bert_tiny_frozen"
        ax.plot([r["tokens"] / 1e6 for r in rows], [r["val_loss"] for r in rows],
                lw=1.6 if learned or name in ("eelbert_uno", "bert_tiny_frozen") else 0.8,
                ls="-" if learned else ("--" if name == "bert_tiny_frozen" else ":") if not name.startswith("eelbert")
                else "-", alpha=1.0 if learned or name in ("eelbert_uno", "bert_tiny_frozen") else 0.55,
                label=name)
    for name in ("bert_tiny_en", "eelbert_uno_en"):
        rows = tf_log(name)
        rows = [r for r in rows if r["tokens"] <= 50e6]
        ax.plot([r["tokens"] / 1e6 for r in rows], [r["loss"] for r in rows], color="black",
                lw=0.7, alpha=0.6, ls="-." if name.startswith("bert") else (0, (1, 1)),
                label=f"{name}, TF run (training loss)")
    ax.axhline(6.42, color="grey", ls=":", lw=1)
    ax.text(1, 6.45, "unigram entropy 6.42", fontsize=7, color="grey")
    ax.set_xlabel("tokens seen (millions; batch 32 x 128)")
    ax.set_ylabel("held-out MLM loss (nats)")
    ax.set_ylim(4.4, 7.2)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=2, loc="lower left")
    ax.set_title("Only a learned per-token input table leaves the plateau", fontsize=10)
    fig.tight_layout()
    fig.savefig(PLOT)
    plt.close(fig)


def main():
    pilots = load()
    plot(pilots)
    some = next(iter(pilots.values()))["header"]
    lines = [
        "Why the hash models stay on the unigram plateau. PyTorch pilots on a lent GPU, each a mirror of the "
        "package's TF pretraining (`bench/archive/torch_mirror/pilots.py`: same backbone, MLM head, loss, AdamW, per-variable "
        "clipping, `shuffled_v2` schedule and batch 32 x 128, the first 320,000 sequences of the TF runs' shuffled "
        "order of cache_123M, keras-hub's masking rule, and the cache's fixed validation set for the held-out loss). "
        "On the same weights the mirror's logits equal the Keras model's within 2e-4, and its schedule, weight-decay "
        "groups and masking follow the package's (`tests/bench/test_torch_mirror.py`). "
        "Random initial weights and masks differ from TF's, so curves agree in shape, not to the digit: the TF run of "
        "`bert_tiny_en` first logged a training loss under 6.0 at step "
        f"{first_below(tf_log('bert_tiny_en'), 'loss')}, the mirror's `bert_tiny` at step "
        f"{first_below(pilots['bert_tiny']['rows'], 'train_loss')}; the TF `eelbert_uno_en` never did in 30,000 "
        "steps, nor did the mirror's. Every pilot of a round ran at once on the one GPU until a deadline "
        f"({some['device']}, torch {some['torch']}); the held-out loss is measured every 1,000 steps. A pilot that "
        "goes past 10,000 steps reads the 320,000 sequences a second time (round 2 only).",
        "",
        "| pilot | what differs | " + " | ".join(f"step {s:,}" for s in STEPS)
        + " | last step | held-out at last step | first train loss < 6.0 |",
        "|---|---|" + "---:|" * len(STEPS) + "---:|---:|---:|",
    ]
    for name, p in pilots.items():
        held = {r["step"]: r["val_loss"] for r in p["rows"] if "val_loss" in r}
        final = p["final"]
        first = first_below(p["rows"], "train_loss")
        lines.append(
            f"| `{name}` | {WHAT.get(name, '')} | " + " | ".join(f"{held[s]:.3f}" if s in held else "" for s in STEPS)
            + f" | {final['step']:,} | {final['val_loss']:.3f} ({100 * final['val_accuracy']:.1f}%) | "
            + (f"{first:,}" if first else "never") + " |")
    data = json.loads((RESULTS / "data.json").read_text())
    learned = [n for n in pilots if n.startswith("bert") and n != "bert_tiny_frozen"]
    firsts = [first_below(pilots[n]["rows"], "train_loss") for n in learned]
    best_hash = min((p["final"]["val_loss"], n) for n, p in pilots.items() if n.startswith("eelbert"))
    lines += [
        "",
        f"![held-out MLM loss of the GPU pilots]({PLOT.relative_to(REPO).as_posix()})",
        "",
        "**Reading.** The plateau is not the hash: BERT-tiny whose table is frozen at its random start "
        f"(`bert_tiny_frozen`, {pilots['bert_tiny_frozen']['final']['val_loss']:.3f}) stays on it like every hash "
        "model, while the same models with a learned table leave it (first training loss under 6.0) between steps "
        f"{min(firsts):,} and {max(firsts):,}, one layer "
        "(`bert_uno`) as well as two, a separate output matrix sooner than a tied one. What the learned table gives "
        "is trainable, per-token input capacity: none of the hash-side additions tried reaches it, neither a linear "
        "map of the hash vector (128 or 4,096 wide), a residual MLP of it, 2 hashed rows of a 2,048-row trainable "
        "pool, nor even trainable rows for the 1,024 commonest tokens (which are "
        f"{100 * data['top_token_coverage']['1024']:.0f}% of the training tokens), each with "
        f"131K to 524K trainable parameters; the best hash pilot ends at {best_hash[0]:.3f} (`{best_hash[1]}`). "
        "Nor do the recipe changes: pre-LN, a 2.5x learning rate, an output matrix started from the hash vectors. "
        "With fixed token vectors the transformer's own few hundred thousand weights must turn each token's "
        "pseudo-random code into what the token means, and in 40 to 50M tokens they do not; BERT's 3.9M-parameter "
        "table learns it directly. The paper's EELBERT models were pretrained on BERT's corpus for about 500 times "
        "this budget; at this project's budget the hash models' held-out losses (6.0 to 6.1 at 122.88M tokens, "
        "section \"Pretraining\") are the measured cost of having no table, and the issue's 5.5-nat goal for them is "
        "not met.",
    ]
    measured = {"machine": f"{some['device']} (16 CPU cores), PyTorch {some['torch']}; data exported on this "
                           "project's CPU machine", "date": "2026-11-30", "commit": "b3b56e9 + the mirror (bench/archive/torch_mirror, "
                           "committed with these results)"}
    _report.write_section("Pretraining pilots on a GPU", "\n".join(lines), "python bench/archive/torch_mirror/report.py",
                          measured)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
