"""The whole text-in .tflite a phone downloads, with the WordPiece tokenizer and with the vocabulary-free
words tokenizer: file sizes, float and int8.

    python bench/words_sizes.py [--models eelbert_uno_en,eelbert_tiny_en] [--sequence-length 128]

Sizes do not depend on what the weights learned, so each classifier is the shipped backbone with a
two-class head fitted for one epoch on the 64-review test fixture (tests/fixtures/reviews_train.csv),
once per tokenizer, and calibrated for int8 on 16 of those reviews. Exported as:
- `text` (WordPiece): string in; TF Text's normalizer and WordPiece kernels with their tables;
- `utf8` (words): UTF-8 bytes in; the tokenizer, packing and hash in builtin ops, no table;
- `text` (words): string in; TF Text's ByteSplit kernel, then the same builtin graph;
- `bytes` (either): token bytes in, tokenized by the app (the encoder and hash alone, for reference);
each with the hash at one byte width (`--hash-buckets none`, the smallest file) and with the default
buckets (6, 10, full: faster hashing). Writes bench/results/words_sizes.json and the "Vocabulary-free
text-in models" section of BENCHMARKS.md. GLUE scores of models pretrained on words are not here yet.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _report  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "words_sizes.json"
GOAL_BYTES = 300_000
EXPORTS = [("wordpiece", "text"), ("wordpiece", "bytes"), ("words", "utf8"), ("words", "text"), ("words", "bytes")]


def measure(models, sequence_length) -> list[dict]:
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.classification.labeled_text import read_labeled_file
    from eelbert_tf.export.exporter import export

    train = read_labeled_file(REPO / "tests" / "fixtures" / "reviews_train.csv", text_column="review",
                              label_column="sentiment")
    calibration = [[t] for t in train.texts[:16]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            folders = {}
            for tokenizer in ("wordpiece", "words"):
                folders[tokenizer] = pathlib.Path(tmp) / f"{model}_{tokenizer}"
                finetune(model, train, None, folders[tokenizer],
                         FinetuneRecipe(epochs=1, batch_size=8, sequence_length=sequence_length),
                         verbose=0, log=lambda *_: None, tokenizer=tokenizer)
            for tokenizer, fmt in EXPORTS:
                for int8 in (False, True):
                    row = {"model": model, "tokenizer": tokenizer, "format": fmt, "int8": int8}
                    for label, widths, weights in (("one_width", (), "per_channel"), ("buckets", (6, 10), "per_channel"),
                                                   ("one_width_per_tensor", (), "per_tensor")):
                        if weights == "per_tensor" and not int8:
                            continue
                        report = export(folders[tokenizer], fmt, pathlib.Path(tmp) / "x.tflite", int8=int8,
                                        calibration=calibration, hash_widths=widths, int8_weights=weights)
                        row[label] = report["bytes"]
                        row["custom_ops"] = report["custom_ops"]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    return rows


def render(rows, sequence_length):
    kb = lambda b: f"{b / 1000:,.0f} KB"  # noqa: E731
    lines = [
        f"Each shipped backbone with a two-class head, {sequence_length} tokens, exported whole (tokenizer, packing, "
        "hash, encoder, head: what a phone downloads). Sizes do not depend on the weights' values, so they hold for the "
        "presets pretrained on words (`eelbert_uno_words_en`, `eelbert_tiny_words_en`) too; their GLUE scores against "
        "WordPiece are in the section \"GLUE\". `one width`: every token hashed at one byte width "
        "(`--hash-buckets none`); `buckets`: the default (6, 10, full), faster, larger. int8 weights have one scale "
        "per output channel unless marked per-tensor (`--per-tensor`: one per matrix; its accuracy cost is in the "
        "section \"int8 weight scales\"). Every file is compacted (`eelbert_tf.export.core.compact_flatbuffer`: no "
        "names on internal tensors, no per-tensor empty buffers or quantization tables).",
        "",
        "| model | tokenizer | format (input) | custom ops | float, one width | int8, one width | int8, buckets "
        "| int8 per-tensor, one width |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    inputs = {"text": "string", "utf8": "UTF-8 bytes", "bytes": "token bytes; the app tokenizes"}
    by = {(r["model"], r["tokenizer"], r["format"], r["int8"]): r for r in rows}
    for model, tokenizer, fmt in dict.fromkeys((r["model"], r["tokenizer"], r["format"]) for r in rows):
        f, q = by[(model, tokenizer, fmt, False)], by[(model, tokenizer, fmt, True)]
        ops = ", ".join(q["custom_ops"]) or "none"
        per_tensor = kb(q["one_width_per_tensor"]) if "one_width_per_tensor" in q else "not measured"
        lines.append(f"| `{model}` | {tokenizer} | `{fmt}` ({inputs[fmt]}) | {ops} | {kb(f['one_width'])} | "
                     f"**{kb(q['one_width'])}** | {kb(q['buckets'])} | {per_tensor} |")
    lines.append("")
    for model in dict.fromkeys(r["model"] for r in rows):
        wordpiece = by[(model, "wordpiece", "text", True)]["one_width"]
        words = by[(model, "words", "utf8", True)]["one_width"]
        encoder = by[(model, "words", "bytes", True)]["one_width"]
        smallest = by[(model, "words", "utf8", True)].get("one_width_per_tensor", words)
        verdict = ""
        if "uno" in model:
            verdict = (f" Goal for UNO, under {GOAL_BYTES:,} bytes: per-channel {words:,} "
                       f"({'met' if words < GOAL_BYTES else 'not met'}), per-tensor {smallest:,} "
                       f"({'met' if smallest < GOAL_BYTES else 'not met'}).")
        lines.append(
            f"`{model}`, int8, one width: the complete words text-in model is {kb(words)} against {kb(wordpiece)} "
            f"with WordPiece ({wordpiece / words:.1f}x smaller); its tokenizer adds {kb(words - encoder)} to the "
            f"encoder and hash ({kb(encoder)}), WordPiece's adds "
            f"{kb(wordpiece - by[(model, 'wordpiece', 'bytes', True)]['one_width'])}.{verdict}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="eelbert_uno_en,eelbert_tiny_en")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--render-only", action="store_true", help="rewrite the section from the saved results")
    args = parser.parse_args(argv)
    if args.render_only:
        saved = json.loads(RESULTS.read_text())
        rows, measured = saved["rows"], saved["measured"]
    else:
        rows = measure(args.models.split(","), args.sequence_length)
        measured = {"machine": _report.machine(), "date": _report.now(), "commit": _report.commit()}
        RESULTS.write_text(json.dumps({"measured": measured, "sequence_length": args.sequence_length, "rows": rows},
                                      indent=1) + "\n")
    _report.write_section("Vocabulary-free text-in models", render(rows, args.sequence_length),
                          "python bench/words_sizes.py", measured)


if __name__ == "__main__":
    main()
