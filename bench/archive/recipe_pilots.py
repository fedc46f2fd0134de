"""Pretraining recipe pilots: does any one change leave the unigram plateau sooner?

    python bench/archive/recipe_pilots.py [--only NAME,...] [--threads 1]   # shuffled series: train missing, write table
    python bench/archive/recipe_pilots.py --table-only                      # render from bench/results/recipe_pilots/
    python bench/archive/recipe_pilots.py --series distilled [--only NAME] [--sst2-check]  # distillation pilots
    python bench/archive/recipe_pilots.py --series in_order ...             # the first series (runs/ only)

Two series. The first (`in_order`, below) ran before the training data was shuffled; its runs
live only in `runs/`. The second (`shuffled`, SHUFFLED) reads the cache through the seeded
permutation and saves each finished pilot's record and training log in
`bench/results/recipe_pilots/<name>.json`, so its table and plot render from the repository.

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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402
from mlm_head_comparison import heldout_unigram_entropy  # noqa: E402

TOKENS = 16_384_000
CACHE = "runs/cache_16M"
DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
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


RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "recipe_pilots"
NO_DROPOUT = {"backbone_overrides": {"dropout": 0.0}}
# The shuffled series: (name, what changes against the shipped recipe, run folder, settings). Each
# later pilot is chosen from the curves of the earlier ones (BENCHMARKS.md, the reading under the table).
SHUFFLED = [
    ("shuffled", "the data order only: one seeded permutation of the cache", "runs/recipe2/shuffled", {}),
    ("no-dropout", "shuffled; dropout 0 in pretraining (0.1 kept for fine-tuning)",
     "runs/recipe2/no_dropout", NO_DROPOUT),
    ("no-dropout-b32", "shuffled, dropout 0; batch 32 x 128 (twice the updates for the same tokens)",
     "runs/recipe2/no_dropout_b32", {**NO_DROPOUT, "batch_size": 32}),
    ("no-dropout-lr2e-3", "shuffled, dropout 0; peak lr 2e-3, 10% warm-up",
     "runs/recipe2/no_dropout_lr2e-3", {**NO_DROPOUT, "learning_rate": 2e-3, "warmup_ratio": 0.1}),
    ("no-dropout-b32-lr2e-3", "shuffled, dropout 0; batch 32, peak lr 2e-3, 10% warm-up",
     "runs/recipe2/no_dropout_b32_lr2e-3",
     {**NO_DROPOUT, "batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1}),
    ("no-dropout-preln", "shuffled, dropout 0; pre-LN blocks and a final LayerNorm",
     "runs/recipe2/no_dropout_preln", {"backbone_overrides": {"dropout": 0.0, "normalize_first": True}}),
    ("no-dropout-hash-tied", "shuffled, dropout 0; the `hash_tied` MLM head",
     "runs/recipe2/no_dropout_hash_tied", {**NO_DROPOUT, "mlm_head": "hash_tied"}),
    ("b32-lr2e-3-token-scale", "the chosen recipe (shuffled, dropout 0, batch 32, lr 2e-3); hash vectors scaled "
     "by 0.07 before the position embeddings are added (their spread then equals the positions')",
     "runs/recipe2/b32_lr2e-3_token_scale",
     {"backbone_overrides": {"dropout": 0.0, "token_embedding_scale": 0.07}, "batch_size": 32,
      "learning_rate": 2e-3, "warmup_ratio": 0.1}),
    ("in-order", "none: the shipped recipe, cache order (the pre-shuffle baseline, rerun)",
     "runs/recipe2/in_order", {"data_order": "in_order"}),
]


# The distilled series (issue 27): the chosen recipe `shuffled_v2` at the pilot budget (the
# `no-dropout-b32-lr2e-3` pilot is its plain row) with the frozen `bert_tiny_en` as teacher, adding one
# distillation term at a time and then changing the weights. Same cache, order, masks and seed.
V2 = {**NO_DROPOUT, "batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1, "data_order": "shuffled"}
TEACHER = "bert_tiny_en"
DISTILLED = [
    ("no-dropout-b32-lr2e-3", "none: `shuffled_v2` at the pilot budget (MLM alone)",
     "runs/recipe2/no_dropout_b32_lr2e-3", V2),
    ("distil-kl", "+ KL to the teacher's MLM distribution (weight 1, T 1)", "runs/distil/kl",
     {**V2, "teacher": TEACHER, "distill_kl": 1.0, "distill_hidden": 0.0, "distill_attention": 0.0}),
    ("distil-kl-hidden", "+ KL (1) and the last hidden states' MSE (1)", "runs/distil/kl_hidden",
     {**V2, "teacher": TEACHER, "distill_kl": 1.0, "distill_hidden": 1.0, "distill_attention": 0.0}),
    ("distil-all", "+ KL (1), hidden MSE (1) and the last block's attention KL (1)", "runs/distil/all",
     {**V2, "teacher": TEACHER, "distill_kl": 1.0, "distill_hidden": 1.0, "distill_attention": 1.0}),
]


READING = (
    "Reading. The global shuffle alone reproduces the issue's measurement ({shuffled:.3f}; the in-order run of the "
    "first series, same cache, seed and recipe, ended at 6.629). Dropout is no brake at this budget "
    "({nd:.3f}: the model underfits). What moves the loss is the number and size of updates: batch 32 (twice the "
    "updates, the same tokens/s on one core) {b32:.3f}, peak lr 2e-3 with 10% warm-up {lr:.3f}, and both "
    "together {both:.3f}, their gains adding up ({both_gain:+.3f} against the shuffled run). That is the chosen "
    "recipe (`shuffled_v2` in tools/pretrain_presets.py: shuffled, batch 32, lr 2e-3, 10% warm-up, dropout 0 "
    "in pretraining), on held-out loss. Every pilot still ends within {margin:.2f} nats of the word-frequency "
    "loss ({entropy:.2f}): at 16.4M tokens none has left the plateau, so the choice ranks recipes by how fast "
    "they leave it; the retrained presets at 122.88M tokens say how far they get."
)


def save_result(name, out):
    """The finished pilot's record and training log, kept in the repository."""
    out = pathlib.Path(out)
    record = json.loads((out / "record.json").read_text())
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines() if line.strip()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"record": record, "log": log}, indent=1) + "\n")
    return path


def load_results(series) -> dict:
    """`{name: (what changes, {"record", "log", ...})}` of the series' pilots saved in bench/results/."""
    results = {}
    for name, change, _, _ in series:
        path = RESULTS / f"{name}.json"
        if path.exists():
            results[name] = (change, json.loads(path.read_text()))
    return results


def plot_series(results, entropy, path):
    """Training MLM loss against tokens of each pilot (the MLM term alone where a teacher adds others)."""
    import numpy as np

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def mlm(row):
        return row.get("mlm_loss", row["loss"])

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for name, (_, res) in results.items():
        log = res["log"]
        ax.plot([row["tokens"] / 1e6 for row in log], [mlm(row) for row in log],
                label=f"{name} (held-out {res['record']['heldout_mlm_loss']:.2f})")
    if entropy:
        ax.axhline(entropy, color="grey", ls=":", lw=1, label="word-frequency loss")
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("training MLM loss (per masked token)")
    ax.set_ylim(top=float(np.nanmax([mlm(res["log"][2]) for _, res in results.values()])))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_shuffled_table():
    results = load_results(SHUFFLED)
    if not results:
        print("no shuffled pilot has finished yet")
        return
    entropy = heldout_unigram_entropy(CACHE) if pathlib.Path(CACHE).exists() else None
    rows = []
    for name, (change, res) in results.items():
        r = res["record"]
        c = r["config"]
        overrides = c.get("backbone_overrides") or {}
        rows.append(f"| {name} | {change} | {c.get('data_order', 'in_order')} | "
                    f"{overrides.get('dropout', 0.1):g} | {r['mlm_head']} | {c['learning_rate']:g} | "
                    f"{c['warmup_ratio']:.0%} | {c['batch_size']} | {r['tokens_seen']:,} | {r['steps']:,} | "
                    f"{r['wall_seconds'] / 60:.0f} min | {_report.train_loss_cell(r)} | "
                    f"**{r['heldout_mlm_loss']:.3f}** | {100 * r['heldout_mlm_accuracy']:.2f}% | "
                    f"{_report.commit_cell(r)} |")
    losses = {n: res["record"]["heldout_mlm_loss"] for n, (_, res) in results.items()}
    best = min(losses, key=losses.get)
    lines = [
        f"Each pilot pretrains `eelbert_uno` on the same {TOKENS:,}-token cache and seed, one thread, changing "
        "what its row says against the shipped recipe (AdamW 1e-3, 5% warm-up then linear decay, post-LN, "
        "dropout 0.1, batch 64 x 128, separate MLM head). Held-out MLM loss and accuracy on the cache's fixed, "
        "pre-masked validation set"
        + (f"; the loss of predicting word frequencies there is {entropy:.2f} nats." if entropy else "."),
        "",
        "| pilot | what changes | data order | dropout | MLM head | peak lr | warm-up | batch | tokens | steps "
        "| wall time | final train loss | held-out MLM loss | held-out accuracy | commit |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Lowest held-out loss: **{best}** ({losses[best]:.3f}"
        + (f", {losses[best] - losses['in-order']:+.3f} against the in-order baseline" if "in-order" in losses
           else "") + ").",
    ]
    if "no-dropout-b32-lr2e-3" in losses and "shuffled" in losses:
        lines += ["", READING.format(
            shuffled=losses["shuffled"], nd=losses.get("no-dropout", float("nan")),
            b32=losses.get("no-dropout-b32", float("nan")), lr=losses.get("no-dropout-lr2e-3", float("nan")),
            both=losses["no-dropout-b32-lr2e-3"], entropy=entropy or float("nan"),
            both_gain=losses["no-dropout-b32-lr2e-3"] - losses["shuffled"],
            margin=max(abs(v - (entropy or 0)) for v in losses.values()))]
    lines += ["", "Commits marked +dirty started with uncommitted changes in the package: for `shuffled`, the "
              "shuffle itself (committed unchanged in 74a8f92); for the others, export code that pretraining "
              "does not run."]
    missing = [name for name, *_ in SHUFFLED if name not in results]
    if missing:
        lines += ["", f"Not run yet: {', '.join(missing)}."]
    plot_series(results, entropy, DOCS / "recipe_pilots_shuffled.png")
    lines += ["", "![training MLM loss of the shuffled recipe pilots](docs/recipe_pilots_shuffled.png)"]
    _report.write_section("Pretraining recipe pilots, shuffled data", "\n".join(lines),
                          "python bench/archive/recipe_pilots.py")
    print("\n".join(lines))


DISTILLED_READING = (
    "Reading. Against MLM alone ({plain:.3f}), the teacher's MLM distribution alone brings the held-out loss to "
    "{kl:.3f}, its last hidden states on top to {kl_hidden:.3f}, and the attention distributions on top of both "
    "to {all:.3f}. Median speed on one thread: {speed_plain:,.0f} tokens/s without a teacher, {speed_all:,.0f} "
    "with all three terms ({slowdown:.2f}x the time per step)."
)


def _median_speed(log):
    import numpy as np

    values = [row["tokens_per_second"] for row in log[2:] if "tokens_per_second" in row]
    return float(np.median(values)) if values else float("nan")


def sst2_check(name, out, seed=0):
    """An SST-2 check on the held-out loss: `eelbert finetune --model RUN --task sst2` (the GLUE recipe: 3 epochs,
    AdamW 2e-4, batch 32) with fine-tuning seed `seed`, its dev accuracy kept in the pilot's result file (seed 0
    as `sst2_check`, every seed in `sst2_seeds`)."""
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.data_paths import data_dir

    path = RESULTS / f"{name}.json"
    result = json.loads(path.read_text())
    seeds = result.setdefault("sst2_seeds", {})
    if "sst2_check" in result:
        seeds.setdefault("0", result["sst2_check"]["accuracy"])
    if str(seed) in seeds:
        return seeds[str(seed)]
    glue = data_dir() / "glue"
    folder = pathlib.Path(out) / ("sst2_check" if seed == 0 else f"sst2_check_seed{seed}")
    metrics = finetune(str(out), from_glue("sst2", glue, "train"), from_glue("sst2", glue, "validation"), folder,
                       FinetuneRecipe(seed=seed), verbose=2, source={"glue_task": "sst2"})
    accuracy = metrics["metrics"]["dev"]["accuracy"]
    if seed == 0:
        result["sst2_check"] = {"accuracy": accuracy, "seed": 0, "epochs": 3}
    seeds[str(seed)] = accuracy
    path.write_text(json.dumps(result, indent=1) + "\n")
    return accuracy


def _sst2_cell(res):
    """`mean ± spread (n seeds)` of a pilot's SST-2 checks, or its one seed."""
    import numpy as np

    seeds = dict(res.get("sst2_seeds", {}))
    if "sst2_check" in res:
        seeds.setdefault("0", res["sst2_check"]["accuracy"])
    if not seeds:
        return "-"
    values = np.array(list(seeds.values()))
    if len(values) == 1:
        return f"{values[0]:.2f}%"
    return f"{values.mean():.2f}% ± {values.std(ddof=1):.2f} ({len(values)} seeds)"


def write_distilled_table():
    results = load_results(DISTILLED)
    if not results:
        print("no distilled pilot has finished yet")
        return
    entropy = heldout_unigram_entropy(CACHE) if pathlib.Path(CACHE).exists() else None
    rows = []
    for name, (change, res) in results.items():
        r = res["record"]
        c = r["config"]
        d = r.get("distillation") or {}
        weights = (f"{c['distill_kl']:g} / {c['distill_hidden']:g} / {c['distill_attention']:g}" if d else "-")
        mlm = r.get("final_train_mlm_loss", r.get("final_train_loss"))
        rows.append(f"| {name} | {change} | {d.get('teacher', '-')} | {weights} | {r['tokens_seen']:,} | "
                    f"{r['steps']:,} | {r['wall_seconds'] / 60:.0f} min | {_median_speed(res['log']):,.0f} | "
                    f"{mlm:.3f} | **{r['heldout_mlm_loss']:.3f}** | {100 * r['heldout_mlm_accuracy']:.2f}% | "
                    + f"{_sst2_cell(res)} | "
                    + f"{_report.commit_cell(r)} |")
    losses = {n: res["record"]["heldout_mlm_loss"] for n, (_, res) in results.items()}
    lines = [
        f"Each pilot pretrains `eelbert_uno` with the `shuffled_v2` recipe (shuffled, batch 32 x 128, peak lr 2e-3, "
        f"10% warm-up, dropout 0, separate MLM head) on the same {TOKENS:,}-token cache, order, masks and seed, "
        f"one thread; the distilled ones add the frozen `{TEACHER}` preset as teacher (`eelbert pretrain --teacher`), "
        "its terms weighted as the row says (KL to its MLM distribution at the masked positions, T 1 / MSE of the "
        "last hidden states / KL of the last block's attention distributions per head). Held-out MLM loss and "
        "accuracy on the cache's fixed, pre-masked validation set"
        + (f"; the loss of predicting word frequencies there is {entropy:.2f} nats, the teacher's own on the "
           "122.88M cache 4.392." if entropy else "."),
        "",
        "| pilot | what changes | teacher | weights KL / hidden / attention | tokens | steps | wall time "
        "| tokens/s | final train MLM loss | held-out MLM loss | held-out accuracy | SST-2 dev (fine-tuning seeds) | commit |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
    ]
    names = {"plain": "no-dropout-b32-lr2e-3", "kl": "distil-kl", "kl_hidden": "distil-kl-hidden", "all": "distil-all"}
    if all(n in results for n in names.values()):
        speed = {k: _median_speed(results[n][1]["log"]) for k, n in names.items()}
        lines += ["", DISTILLED_READING.format(**{k: losses[n] for k, n in names.items()},
                                               speed_plain=speed["plain"], speed_all=speed["all"],
                                               slowdown=speed["plain"] / speed["all"])]
    checks = {n: _sst2_cell(res) for n, (_, res) in results.items() if "sst2_check" in res or "sst2_seeds" in res}
    if names["plain"] in checks and len(checks) > 1:
        others = ", ".join(f"{n} {a}" for n, a in checks.items() if n != names["plain"])
        lines += ["", f"SST-2 check (the GLUE recipe, fine-tuned from each pilot's weights; mean ± standard "
                      f"deviation over fine-tuning seeds): MLM alone {checks[names['plain']]}; {others}. Only a gap "
                      "larger than the spread counts; where held-out loss and SST-2 disagree, the loss alone does "
                      "not choose the recipe."]
    missing = [name for name, *_ in DISTILLED if name not in results]
    if missing:
        lines += ["", f"Not run yet: {', '.join(missing)}."]
    plot_series(results, entropy, DOCS / "recipe_pilots_distilled.png")
    lines += ["", "![training MLM loss of the distilled pilots](docs/recipe_pilots_distilled.png)"]
    _report.write_section("Distillation in pretraining", "\n".join(lines),
                          "python bench/archive/recipe_pilots.py --series distilled")
    print("\n".join(lines))


def run_pilot(out, settings, threads=None):
    from eelbert_tf.pretraining.trainer import PretrainConfig, pretrain

    if not (pathlib.Path(out) / "record.json").exists():
        values = {"preset": "eelbert_uno", "mlm_head": "separate", "tokens": TOKENS, "cache_dir": CACHE,
                  "data_order": "in_order",
                  "checkpoint_every": 250, "log_every": 50, "threads": threads,
                  "masking": "keras_hub",  # every pilot was masked by keras-hub's generator
                  # PretrainConfig's defaults when the pilots ran (they are shuffled_v2's since issue 27)
                  "batch_size": 64, "learning_rate": 1e-3, "warmup_ratio": 0.05,
                  **settings}
        pretrain(PretrainConfig(out_dir=out, resume=True, **values))
    return json.loads((pathlib.Path(out) / "record.json").read_text())


def write_table():
    from eelbert_tf.pretraining.evaluation import plot_loss_curves

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
    _report.write_section("Pretraining recipe pilots", "\n".join(lines), "python bench/archive/recipe_pilots.py")
    print("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated pilot names (default: all)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--series", choices=["shuffled", "distilled", "in_order"], default="shuffled")
    parser.add_argument("--sst2-check", action="store_true",
                        help="distilled series: fine-tune each pilot on SST-2 as a check (seed 0, or --sst2-seeds)")
    parser.add_argument("--sst2-seeds", default="0", help="with --sst2-check: comma-separated fine-tuning seeds")
    args = parser.parse_args(argv)
    if args.series == "distilled":
        names = [p[0] for p in DISTILLED]
        wanted = args.only.split(",") if args.only else names
        unknown = set(wanted) - set(names)
        if unknown:
            parser.error(f"unknown pilots {sorted(unknown)}; known: {names}")
        for name, _, out, settings in DISTILLED:
            if name in wanted and not args.table_only:
                if not (RESULTS / f"{name}.json").exists():
                    run_pilot(out, settings, args.threads)
                    save_result(name, out)
                if args.sst2_check and (pathlib.Path(out) / "record.json").exists():
                    for seed in (int(x) for x in args.sst2_seeds.split(",")):
                        print(name, "SST-2 check seed", seed, sst2_check(name, out, seed), flush=True)
                write_distilled_table()
        write_distilled_table()
        return
    if args.series == "shuffled":
        names = [p[0] for p in SHUFFLED]
        wanted = args.only.split(",") if args.only else names
        unknown = set(wanted) - set(names)
        if unknown:
            parser.error(f"unknown pilots {sorted(unknown)}; known: {names}")
        for name, _, out, settings in SHUFFLED:
            if name in wanted and not args.table_only:
                run_pilot(out, {"data_order": "shuffled", **settings}, args.threads)
                save_result(name, out)
                write_shuffled_table()
        write_shuffled_table()
        return
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
