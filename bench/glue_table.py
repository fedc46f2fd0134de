"""The size-versus-quality table: GLUE dev scores of each model, its size, and the ratio to BERT-tiny.

    python bench/glue_table.py --run            # fine-tune every row that has no results yet, then write
    python bench/glue_table.py                  # only rewrite the table from bench/results/glue/*/results.json

Rows: the shipped pretrained presets and each architecture without pretraining. Results are kept in
bench/results/glue/<row>/ (committed: a session's runs/ does not outlive it), each seed keyed by the
fingerprint of the backbone it fine-tuned (weights and config); a row whose preset has changed since (retrained,
or shipped with another config) is shown as not run and rerun by --run. A row whose model or results do not exist yet is shown as "not run", a task whose data is
absent as "absent"; no number is invented. Previous tables (bench/results/glue_previous.json: the
presets of recipe v1; `--remember COMMIT` adds the table committed at COMMIT) are shown beside the new one. Writes the "GLUE" section of BENCHMARKS.md and docs/glue_size_vs_score.png.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
from typing import NamedTuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _report  # noqa: E402

class Row(NamedTuple):
    name: str
    model: str  # what `eelbert glue --model` is given
    arch: str  # the architecture preset, for the size
    tokenizer: str | None = None  # `eelbert glue --tokenizer` (None: the one the model was pretrained on)
    recipe: dict | None = None  # other GlueRecipe fields (None: the table's recipe)


ROWS = [
    Row("bert_tiny_en", "bert_tiny_en", "bert_tiny"),
    Row("eelbert_tiny_en", "eelbert_tiny_en", "eelbert_tiny"),
    Row("eelbert_uno_en", "eelbert_uno_en", "eelbert_uno"),
    # Pretrained with bert_tiny_en as a frozen teacher (recipe distilled_v1, a third of the plain budget).
    Row("eelbert_uno_distilled_en", "eelbert_uno_distilled_en", "eelbert_uno"),
    # The head on the mean of every token's output at 5x the rate (`--pooling mean --learning-rate 1e-3`, the
    # shipped SST-2 classifier's fine-tuning): what the head, not the backbone, changes.
    Row("eelbert_uno_en_mean_pooling", "eelbert_uno_en", "eelbert_uno",
        recipe={"pooling": "mean", "learning_rate": 1e-3}),
    Row("bert_tiny_en_mean_pooling", "bert_tiny_en", "bert_tiny", recipe={"pooling": "mean", "learning_rate": 1e-3}),
    # EELBERT pretrained and fine-tuned on the vocabulary-free words tokenizer (same budget and schedule).
    Row("eelbert_tiny_words_en", "eelbert_tiny_words_en", "eelbert_tiny"),
    Row("eelbert_uno_words_en", "eelbert_uno_words_en", "eelbert_uno"),
    Row("random_hash_tiny_en", "random_hash_tiny_en", "random_hash_tiny"),
    # Each pretrained model against its own architecture and tokenizer without pretraining (the pretraining
    # issue's goal).
    Row("eelbert_uno_random_init", "eelbert_uno", "eelbert_uno"),
    Row("eelbert_tiny_random_init", "eelbert_tiny", "eelbert_tiny"),
    Row("eelbert_uno_words_random_init", "eelbert_uno", "eelbert_uno", "words"),
    Row("eelbert_tiny_words_random_init", "eelbert_tiny", "eelbert_tiny", "words"),
    Row("random_hash_tiny_random_init", "random_hash_tiny", "random_hash_tiny"),
    Row("bert_tiny_random_init", "bert_tiny", "bert_tiny"),
]
TASKS = ("cola", "sst2", "mrpc", "stsb", "rte", "wnli")
# Rows compared example by example (paired bootstrap over dev examples, `eelbert_tf.glue.paired`), first minus
# second: the words goal's pairs and the paper's hash ablation.
PAIRS = [("eelbert_uno_words_en", "eelbert_uno_en"), ("eelbert_tiny_words_en", "eelbert_tiny_en"),
         ("eelbert_tiny_en", "random_hash_tiny_en")]
RESAMPLES = 1000
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
PREVIOUS = pathlib.Path(__file__).resolve().parent / "results" / "glue_previous.json"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", action="store_true", help="fine-tune rows that have no results yet")
    parser.add_argument("--only", metavar="ROW[,ROW]",
                        help="with --run: fine-tune only these rows (the table still shows every row)")
    parser.add_argument("--predictions", action="store_true",
                        help="with --run: also rerun the chosen rows' seeds saved without dev predictions (the "
                             "paired comparisons need them; the rerun's metrics are checked against the saved)")
    parser.add_argument("--runs", default="bench/results/glue")
    parser.add_argument("--remember", metavar="COMMIT",
                        help="keep the table committed at COMMIT as a previous table (a column), then write")
    parser.add_argument("--label", help="with --remember: the column's short name")
    parser.add_argument("--about", help="with --remember: what differs in that table (pretraining, fine-tuning)")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and only - {row.name for row in ROWS}:
        parser.error(f"--only: no row named {sorted(only - {row.name for row in ROWS})}; rows: "
                     + ", ".join(row.name for row in ROWS))
    if args.remember:
        if not (args.label and args.about):
            parser.error("--remember needs --label and --about")
        remember(args.remember, args.label, args.about, pathlib.Path(args.runs))

    from eelbert_tf.data_paths import data_dir
    from eelbert_tf.glue.finetune import GlueRecipe, fine_tuned_from, run_glue
    from eelbert_tf.models.model_info import model_info
    from eelbert_tf.models.pretrained import pretrained_presets

    runs = pathlib.Path(args.runs)
    shipped = pretrained_presets()
    table = []
    for row in ROWS:
        folder = runs / row.name
        results_file = folder / "results.json"
        recipe = GlueRecipe(tokenizer=row.tokenizer, **(row.recipe or {}))
        available = row.model in shipped or not row.model.endswith("_en")
        stale = results_file.exists() and not fine_tuned_from(folder, row.model, recipe)
        chosen = only is None or row.name in only
        rerun = args.predictions and not stale and not _with_predictions(_seed_runs(folder))
        if args.run and chosen and available and (stale or rerun or not _complete(results_file)):
            if stale:
                shutil.rmtree(folder)
            run_glue(row.model, list(TASKS), data_dir() / "glue", folder, recipe=recipe, verbose=0,
                     predictions=args.predictions)
            stale = False
        results = json.loads(results_file.read_text()) if results_file.exists() and not stale else None
        if results is not None and not _complete(results_file):
            results = None  # a row still being fine-tuned (results.json is written after each task)
        table.append((row, model_info(row.arch), results))

    bert = next((r for row, _, r in table if row.name == "bert_tiny_en" and r and r["glue5"] is not None), None)
    previous = _previous_tables()
    header = ("| model | pretraining | shipped params | MB float32 | MB int8 | "
              + " | ".join(t.upper() for t in TASKS) + " | GLUE-5 | GLUE-5 / bert_tiny_en | "
              + " | ".join(f"GLUE-5 {p['label']}" for p in previous) + " |")
    lines = [
        "GLUE dev scores, mean ± standard deviation over fine-tuning seeds 0, 1, 2 (recipe in "
        "`eelbert_tf/glue/finetune.py`: AdamW 2e-4, batch 32, 128 tokens, each backbone's own dropout, 3 epochs on SST-2 and 5 on the "
        "others, no early stopping, no subsampling). Task score = mean of its GLUE metrics (CoLA Matthews, "
        "SST-2/RTE/WNLI accuracy, MRPC F1 and accuracy, STS-B Pearson and Spearman). GLUE-5 = mean over "
        "CoLA, SST-2, MRPC, STS-B, RTE (MNLI, QQP and QNLI train are absent here, so no 9-task score). "
        "Sizes count backbone weights (float32: 4 bytes each, int8: 1). \"not run\" = no model or results yet. "
        "Fine-tuning is deterministic on this CPU: one task of the table reruns alone with "
        "`eelbert glue --model eelbert_uno_en --tasks rte --out DIR` (3.5 min), which gave the same three RTE "
        "accuracies to the last digit (51.62, 53.43, 50.90) on 2026-11-23." + _reruns(table, runs) + " Results are kept in "
        "`bench/results/glue/<row>/`, each seed keyed by the fingerprint of the backbone it fine-tuned (weights and config): a row whose preset changed is shown as not run. The last "
        "columns: the same row in previous tables (`bench/results/glue_previous.json`): "
        + "; ".join(f"\"{p['label']}\", commit {p['commit']} ({p['date']}): {p['pretraining']}" for p in previous)
        + ".",
        "",
        header,
        "|---|---|---:|---:|---:|" + "---:|" * (len(TASKS) + 2 + len(previous)),
    ]
    points = []
    for row, info, results in table:
        own = ("; fine-tuned with " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                             for k, v in row.recipe.items())) if row.recipe else ""
        cells = [f"`{row.name}`", _pretraining(row.model, shipped, row.tokenizer) + own, f"{info['parameters']['total']:,}",
                 f"{info['bytes']['float32'] / 1e6:.2f}", f"{info['bytes']['int8'] / 1e6:.2f}"]
        before = [f"{p['rows'][row.name]['glue5']:.1f}" if row.name in p["rows"] else "" for p in previous]
        if results is None:
            cells += ["not run"] * (len(TASKS) + 2) + before
        else:
            for t in TASKS:
                v = results["tasks"].get(t)
                cells.append("absent" if v is None else f"{v['score']['mean']:.1f} ± {v['score']['std']:.1f}")
            g5 = results["glue5"]
            cells.append("n/a" if g5 is None else f"{g5:.1f}")
            cells.append(f"{g5 / bert['glue5']:.2f}" if (bert and g5 is not None) else "n/a")
            cells += before
            if g5 is not None:
                points.append((row.name, info["bytes"]["float32"] / 1e6, g5))
        lines.append("| " + " | ".join(cells) + " |")
    if points:
        _plot(points, DOCS / "glue_size_vs_score.png")
        lines += ["", "![size against GLUE-5](docs/glue_size_vs_score.png)"]
    paired = _paired(table, runs)
    lines += ["", *_against_previous(table), "", *_diagnosis(), "", *_comparison(table, bert, shipped), "",
              *_words(table, paired), "", *_paired_lines(paired, DOCS / "glue_paired.png"), "",
              *_against_no_pretraining(table), "", *_timing(table)]
    _report.write_section("GLUE", "\n".join(lines), "python bench/glue_table.py --run",
                          measured=_provenance(table, runs))
    print("\n".join(lines))


def _provenance(table, runs) -> dict:
    """The section header's machine, date and commit, from the seed records of the rows shown (each seed names
    where and when it was fine-tuned), not from the machine that renders the table."""
    import collections

    machines, dates, commits, unrecorded = collections.Counter(), [], set(), 0
    for row, _, results in table:
        if results is None:
            continue
        for run in _seed_runs(runs / row.name):
            if "machine" not in run:
                unrecorded += 1
                continue
            machines[run["machine"]] += 1
            dates.append(run["finished"])
            commits.add((run["commit"] or "unknown")[:7] + ("+dirty" if (run["commit"] or "").endswith("+dirty")
                                                            else ""))
    parts = [f"{m} ({n} seeds)" for m, n in machines.most_common()]
    if unrecorded:
        parts.append(f"not recorded for {unrecorded} seeds (fine-tuned before seed records named their machine; "
                     "the headers of the commits that added them name AMD EPYC, 2 cores, 2026-12-01)")
    date = f"rendered {_report.now()}" + (f"; seeds recorded {min(dates)} to {max(dates)}" if dates else "")
    fine_tuned = f", fine-tuned at {', '.join(sorted(commits))}" if commits else ""
    return {"machine": "; ".join(parts) or _report.machine(), "date": date,
            "commit": _report.commit() + fine_tuned}


def _complete(results_file) -> bool:
    if not results_file.exists():
        return False
    results = json.loads(results_file.read_text())
    return all(t in results["tasks"] for t in TASKS)


def _pretraining(model, shipped, tokenizer=None):
    """How the row's backbone was pretrained, from the shipped record."""
    if model not in shipped:
        return "none" + (", words (no vocabulary)" if tokenizer == "words" else "")
    from eelbert_tf.models.pretrained import record_tokenizer

    record = json.loads((shipped[model] / "record.json").read_text())
    c = record["config"]
    order = "shuffled" if c.get("data_order") == "shuffled" else "cache order"
    words = ", words (no vocabulary)" if record_tokenizer(record) == "words" else ""
    teacher = (record.get("distillation") or {}).get("teacher")
    return f"{c['tokens'] / 1e6:.2f}M tokens, {order}{words}" + (f", teacher `{teacher}`" if teacher else "")


def _comparison(table, bert, shipped):
    """How our absolute scores relate to the paper's and Google's, with the figures of this table."""
    results = {row.name: r for row, _, r in table if r and r["glue5"] is not None}
    ours = (f"Here `bert_tiny_en` reaches GLUE-5 {bert['glue5']:.1f} on dev" if bert
            else "`bert_tiny_en` has no row yet")
    pretrained = [row for row in results if row.endswith("_en") and row != "bert_tiny_en"]
    ratios = ", ".join(f"`{row}` {results[row]['glue5'] / bert['glue5']:.2f}" for row in pretrained) if bert else ""
    lines = [
        "**Against the paper and Google's BERT-tiny.** Google's BERT-tiny (Turc et al. 2019) scores 64.2 on the "
        "GLUE *test* server (all nine tasks, MNLI and QQP included), and the EELBERT paper reports UNO-EELBERT "
        "within 4% of a fully trained BERT-tiny. Those models were pretrained with BERT's recipe (1M steps of "
        "256 sequences: over 250 times the 122.88M tokens of the retrained presets here, 88 to 135 minutes of one "
        f"core of this CPU each). {ours}; the absolute scores are far lower than the published ones, and CoLA and STS-B, "
        "which need the most pretrained knowledge, show it most. The scores are not comparable in kind either: "
        "GLUE-5 is a dev-set mean over five tasks, not the nine-task test score. What this table can support is "
        "the ratio at equal pretraining budget (rows with the same pretraining column)" + (f" ({ratios})" if ratios
        else "") + ", and that only as a statement about short pretraining: at this budget the EELBERT models are "
        "still on the unigram plateau of their loss curves while BERT-tiny has left it (BENCHMARKS.md, "
        "\"Pretraining\" and \"Pretraining pilots on a GPU\"), where the paper's larger-budget ratios need not hold.",
    ]
    if bert:
        # MRPC at the majority class (always "paraphrase": F1 81.2, accuracy 68.4, score 74.8) is no skill.
        four = ("cola", "sst2", "stsb", "rte")
        def mean4(r):
            return sum(r["tasks"][t]["score"]["mean"] for t in four) / len(four)
        others = ", ".join(f"`{row}` {mean4(results[row]) / mean4(bert):.2f}" for row in pretrained)
        mrpc = {row: r["tasks"]["mrpc"]["score"]["mean"] for row, r in results.items() if r["tasks"].get("mrpc")}
        def rows_where(test):
            return ", ".join(f"`{row}` {v:.1f}" for row, v in mrpc.items() if test(v - 74.8)) or "none"
        lines += ["", "MRPC needs care: a model that always answers \"paraphrase\" scores 74.8 (F1 81.2, "
                  f"accuracy 68.4). Rows within 0.5 of it: {rows_where(lambda d: abs(d) <= 0.5)}; below it: "
                  f"{rows_where(lambda d: d < -0.5)}; above it: {rows_where(lambda d: d > 0.5)}. Without MRPC (mean "
                  f"of CoLA, SST-2, STS-B and RTE) the ratios to `bert_tiny_en` are {others}. The `_random_init` "
                  "rows (no pretraining) show what pretraining adds."]
    return lines + _hash_ablation(results, shipped)


def _reruns(table, runs) -> str:
    """What the seeds rerun for their dev predictions say about determinism (each record's `rerun_of`)."""
    reruns = [(row.name, r) for row, _, results in table if results is not None
              for r in _seed_runs(runs / row.name) if "rerun_of" in r]
    if not reruns:
        return ""
    same = sum(r["rerun_of"]["same_metrics"] for _, r in reruns)
    rows = sorted({name for name, _ in reruns})
    gap = max((abs(v - r["rerun_of"]["metrics"].get(split, {}).get(m, float("nan")))
               for _, r in reruns if not r["rerun_of"]["same_metrics"]
               for split, ms in r["metrics"].items() for m, v in ms.items()), default=0.0)
    differ = ("" if same == len(reruns) else
              f"; {len(reruns) - same} differ, by at most {gap:.1e} points (their records keep both)")
    return (f" The {len(reruns)} seeds of {', '.join(f'`{n}`' for n in rows)} were fine-tuned again to keep their dev "
            f"predictions (`--predictions`): {same} gave every metric of their first run to the last digit{differ}.")


def _with_predictions(seed_runs) -> bool:
    """Whether every finished seed (`_seed_runs`) kept its dev predictions."""
    return all("predictions" in r for r in seed_runs)


def _paired(table, runs) -> dict:
    """The paired bootstraps of `PAIRS` whose rows are complete and kept their predictions: {(first, second):
    result}. Cached in `runs/paired.json`, keyed by a digest of both rows' predictions, so the table renders
    without the GLUE data once computed; computed (GLUE data needed) when the cache is missing or stale."""
    import hashlib

    done = {row.name for row, _, r in table if r is not None}
    cache_file = runs / "paired.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    out, labels = {}, {}
    for first, second in PAIRS:
        if not {first, second} <= done:
            continue
        rows = {name: _seed_runs(runs / name) for name in (first, second)}
        if not all(_with_predictions(rs) for rs in rows.values()):
            continue
        digest = hashlib.sha256(json.dumps({n: [r["predictions"] for r in rs] for n, rs in rows.items()},
                                           sort_keys=True).encode()).hexdigest()
        name = f"{first} - {second}"
        if cache.get(name, {}).get("digest") != digest or cache[name].get("resamples") != RESAMPLES:
            from eelbert_tf.data_paths import data_dir
            from eelbert_tf.glue.finetune import dev_labels
            from eelbert_tf.glue.paired import paired_bootstrap, seed_predictions
            from eelbert_tf.glue.tasks import GLUE5
            from eelbert_tf.io_utils import write_json_atomically

            for task in GLUE5:
                if task not in labels:
                    labels[task] = dev_labels(task, data_dir() / "glue")["validation"]
            preds = {n: {t: seed_predictions([r for r in rs if r["task"] == t], "validation") for t in GLUE5}
                     for n, rs in rows.items()}
            result = paired_bootstrap(labels, preds[first], preds[second], resamples=RESAMPLES)
            samples = result.pop("samples")
            result["at_least"] = {str(x): float((samples >= x).mean()) for x in (-1.0, 0.0)}
            cache[name] = {"digest": digest, "computed": _report.now(), **result}
            write_json_atomically(cache_file, cache)
        out[(first, second)] = cache[name]
    return out


def _seed_runs(folder) -> list:
    return [json.loads(p.read_text())["run"] for p in sorted((folder / "seeds").glob("*.json"))]


def _interval(r) -> str:
    return f"{r['difference']:+.1f} [{r['low']:+.1f}, {r['high']:+.1f}]"


def _paired_lines(paired, plot=None) -> list:
    if not paired:
        return ["**Example by example** (paired bootstrap over dev examples): not computed yet; the rows of "
                + ", ".join(f"`{a}` and `{b}`" for a, b in PAIRS) + " need their seeds' dev predictions "
                "(`python bench/glue_table.py --run --predictions --only ROW,ROW`)."]
    some = next(iter(paired.values()))
    lines = [f"**Example by example.** How finely the dev sets tell two rows apart: each task's dev examples "
             f"resampled with replacement {some['resamples']:,} times (the same draw for both rows and all three "
             "seeds), each seed's metrics recomputed, the seeds averaged as in the table (`eelbert_tf/glue/paired.py`). "
             f"First minus second, with the {some['level']:.0%} interval; it covers the dev sample and the three "
             "fine-tuning seeds, not a second pretraining run.", "",
             "| first | second | " + " | ".join(t.upper() for t in TASKS[:5]) + " | GLUE-5 | resamples ≥ -1 | "
             "resamples ≥ 0 |", "|---|---|" + "---:|" * 8]
    for (first, second), r in paired.items():
        lines.append(f"| `{first}` | `{second}` | " + " | ".join(_interval(r["tasks"][t]) for t in TASKS[:5])
                     + f" | {_interval(r['glue5'])} | {r['at_least']['-1.0']:.0%} | {r['at_least']['0.0']:.0%} |")
    if plot is not None:
        _plot_paired(paired, plot)
        lines += ["", f"![paired differences with their intervals](docs/{plot.name})"]
    return lines


def _plot_paired(paired, path):
    """Each pair's difference by task and on GLUE-5, with its interval (one panel per pair)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [t.upper() for t in TASKS[:5]] + ["GLUE-5"]
    fig, axes = plt.subplots(1, len(paired), figsize=(4.2 * len(paired), 3.2), dpi=110, sharey=True, squeeze=False)
    for ax, ((first, second), r) in zip(axes[0], paired.items()):
        values = [r["tasks"][t] for t in TASKS[:5]] + [r["glue5"]]
        y = list(range(len(values)))[::-1]
        d = [v["difference"] for v in values]
        ax.errorbar(d, y, xerr=[[v["difference"] - v["low"] for v in values], [v["high"] - v["difference"]
                                                                             for v in values]],
                    fmt="o", capsize=3, color="tab:blue")
        ax.axvline(0, color="black", lw=0.8)
        if (first, second) == PAIRS[0]:  # the vocabulary-free issue's goal: UNO on words within 1 point
            ax.axvline(-1, color="tab:red", lw=0.8, ls="--", label="goal: -1")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(y, names)
        ax.set_title(f"{first}\nminus {second}", fontsize=8)
        ax.set_xlabel(f"difference, {r['level']:.0%} interval")
        ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _words(table, paired=None):
    """EELBERT without a vocabulary against the same model on WordPiece (the vocabulary-free issue's goal: UNO
    within 1 GLUE-5 point), with the size of the complete text-in int8 model each needs on a device."""
    results = {row.name: r for row, _, r in table if r and r["glue5"] is not None}
    sizes = json.loads((PREVIOUS.parent / "words_sizes.json").read_text())["rows"]

    def size(model, tokenizer, fmt):
        row = next(r for r in sizes if r["model"] == model and r["tokenizer"] == tokenizer
                   and r["format"] == fmt and r["int8"])
        return row.get("one_width_per_tensor", row["one_width"]) / 1000

    out = []
    for model in ("eelbert_uno_en", "eelbert_tiny_en"):
        words_row = model.removesuffix("_en") + "_words_en"
        words, wordpiece = results.get(words_row), results.get(model)
        if not (words and wordpiece):
            continue
        diffs, beyond = _differences(words, wordpiece)
        d5 = words["glue5"] - wordpiece["glue5"]
        goal, resolution = "", ""
        if model == "eelbert_uno_en":
            goal = ("within 1 point, the goal, " if d5 >= -1.0 else "more than 1 point below: the goal is not met, ")
        r = (paired or {}).get((words_row, model))
        if r:
            g = r["glue5"]
            resolution = (f" Example by example (below): GLUE-5 {_interval(g)}; "
                          + ("the interval holds -1 and 0 alike, so these dev sets cannot tell whether the words "
                             "model is within 1 point or level" if g["low"] < -1.0 < 0.0 < g["high"] else
                             "the interval is above -1" if g["low"] >= -1.0 else
                             "the interval is below -1: more than 1 point behind beyond the dev sets' resolution"
                             if g["high"] < -1.0 else "the interval holds -1 but not 0")
                          + f" ({r['at_least']['-1.0']:.0%} of resamples at or above -1).")
        out.append(
            f"- `{words_row}` against `{model}`: GLUE-5 {words['glue5']:.1f} against {wordpiece['glue5']:.1f} "
            f"({d5:+.1f}; by task, words minus WordPiece: {', '.join(diffs)}): {goal}"
            f"differences larger than both rows' seed spreads: {', '.join(beyond) or 'none'}.{resolution}"
            + "".join(f" In the \"{p['label']}\" table: {p['rows'][words_row]['glue5']:.1f} against "
                      f"{p['rows'][model]['glue5']:.1f}." for p in _previous_tables()
                      if {words_row, model} <= set(p["rows"]))
            + f" Complete text-in int8 model: {size(model, 'words', 'utf8'):,.0f} KB with words (UTF-8 bytes in, "
            f"builtins only) against {size(model, 'wordpiece', 'text'):,.0f} KB with WordPiece (string in, its "
            "tokenizer's tables in the file).")
    if not out:
        return []
    return ["**Without a vocabulary.** A `_words_en` row is the same architecture pretrained and fine-tuned on the "
            "vocabulary-free words tokenizer (docs/design.md, \"Without a vocabulary\"), at the budget, order and schedule of "
            "its WordPiece row, fine-tuned alike; both are still near the unigram plateau at this budget (docs/pretraining.md"
            "), so this says little yet about what dropping the vocabulary costs a well-pretrained "
            "model. Sizes: what a phone downloads, every table included (`python bench/words_sizes.py`, per-tensor "
            "weights; the same for either pretraining).", "", *out]


def _previous_tables():
    """The previous tables kept in bench/results/glue_previous.json, oldest first (the first: the v1 presets,
    pretrained on half the tokens)."""
    return json.loads(PREVIOUS.read_text())["tables"] if PREVIOUS.exists() else []


def remember(commit, label, about, runs):
    """Keeps each row's GLUE scores as committed at `commit` (`git show`) as a previous table."""
    import subprocess

    def git(*args, check=True):
        return subprocess.run(["git", *args], capture_output=True, text=True, check=check, cwd=PREVIOUS.parents[2])

    def show(path):
        done = git("show", f"{commit}:{path}", check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    rows = {}
    for row in ROWS:
        r = show(f"{runs.as_posix()}/{row.name}/results.json")
        if r and r["glue5"] is not None and all(r["tasks"].get(t) for t in TASKS):
            rows[row.name] = {"tasks": {t: {"mean": round(v["score"]["mean"], 1), "std": round(v["score"]["std"], 1)}
                                   for t, v in r["tasks"].items() if v}, "glue5": round(r["glue5"], 1)}
    if not rows:
        raise SystemExit(f"No complete GLUE row in {runs} at commit {commit}.")
    date = git("show", "-s", "--format=%cd", "--date=format:%Y-%m-%d", commit).stdout.strip()
    full = git("rev-parse", "--short", commit).stdout.strip()
    tables = [t for t in _previous_tables() if t["commit"] != full]
    tables.append({"label": label, "source": f"bench/results/glue/<row>/results.json at {full} (`python "
                   f"bench/glue_table.py --remember {full}`)", "date": date, "commit": full, "pretraining": about,
                   "rows": rows})
    PREVIOUS.write_text(json.dumps({"tables": tables}, indent=1) + "\n")


def _against_previous(table):
    """Rows whose GLUE-5 fell against the first previous table (the v1 presets) although their pretraining grew:
    flagged, not read."""
    previous = _previous_tables()[0]["rows"] if _previous_tables() else {}
    out = []
    for entry, _, r in table:
        row = entry.name
        if r and r["glue5"] is not None and row in previous and r["glue5"] < previous[row]["glue5"] - 1.0:
            tasks = ", ".join(f"{t.upper()} {r['tasks'][t]['score']['mean']:.1f} (before "
                              f"{previous[row]['tasks'][t]['mean']:.1f})" for t in TASKS
                              if r["tasks"].get(t) and t in previous[row]["tasks"])
            out.append(f"**`{row}` scores below the previous table** ({r['glue5']:.1f} against "
                       f"{previous[row]['glue5']:.1f}) although its pretraining is longer and its held-out MLM loss "
                       f"lower: {tasks}. Not read as a result, and ratios to it are not claimed, until the diagnosis below "
                       "(one seed) is confirmed by the table itself.")
    return out


def _diagnosis():
    """What `python bench/archive/finetune_diagnosis.py` measured about BERT-tiny's fine-tuning (one seed per task)."""
    path = PREVIOUS.parent / "finetune_diagnosis.json"
    if not path.exists():
        return []
    out = []
    for key, d in json.loads(path.read_text()).items():
        v = d["variants"]
        cells = "; ".join(f"{name} {r['dev_score']:.1f} (train loss {r['train_loss']:.3f})" for name, r in v.items())
        what = "MSE of the mean label" if d["task"] == "stsb" else "loss of the label shares"
        out.append(f"- `{d['model']}`, {d['task'].upper()}, seed {d['seed']} ({what}: {d['train_loss_of_majority_solution']:.3f}): "
                   f"{cells}.")
        if {"v2_dropout0", "v2_dropout0_lr1e-3", "none"} <= set(v):
            table, fast, fresh = v["v2_dropout0"], v["v2_dropout0_lr1e-3"], v["none"]
            out.append(f"  Reading: fine-tuned as the table does (`v2_dropout0`), the pretrained model ends at a "
                       f"training loss of {table['train_loss']:.3f}, against {fresh['train_loss']:.3f} for the same "
                       f"architecture from random weights: at the recipe's learning rate it "
                       + ("underfits" if table["train_loss"] > fresh["train_loss"] + 0.05 else "fits as well")
                       + f". At a 5x larger rate it reaches {fast['train_loss']:.3f} and scores "
                       f"{fast['dev_score']:.1f} against {fresh['dev_score']:.1f} from random weights (one seed). "
                       "The table keeps one recipe for every model.")
    return ["**Fine-tuning diagnosis** (`python bench/archive/finetune_diagnosis.py --model <preset> --task <task>`: "
            "a preset fine-tuned by the GLUE recipe from its v1 weights (commit e495c81) with today's "
            "code, and from the shipped v2 weights with dropout 0.1 (as the table first did), without dropout as "
            "they were pretrained (as the presets now ship and the table fine-tunes them), at a 4x smaller and a 5x larger "
            "learning rate, and the same architecture not pretrained (`none`: seeded random weights, with dropout 0.1 "
            "as in the `_random_init` rows, and without); dev score, and the final classifier's loss on its own "
            "training set beside the loss of a classifier that learned nothing from the text):", "", *out]


def _against_no_pretraining(table):
    """Each pretrained row against its own architecture without pretraining, on CoLA, MRPC, STS-B and GLUE-5
    (the pretraining issue's goal: above it on each, not only on the average)."""
    results = {row.name: r for row, _, r in table if r}
    out = []
    for row in (r.name for r in ROWS):
        # Its own architecture and tokenizer, not pretrained: eelbert_uno_words_en against eelbert_uno_words_random_init.
        base = row.removesuffix("_en") + "_random_init"
        if not row.endswith("_en") or row not in results or base not in results:
            continue
        a, b = results[row], results[base]
        parts = []
        for t in ("cola", "mrpc", "stsb"):
            d = a["tasks"][t]["score"]["mean"] - b["tasks"][t]["score"]["mean"]
            parts.append(f"{t.upper()} {d:+.1f}")
        d5 = a["glue5"] - b["glue5"]
        above = all(a["tasks"][t]["score"]["mean"] > b["tasks"][t]["score"]["mean"] for t in ("cola", "mrpc", "stsb"))
        out.append(f"- `{row}` minus `{base}`: {', '.join(parts)}, GLUE-5 {d5:+.1f}: "
                   + ("above on all three and on the average." if above and d5 > 0 else "not above on every one."))
    if not out:
        return []
    return ["**Pretrained against not pretrained** (same architecture and fine-tuning recipe, each backbone with its "
            "own dropout: 0 for the presets, pretrained without it; 0.1, BERT's, for a fresh architecture):", "", *out]


def _differences(first, second):
    """`first` minus `second` by task ("COLA +1.2", ...), and the tasks where that difference is larger than both
    rows' spreads over seeds."""
    diffs, beyond = [], []
    for t in TASKS:
        a, b = first["tasks"].get(t), second["tasks"].get(t)
        if a and b:
            d = a["score"]["mean"] - b["score"]["mean"]
            diffs.append(f"{t.upper()} {d:+.1f}")
            if abs(d) > max(a["score"]["std"], b["score"]["std"]):
                beyond.append(t.upper())
    return diffs, beyond


def _hash_ablation(results, shipped):
    """n-gram pooling against a plain random hash per token, same architecture and pretraining."""
    budgets = {_pretraining(m, shipped) for m in ("eelbert_tiny_en", "random_hash_tiny_en")}
    if len(budgets) > 1:
        before = _previous_tables()[0]["rows"] if _previous_tables() else {}
        earlier = ""
        if "eelbert_tiny_en" in before and "random_hash_tiny_en" in before:
            earlier = (f" At equal budget in the v1 table (GLUE-5 v1): n-gram pooling "
                       f"{before['eelbert_tiny_en']['glue5']:.1f}, random hash {before['random_hash_tiny_en']['glue5']:.1f}.")
        return ["", "**The paper's hash ablation** (`random_hash_tiny_en` against `eelbert_tiny_en`) needs both "
                f"pretrained alike; they are not at present ({' against '.join(sorted(budgets))}), so it is not "
                "drawn from this table." + earlier]
    ngram, plain = results.get("eelbert_tiny_en"), results.get("random_hash_tiny_en")
    if not (ngram and plain):
        missing = " and ".join(f"`{m}`" for m, r in (("eelbert_tiny_en", ngram), ("random_hash_tiny_en", plain)) if not r)
        return ["", "**The paper's hash ablation** (`random_hash_tiny_en` against `eelbert_tiny_en`, both pretrained "
                f"alike: {budgets.pop()}): not drawn yet, the GLUE row of {missing} is not run."]
    diffs, beyond = _differences(ngram, plain)
    loss = {m: json.loads((shipped[m] / "record.json").read_text())["heldout_mlm_loss"]
            for m in ("eelbert_tiny_en", "random_hash_tiny_en")}
    gap = ngram["glue5"] - plain["glue5"]
    glue_reading = (f"n-gram pooling is ahead on GLUE-5 by {gap:.2f}, the paper's direction (it finds n-gram pooling "
                    "better, most of all for small models)" if gap > 0 else
                    f"n-gram pooling is behind on GLUE-5 by {-gap:.2f}, unlike the paper (which finds it better, most "
                    "of all for small models)")
    lower = "n-gram pooling" if loss["eelbert_tiny_en"] < loss["random_hash_tiny_en"] else "the random hash"
    if (lower == "n-gram pooling") == (gap > 0):
        loss_reading = f"; the held-out MLM loss orders them alike ({lower} lower)"
    else:
        loss_reading = (f"; the held-out MLM loss orders them the other way ({lower} lower"
                        + ("; a likely reason, measured on the codes and not tested by a pilot: pooled n-gram "
                           "codes put spelling neighbours close together, which masked-token prediction has to "
                           "tell apart, BENCHMARKS.md \"Hash codes\" and docs/pretraining.md"
                           if lower == "the random hash" else "")
                        + "), so at this budget MLM loss does not predict the GLUE order of the two hashes")
    return ["", "**The paper's hash ablation.** `random_hash_tiny_en` is `eelbert_tiny_en` with one pseudo-random "
            "vector per whole token instead of mean-pooled n-gram vectors, pretrained on the same tokens, order "
            f"and schedule. GLUE-5: n-gram pooling {ngram['glue5']:.2f}, random hash {plain['glue5']:.2f} "
            f"({gap:+.2f}); by task, n-gram minus random: {', '.join(diffs)}; "
            f"larger than both rows' seed spreads: {', '.join(beyond) or 'none'}. Held-out MLM loss (BENCHMARKS.md, "
            f"\"Pretraining\"): n-gram pooling {loss['eelbert_tiny_en']:.3f}, random hash "
            f"{loss['random_hash_tiny_en']:.3f}. Reading: {glue_reading}{loss_reading}. One budget, three "
            "fine-tuning seeds and one pretraining seed each: the GLUE-5 gap is a measurement of these two models, "
            "not yet of the two hashes in general."]


def _timing(table):
    """Fine-tuning time per seed (training only; dev evaluation adds 1-2 s) of each task and model."""
    rows = [(row.name, r) for row, _, r in table if r]
    if not rows:
        return []
    out = ["Fine-tuning time per seed in seconds (training only) and the whole row (6 tasks x 3 seeds, with "
           "evaluation) in minutes, as each row was scheduled on this 2-core CPU: a row run beside another job "
           "shared the cores, so compare tasks within a row more than rows with each other.", "",
           "| model | " + " | ".join(t.upper() for t in TASKS) + " | row, minutes |",
           "|---|" + "---:|" * (len(TASKS) + 1)]
    for row, r in rows:
        cells, total = [], 0.0
        for task in TASKS:
            v = r["tasks"].get(task)
            if v is None:
                cells.append("absent")
                continue
            cells.append(f"{v['train_seconds_per_seed']:.0f}")
            total += sum(run["train_seconds"] + run["eval_seconds"] for run in v["runs"])
        out.append(f"| `{row}` | " + " | ".join(cells) + f" | {total / 60:.0f} |")
    return out


def _plot(points, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4), dpi=110)
    for name, size, score in points:
        ax.scatter(size, score)
        ax.annotate(name, (size, score), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xscale("log")
    ax.margins(x=0.25, y=0.1)
    ax.set_xlabel("backbone size, MB at float32 (log scale)")
    ax.set_ylabel("GLUE-5 (dev)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
