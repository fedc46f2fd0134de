"""What per-tensor int8 weight scales cost in accuracy, against per-channel ones (and float), on SST-2 dev.

    python bench/archive/int8_weights.py [--classifier DIR] [--tokenizer words] [--format utf8]

Per-channel weights carry a float32 scale and an int64 zero point per output channel of every weight
matrix: 18 KB of the complete int8 text-in EELBERT-UNO (words tokenizer), which is what stands between it
and the 300 KB goal (BENCHMARKS.md, "Vocabulary-free text-in models"). This measures what giving them up
costs: a classifier (by default `eelbert_uno_en` fine-tuned on SST-2 for one epoch with the words
tokenizer, seed 0, kept in runs/int8_weights/) is exported as float, int8 with per-channel weights and int8
with per-tensor weights (all with one hash width), and each file is run by the TFLite interpreter on all 872
SST-2 dev sentences: accuracy, agreement of its labels with the Keras model's, and the largest difference in
probability. Writes bench/results/int8_weights.json and the "int8 weight scales" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results" / "int8_weights.json"


def measure(classifier, fmt, runs) -> dict:
    from eelbert_tf.classification.classifier_bundle import load_classifier
    from eelbert_tf.data_paths import data_dir
    from eelbert_tf.export.exporter import export
    from eelbert_tf.export.runner import TFLiteClassifier
    from eelbert_tf.glue.tasks import from_glue

    dev = from_glue("sst2", data_dir() / "glue", "validation")
    texts, labels = dev.texts, np.asarray(dev.labels)
    bundle = load_classifier(classifier)
    reference = np.asarray(bundle.scores(texts))
    rows = [{"model": "Keras (float32)", "bytes": None, "accuracy": float((reference.argmax(1) == labels).mean()),
             "agreement": 1.0, "max_abs_diff": 0.0}]
    for name, int8, weights in (("float", False, "per_channel"), ("int8, per-channel weights", True, "per_channel"),
                                ("int8, per-tensor weights", True, "per_tensor")):
        out = runs / f"{fmt}.{'int8.' + weights if int8 else 'float'}.tflite"
        report = export(classifier, fmt, out, int8=int8, hash_widths=(), int8_weights=weights)
        started = time.time()
        scores = TFLiteClassifier(out).scores(texts)
        rows.append({"model": f"{fmt} {name}", "bytes": report["bytes"],
                     "accuracy": float((scores.argmax(1) == labels).mean()),
                     "agreement": float((scores.argmax(1) == reference.argmax(1)).mean()),
                     "max_abs_diff": float(np.abs(scores - reference).max()),
                     "seconds": round(time.time() - started, 1)})
        print(json.dumps(rows[-1]), flush=True)
    return {"classifier": str(classifier), "tokenizer": bundle.tokenizer_kind, "format": fmt,
            "base_model": bundle.info.get("base_model"), "examples": int(len(texts)), "rows": rows}


def render(result) -> str:
    lines = [
        f"SST-2 dev ({result['examples']} sentences), one classifier ({result['base_model']}, {result['tokenizer']} "
        f"tokenizer, fine-tuned one epoch, seed 0) exported as `{result['format']}` with one hash width, calibrated on "
        "the 200 training sentences `eelbert finetune` keeps with the classifier; each file run by the TFLite interpreter. Agreement: the share of sentences whose "
        "label equals the Keras model's. Per-channel weights give each output channel of a weight matrix its own "
        "scale (and an int64 zero point); per-tensor weights one per matrix (`eelbert export --int8 --per-tensor`).",
        "",
        "| model | bytes | SST-2 dev accuracy | agreement with Keras | largest probability difference |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        size = f"{r['bytes']:,}" if r["bytes"] else ""
        lines.append(f"| {r['model']} | {size} | {100 * r['accuracy']:.2f}% | {100 * r['agreement']:.2f}% | "
                     f"{r['max_abs_diff']:.4f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classifier", help="a classifier folder (default: fine-tune one, see above)")
    parser.add_argument("--tokenizer", default="words", choices=("words", "wordpiece"))
    parser.add_argument("--format", default="utf8")
    parser.add_argument("--runs", default="runs/int8_weights")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args(argv)
    if args.render_only:
        saved = json.loads(RESULTS.read_text())
    else:
        runs = pathlib.Path(args.runs)
        classifier = pathlib.Path(args.classifier) if args.classifier else runs / f"sst2_{args.tokenizer}"
        if not args.classifier and not (classifier / "classifier.keras").is_file():
            from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
            from eelbert_tf.glue.tasks import from_glue
            from eelbert_tf.data_paths import data_dir

            glue = data_dir() / "glue"
            finetune("eelbert_uno_en", from_glue("sst2", glue, "train"), from_glue("sst2", glue, "validation"),
                     classifier, FinetuneRecipe(epochs=1, seed=0), source={"glue_task": "sst2"}, verbose=2,
                     tokenizer=args.tokenizer)
        saved = {**measure(classifier, args.format, runs),
                 "measured": {"machine": _report.machine(), "date": _report.now(), "commit": _report.commit()}}
        RESULTS.write_text(json.dumps(saved, indent=1) + "\n")
    _report.write_section("int8 weight scales", render(saved), "python bench/archive/int8_weights.py", saved["measured"])
    print(render(saved))


if __name__ == "__main__":
    main()
