"""Deployment: the shipped SST-2 classifier in every format, and EELBERT against BERT-tiny on a device runtime.

    python bench/deployment.py [--threads 1] [--stage finetune|export|measure|all]

1. finetune (cached in runs/deploy/, or $EELBERT_DEPLOY_RUNS: a folder outside the work tree keeps the classifiers
   between checkouts): the shipped classifier and its two variants come from `eelbert distil`
   (bench/distil_runs.py, DISTILLED: the MiniLM wheel's model fine-tuned in Keras on SST-2 as the teacher, its
   scores of the train texts, 4 augmented variants of each and the dev texts; `eelbert_uno_en` at 5 epochs, the
   same at 3 epochs with ReLU feed-forward layers (TFLite Micro has no GELU), and `eelbert_uno_words_en` (the
   vocabulary-free text-in file) at 3; mean pooling at 1e-3, alpha 0.5); a run not there is run first. Fine-tuned
   here on the labels alone (CLASSIFIERS): `eelbert_uno_en` (the plain row, and MEAN: mean pooling at 1e-3), on
   MRPC (a pair task for the int8 check), and the peers `eelbert_tiny_en` and `bert_tiny_en` on SST-2, with the
   GLUE recipe (FinetuneRecipe: 3 epochs, AdamW 2e-4, batch 32, 128 tokens, seed 0).
2. export: the shipped classifier to tflite/models/sst2_eelbert_uno/ (.keras, labels, every format in
   float and int8, the micro model with its generated C sources and its own .keras, the words model's
   `utf8` int8 file and its .keras); the peers to runs/deploy/exports/.
   (`--stage micro` exports and measures the micro file alone, from its shipped reference folder.)
3. measure: SST-2 dev accuracy of every file in its runtime (LiteRT, MediaPipe TextClassifier, TFLite
   Micro), int8 against float agreement, MRPC float against int8, file sizes split into weights and
   tokenizer/vocabulary tables, latency per sentence in ai-edge-litert on one thread split into
   tokenization, hashing and encoder, the TFLite Micro arena and invoke time, and TF-IDF plus logistic
   regression fitted on the same split in the same run (bench/baselines.py). Writes
   bench/results/deployment.json, the "Deployment" section of BENCHMARKS.md, the README's deployment
   table and docs/deployment_sizes.png.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _report  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
RUNS = pathlib.Path(os.environ.get("EELBERT_DEPLOY_RUNS") or REPO / "runs" / "deploy")
SHIPPED = REPO / "tflite" / "models" / "sst2_eelbert_uno"
RESULTS = REPO / "bench" / "results" / "deployment.json"
STEM = "sst2_eelbert_uno"
# The shipped classifier and its variants, made by `eelbert distil` (bench/distil_runs.py RUNS: the command of each,
# recorded with it): classifier name: (distil run, student).
DISTILLED = {
    "sst2_eelbert_uno_en": ("sst2_e5", "eelbert_uno_en"),  # 5 epochs: the shipped classifier
    "sst2_eelbert_uno_en_relu": ("sst2_micro", "eelbert_uno_en"),  # ReLU, 3 epochs: the micro file
    "sst2_eelbert_uno_words_en": ("sst2_words", "eelbert_uno_words_en"),  # 3 epochs: the utf8 file
}
# The head on the mean of every token's output at 5x the GLUE recipe's rate (docs/finetuning.md: with one
# layer, [CLS] reads the fixed token vectors through one linear map; the mean keeps each token's feed-forward
# output). MEAN alone is the labels-only row that separates what the pooling gives from what the teacher gives.
MEAN = {"pooling": "mean", "learning_rate": 1e-3}
# Fine-tuned here on the labels: name: (base model, GLUE task, recipe overrides: MEAN, or None for GLUE's)
CLASSIFIERS = {
    "sst2_eelbert_uno_en_mean": ("eelbert_uno_en", "sst2", MEAN),
    "sst2_eelbert_uno_en_plain": ("eelbert_uno_en", "sst2", None),
    "mrpc_eelbert_uno_en": ("eelbert_uno_en", "mrpc", None),
    "sst2_eelbert_tiny_en": ("eelbert_tiny_en", "sst2", None),
    "sst2_bert_tiny_en": ("bert_tiny_en", "sst2", None),
}
CLASSIFIER_FILES = ("classifier.keras", "labels.txt", "vocab.txt", "classifier.json", "metrics.json",
                    "calibration.jsonl")


def glue_dir():
    from eelbert_tf.data_paths import data_dir

    return data_dir() / "glue"


def finetune_all(names=None):
    import distil_runs
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.models.registry import pretraining_tokenizer

    for name, (run, student) in DISTILLED.items():
        if (names and name not in names) or (RUNS / name / "classifier.keras").exists():
            continue
        folder = distil_runs.student_folder(run, student)
        if not (folder / "metrics.json").is_file():
            distil_runs.run(run, [])
        (RUNS / name).mkdir(parents=True)
        for f in CLASSIFIER_FILES:
            if (folder / f).exists():
                shutil.copy(folder / f, RUNS / name / f)
        record = json.loads((distil_runs.RESULTS / f"{run}.json").read_text())
        settings = json.loads((folder.parents[1] / "distil.json").read_text())["settings"]
        (RUNS / name / "record.json").write_text(json.dumps(shipped_record(folder, record, settings), indent=1) + "\n")
    for name, (model, task, overrides) in CLASSIFIERS.items():
        if names and name not in names:
            continue
        out = RUNS / name
        if (out / "classifier.keras").exists():
            continue
        recipe = FinetuneRecipe(**{"epochs": 3 if task == "sst2" else 5, **(overrides or {})})
        finetune(model, from_glue(task, glue_dir(), "train"), from_glue(task, glue_dir(), "validation"), out,
                 recipe, verbose=2, source={"glue_task": task}, tokenizer=pretraining_tokenizer(model))


def shipped_record(folder: pathlib.Path, run: dict, settings: dict) -> dict:
    """What a shipped classifier folder's `record.json` says: the command that made it, its teacher, the data and
    the teacher's scores (with their checksums), the texts, steps, losses and wall time, and the commit."""
    from eelbert_tf.io_utils import file_sha256

    info = json.loads((folder / "classifier.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())
    report = run["report"]
    distillation = info["distillation"]
    return {
        "command": run["command"], "distil_run": run["name"], "note": run.get("note"),
        "teacher": report["teacher"], "teacher_recipe": settings["teacher_recipe"],
        "teacher_scores": {"texts": distillation["teacher"]["texts"], "sha256": distillation["teacher"]["sha256"]},
        "data": {"train": info["train_source"], "train_sha256": file_sha256(info["train_source"]),
                 "dev": metrics.get("dev_source"), "train_examples": metrics["train_examples"],
                 "texts": distillation["texts"]},
        "student": info["base_model"], "recipe": info["recipe"],
        "steps": metrics.get("steps"), "losses": metrics.get("losses"),
        **({"losses_source": metrics["losses_source"]} if "losses_source" in metrics else {}),
        "train_seconds": metrics["train_seconds"],
        "stage_seconds": run["stage_seconds"], "dev": metrics["dev"],
        "keras_sha256": file_sha256(folder / "classifier.keras"),
        "machine": report["machine"], "date": report["date"], "commit": report["commit"],
    }


# The classifier folder each shipped format is exported from (and compared with in Keras).
REFERENCE = {"micro": "sst2_eelbert_uno_en_relu", "utf8": "sst2_eelbert_uno_words_en"}
REFERENCE_FOLDERS = {"micro": "micro_reference", "utf8": "words_reference"}  # under SHIPPED


def shipped_files():
    """(format, int8, file name) of every shipped .tflite."""
    out = []
    for fmt in ("text", "mediapipe", "bytes"):
        out += [(fmt, False, f"{STEM}.{fmt}.tflite"), (fmt, True, f"{STEM}.{fmt}.int8.tflite")]
    # The vocabulary-free text-in model: UTF-8 bytes in, words tokenizer, packing and hash in builtin ops.
    return out + [("micro", True, f"{STEM}.micro.int8.tflite"), ("utf8", True, f"{STEM}_words.utf8.int8.tflite")]


def export_all():
    from eelbert_tf.export import core
    from eelbert_tf.export.exporter import export

    SHIPPED.mkdir(parents=True, exist_ok=True)
    source = RUNS / "sst2_eelbert_uno_en"
    for f in (*CLASSIFIER_FILES, "record.json"):
        shutil.copy(source / f, SHIPPED / f)
    reports = {}
    # Every shipped file beside its own reference model: the micro (ReLU) and words variants' classifier
    # folders too (loadable with `load_classifier`, as the main one).
    for fmt, folder in REFERENCE_FOLDERS.items():
        (SHIPPED / folder).mkdir(exist_ok=True)
        for f in (*CLASSIFIER_FILES, "record.json"):
            if (RUNS / REFERENCE[fmt] / f).exists():  # calibration.jsonl too: `--stage micro` exports from it
                shutil.copy(RUNS / REFERENCE[fmt] / f, SHIPPED / folder / f)
    for fmt, int8, name in shipped_files():
        model = RUNS / REFERENCE.get(fmt, "sst2_eelbert_uno_en")
        # The words file hashes at one width with per-tensor int8 scales: the smallest file, for its 300 KB
        # budget (bench/words_sizes.py: 290,872 bytes, against 309,208 with per-channel scales).
        words = fmt == "utf8"
        reports[name] = export(model, fmt, SHIPPED / name, int8=int8, hash_widths=() if words else core.HASH_WIDTHS,
                               int8_weights="per_tensor" if words else "per_channel")
        print(f"{name}: {reports[name]['bytes']:,} bytes")
    peers = RUNS / "exports"
    for peer, formats in (("sst2_eelbert_tiny_en", ("text", "mediapipe", "bytes")),
                          ("sst2_bert_tiny_en", ("text", "mediapipe"))):
        for fmt in formats:
            for int8 in (False, True):
                name = f"{peer}.{fmt}{'.int8' if int8 else ''}.tflite"
                reports[name] = export(RUNS / peer, fmt, peers / name, int8=int8)
                print(f"{name}: {reports[name]['bytes']:,} bytes")
    for int8 in (False, True):  # the size-for-speed choice: every token hashed at the full width
        name = f"sst2_eelbert_uno_en.bytes-onewidth{'.int8' if int8 else ''}.tflite"
        reports[name] = export(RUNS / "sst2_eelbert_uno_en", "bytes", peers / name, int8=int8, hash_widths=())
        print(f"{name}: {reports[name]['bytes']:,} bytes")
    for fmt in ("text", "mediapipe", "bytes"):  # eelbert_uno with the same exports as the peers, in one place
        for int8 in (False, True):
            name = f"{STEM}.{fmt}{'.int8' if int8 else ''}.tflite"
            shutil.copy(SHIPPED / name, peers / name.replace(STEM, "sst2_eelbert_uno_en"))
    (RUNS / "export_reports.json").write_text(json.dumps(reports, indent=1))


def size_breakdown(path) -> dict:
    """File bytes split into weights (float/int8 constants), tokenizer and vocabulary tables (byte and
    string constants, large int32 tables, custom-op options such as the WordPiece and normalizer models,
    files MediaPipe appends), and the rest (graph, names)."""
    from tensorflow.lite.python import schema_py_generated as schema

    data = pathlib.Path(path).read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    weights = tables = 0
    for tensor in m.subgraphs[0].tensors:
        buffer = m.buffers[tensor.buffer]
        size = 0 if buffer.data is None else len(buffer.data)
        if buffer.offset:
            size = buffer.size
        if size == 0:
            continue
        big_int = tensor.type in (schema.TensorType.INT32, schema.TensorType.INT64) and size >= 16384
        if tensor.type in (schema.TensorType.UINT8, schema.TensorType.STRING) or big_int:
            tables += size
        else:
            weights += size
    for op in m.subgraphs[0].operators:
        if op.customOptions is not None:
            tables += len(op.customOptions)
    flatbuffer_end = len(data)
    try:  # MediaPipe packs its associated files (the vocabulary, the labels) as a zip after the flatbuffer
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            appended = sum(i.compress_size + 30 + len(i.filename) for i in archive.infolist())
        tables += appended
        flatbuffer_end -= appended
    except zipfile.BadZipFile:
        pass
    return {"bytes": len(data), "weights": weights, "tables": tables, "other": len(data) - weights - tables}


def _time(fn, repeats) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def latency_fn(path, text):
    """One invoke of `path` on `text`, one thread, inputs prepared once (what the model itself costs)."""
    from eelbert_lite.model_file import make_interpreter
    from eelbert_tf.export.runner import TFLiteClassifier

    runner = TFLiteClassifier(path)
    interpreter = make_interpreter(pathlib.Path(path).read_bytes(), custom_ops=runner.format == "text", num_threads=1)
    inputs = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    values = runner._example_inputs([text])

    def run():
        for name, value in values.items():
            interpreter.set_tensor(inputs[name], value)
        interpreter.invoke()

    return run


def hash_latency_fn(bytes_model, text):
    """The hash alone, as the exports compute it (`embed_bytes_bucketed`), over the packed tokens of `text`,
    converted the same way, one thread."""
    import tensorflow as tf

    from eelbert_tf.export.core import convert, embed_bytes_bucketed
    from eelbert_lite.model_file import make_interpreter
    from eelbert_tf.export.runner import TFLiteClassifier
    from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding

    runner = TFLiteClassifier(bytes_model)
    x = runner._example_inputs([text])
    k = int(x["padding_mask"].sum())
    token_bytes = x["token_bytes"][0, :k]
    layer = DynamicHashEmbedding(128)
    model = convert(lambda t: embed_bytes_bucketed(layer, t), [tf.TensorSpec([None, token_bytes.shape[1]], tf.int32)])
    interpreter = make_interpreter(model, num_threads=1)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, token_bytes.shape)
    interpreter.allocate_tensors()

    def run():
        interpreter.set_tensor(index, token_bytes)
        interpreter.invoke()

    return run


ROUNDS, REPEATS = 5, 100


def timed_in_rounds(fns: dict, rounds=ROUNDS, repeats=REPEATS) -> dict:
    """Median ms per invoke of every function in `fns`, timed in `rounds` interleaved rounds (each round times
    every function for `repeats` invokes, then the next round starts): a slow spell of the machine falls on all
    of them, not on whichever was being timed. Returns {key: {"ms": median of the round medians, "low", "high":
    the fastest and slowest round}}."""
    times = {key: [] for key in fns}
    for r in range(rounds):
        for key, fn in fns.items():
            times[key].append(_time(fn, repeats))
        print(f"latency round {r + 1}/{rounds}")
    return {key: {"ms": statistics.median(t), "low": min(t), "high": max(t)} for key, t in times.items()}


def measure():
    import numpy as np

    from eelbert_tf.classification.classifier_bundle import load_classifier
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.classification.metrics import classification_metrics

    reports = json.loads((RUNS / "export_reports.json").read_text())
    dev = from_glue("sst2", glue_dir(), "validation")
    results = {"keras": {}, "files": {}, "peers": {}, "mrpc": {}}
    for name in ("sst2_eelbert_uno_en", "sst2_eelbert_uno_en_relu", "sst2_eelbert_uno_words_en",
                 "sst2_eelbert_uno_en_plain", "sst2_eelbert_uno_en_mean",
                 "sst2_eelbert_tiny_en", "sst2_bert_tiny_en"):
        bundle = load_classifier(RUNS / name)
        scores = bundle.scores(dev.texts)
        results["keras"][name] = {"accuracy": classification_metrics(dev.labels, scores.argmax(-1), 2)["accuracy"],
                                  "labels": scores.argmax(-1).tolist()}
        print(name, "keras", results["keras"][name]["accuracy"])
    float_labels = {}
    for fmt, int8, name in shipped_files():
        reference = REFERENCE.get(fmt, "sst2_eelbert_uno_en")
        entry, labels = file_entry(fmt, int8, SHIPPED / name, reports[name], dev,
                                   np.array(results["keras"][reference]["labels"]))
        if not int8:
            float_labels[fmt] = labels
        elif fmt in float_labels:
            entry["agrees_with_float"] = float(np.mean(labels == float_labels[fmt]) * 100)
        results["files"][name] = entry
        print(name, {k: v for k, v in entry.items() if k not in ("ops", "runtime")})
    results["files"][f"{STEM}.mediapipe.tflite"]["mediapipe_task_accuracy"] = mediapipe_accuracy(
        SHIPPED / f"{STEM}.mediapipe.tflite", dev)
    # Latency: a typical SST-2 sentence (the median dev length in tokens) and a text that fills 128 tokens.
    tokenizer = load_classifier(RUNS / "sst2_eelbert_uno_en").preprocessor().tokenizer
    import tensorflow as tf

    lengths = [int(n) for n in tokenizer(tf.constant(dev.texts))["token_ids"].row_lengths().numpy()]
    median = sorted(lengths)[len(lengths) // 2]
    typical = next(t for t, n in zip(dev.texts, lengths) if n == median)
    long_text = " ".join(dev.texts)[:5000]
    results["latency_texts"] = {"typical": typical, "typical_tokens": median + 2, "long_tokens": 128}
    peers = RUNS / "exports"
    uno_bytes = peers / "sst2_eelbert_uno_en.bytes.tflite"
    fns, files = {}, {}
    for model in ("sst2_eelbert_uno_en", "sst2_eelbert_tiny_en", "sst2_bert_tiny_en"):
        for fmt in ("text", "mediapipe", "bytes", "bytes-onewidth"):
            for int8 in (False, True):
                name = f"{model}.{fmt}{'.int8' if int8 else ''}.tflite"
                if (peers / name).exists():
                    files[name] = model
                    fns[(name, "typical")] = latency_fn(peers / name, typical)
                    fns[(name, "128")] = latency_fn(peers / name, long_text)
    words = f"{STEM}_words.utf8.int8.tflite"  # the shipped vocabulary-free file, timed in the same rounds
    fns[(words, "typical")] = latency_fn(SHIPPED / words, typical)
    fns[(words, "128")] = latency_fn(SHIPPED / words, long_text)
    fns[("hash", "typical")] = hash_latency_fn(uno_bytes, typical)
    fns[("hash", "128")] = hash_latency_fn(uno_bytes, long_text)
    timed = timed_in_rounds(fns)
    results["latency_rounds"] = {"rounds": ROUNDS, "repeats": REPEATS}
    for name, model in files.items():
        row = {**size_breakdown(peers / name)}
        for which in ("typical", "128"):
            t = timed[(name, which)]
            row[f"ms_{which}"], row[f"ms_{which}_range"] = t["ms"], [t["low"], t["high"]]
        results["peers"].setdefault(model, {})[name] = row
        print(name, row)
    for which in ("typical", "128"):
        t = timed[(words, which)]
        results["files"][words][f"ms_{which}"], results["files"][words][f"ms_{which}_range"] = t["ms"], [t["low"], t["high"]]
    results["hash_ms"] = {which: timed[("hash", which)]["ms"] for which in ("typical", "128")}
    results["hash_ms_range"] = {which: [timed[("hash", which)]["low"], timed[("hash", which)]["high"]]
                                for which in ("typical", "128")}
    results["micro"] = micro_timing(SHIPPED / f"{STEM}.micro.int8.tflite", typical)
    results["mrpc"] = mrpc_int8()
    # The baseline a practitioner fits first, in the same run, and the teacher the shipped model learned from.
    from baselines import tfidf_logistic_regression

    results["baselines"] = {"tfidf_lr": tfidf_logistic_regression(from_glue("sst2", glue_dir(), "train"), dev)}
    record = json.loads((RUNS / "sst2_eelbert_uno_en" / "record.json").read_text())
    distillation = json.loads((RUNS / "sst2_eelbert_uno_en" / "classifier.json").read_text())["distillation"]
    results["teacher"] = {"distillation": distillation, "dev": record["teacher"]["dev"], "model": record["teacher"],
                          "recipe": record["teacher_recipe"], "command": record["command"]}
    results["machine"], results["date"], results["commit"] = _report.machine(), _report.now(), _report.commit()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def file_entry(fmt, int8, path, report, dev, keras_labels):
    """`(entry, labels)`: a shipped file's row of deployment.json (SST-2 dev in its runtime, agreement with its
    Keras model's dev labels, its ops and runtime, its sizes, and a micro file's arena and length) and its labels."""
    import numpy as np

    from eelbert_tf.classification.metrics import classification_metrics
    from eelbert_tf.export.core import read_metadata
    from eelbert_tf.export.runner import TFLiteClassifier

    labels = TFLiteClassifier(path).scores(dev.texts).argmax(-1)
    entry = {"format": fmt, "int8": int8, "accuracy": classification_metrics(dev.labels, labels, 2)["accuracy"],
             "agrees_with_keras": float(np.mean(labels == keras_labels) * 100),
             "ops": report["ops"], "runtime": report["runtime"], **size_breakdown(path)}
    if fmt == "micro":
        meta = read_metadata(pathlib.Path(path).read_bytes())
        entry["arena_bytes"], entry["sequence_length"] = meta["arena_bytes"], meta["sequence_length"]
    return entry, labels


def remeasure_micro(note=None):
    """`--stage micro`: the micro file again from its shipped reference folder (`micro_reference`, the ReLU
    classifier and its calibration examples), for a change to the micro export alone. Its C sources are written
    again, its entries in deployment.json (SST-2 dev in TFLite Micro, agreement with Keras, sizes, arena, invoke
    time) replaced and stamped with this run's date and commit; every other figure keeps its own run's stamp."""
    from eelbert_tf.classification.classifier_bundle import load_classifier
    from eelbert_tf.export.exporter import export
    from eelbert_tf.glue.tasks import from_glue

    results = json.loads(RESULTS.read_text())
    reference = SHIPPED / REFERENCE_FOLDERS["micro"]
    name = f"{STEM}.micro.int8.tflite"
    report = export(reference, "micro", SHIPPED / name, int8=True)
    print(f"{name}: {report['bytes']:,} bytes")
    dev = from_glue("sst2", glue_dir(), "validation")
    keras_labels = load_classifier(reference).scores(dev.texts).argmax(-1)
    if keras_labels.tolist() != results["keras"][REFERENCE["micro"]]["labels"]:
        raise SystemExit(f"{reference} is not the classifier {RESULTS} measured: its dev labels differ")
    stamp = {"machine": _report.machine(), "date": _report.now(), "commit": _report.commit(),
             "command": "python bench/deployment.py --stage micro", **({"note": note} if note else {})}
    entry, _ = file_entry("micro", True, SHIPPED / name, report, dev, keras_labels)
    results["files"][name] = {**entry, "measured": stamp}
    results["micro"] = {**micro_timing(SHIPPED / name, results["latency_texts"]["typical"]), "measured": stamp}
    print(name, {k: v for k, v in results["files"][name].items() if k not in ("ops", "runtime")}, results["micro"])
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def mediapipe_accuracy(path, dev) -> float:
    """SST-2 dev accuracy of the file in MediaPipe Tasks' TextClassifier (its own tokenizer, no code of ours)."""
    from mediapipe.tasks.python import text
    from mediapipe.tasks.python.core import base_options

    options = text.TextClassifierOptions(base_options=base_options.BaseOptions(model_asset_path=str(path)))
    correct = 0
    with text.TextClassifier.create_from_options(options) as classifier:
        for sentence, label in zip(dev.texts, dev.labels):
            top = max(classifier.classify(sentence).classifications[0].categories, key=lambda c: c.score)
            correct += int(top.category_name == dev.label_names[label])
    return 100 * correct / len(dev)


def micro_timing(path, text, repeats=50) -> dict:
    """Invoke time of the micro model in TFLite Micro's Python interpreter (on this host CPU, not a
    microcontroller) at its static length, with the measured arena."""
    from eelbert_tf.export.core import read_metadata
    from eelbert_tf.export.runner import TFLiteClassifier

    runner = TFLiteClassifier(path)  # TFLite Micro itself
    meta = read_metadata(pathlib.Path(path).read_bytes())
    values = runner._example_inputs([text])

    def run():
        for name, value in values.items():
            runner.interpreter.set_tensor(runner.inputs[name]["index"], value)
        runner.interpreter.invoke()

    return {"arena_bytes": meta["arena_bytes"], "sequence_length": meta["sequence_length"],
            "ms_invoke_host": _time(run, repeats), "model_bytes": pathlib.Path(path).stat().st_size}


def mrpc_int8() -> dict:
    from eelbert_tf.classification.classifier_bundle import load_classifier
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.classification.metrics import classification_metrics
    from eelbert_tf.export.exporter import export
    from eelbert_tf.export.runner import TFLiteClassifier

    dev = from_glue("mrpc", glue_dir(), "validation")
    bundle = load_classifier(RUNS / "mrpc_eelbert_uno_en")
    out = {"keras": classification_metrics(dev.labels, bundle.scores(dev.texts, dev.text_pairs).argmax(-1), 2)}
    for int8 in (False, True):
        path = RUNS / "exports" / f"mrpc_eelbert_uno_en.bytes{'.int8' if int8 else ''}.tflite"
        export(RUNS / "mrpc_eelbert_uno_en", "bytes", path, int8=int8)
        labels = TFLiteClassifier(path).scores(dev.texts, dev.text_pairs).argmax(-1)
        out["int8" if int8 else "float"] = classification_metrics(dev.labels, labels, 2)
    for v in out.values():
        v.pop("confusion_matrix", None)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--stage", choices=["finetune", "export", "measure", "micro", "render", "all"],
                        default="all")
    parser.add_argument("--only", help="comma list of classifiers to fine-tune")
    parser.add_argument("--note", help="--stage micro: a line on how it ran, e.g. what else ran on the machine")
    args = parser.parse_args(argv)
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if args.stage in ("finetune", "all"):
        finetune_all(args.only.split(",") if args.only else None)
    if args.stage in ("export", "all"):
        export_all()
    if args.stage in ("measure", "all"):
        measure()
    if args.stage == "micro":
        remeasure_micro(args.note)
    if args.stage in ("measure", "micro", "render", "all"):
        from deployment_report import render

        render(json.loads(RESULTS.read_text()))


if __name__ == "__main__":
    main()
