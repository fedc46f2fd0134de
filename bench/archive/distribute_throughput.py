"""Distributed pretraining on this machine: one process against two workers, and what they exchange.

    python bench/archive/distribute_throughput.py [--steps 300] [--models eelbert_tiny,bert_tiny]

For each model, the same run (batch 32 x 128, the shuffled_v2 recipe's settings, one token cache)
three ways: one process with 2 TensorFlow threads (`--strategy default`), one process with 1 thread,
and two `--strategy multi-worker` workers on 127.0.0.1 with 1 thread each (TF_CONFIG), each
pinned to its own core. Tokens/s is the global batch's tokens over the wall time between the
first logged step after warm-up and the last (from the chief's train_log.jsonl). The per-step
communication volume is measured from the gradients of one real training batch (the tensors the
all-reduce sums: every trainable variable's gradient, dense; an `IndexedSlices` gradient counted as
its values and indices), split into the vocabulary-sized part (input table, MLM output layer) and
the rest. Writes the "Distributed pretraining" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
BATCH, SEQ = 32, 128
SETTINGS = ["--batch-size", str(BATCH), "--sequence-length", str(SEQ), "--learning-rate", "2e-3",
            "--warmup-ratio", "0.1", "--backbone-arg", "dropout=0.0", "--log-every", "25",
            "--checkpoint-every", "100000", "--validation-sequences", "64"]


def _run(model, out, cache, steps, corpus, workers=1, threads=1):
    base = [sys.executable, "-m", "eelbert_tf", "pretrain", "--preset", model, "--tokens", str(BATCH * SEQ * steps),
            "--out", str(out), "--cache-dir", str(cache), "--corpus", *corpus, "--threads", str(threads), *SETTINGS]
    if workers == 1:
        subprocess.run(["taskset", "-c", "0,1" if threads > 1 else "0", *base], check=True, capture_output=True)
    else:
        from eelbert_tf.pretraining.distribute import free_local_ports, local_tf_config

        ports = free_local_ports(workers)
        processes = [subprocess.Popen(
            ["taskset", "-c", str(i), *base, "--strategy", "multi-worker"],
            env={**os.environ, "TF_CONFIG": local_tf_config(ports, i)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(workers)]
        for p in processes:
            _, err = p.communicate()
            if p.returncode:
                raise SystemExit(f"worker failed:\n{err[-3000:]}")
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    first, last = rows[1], rows[-1]  # skip the first interval (tracing, warm-up)
    return (last["tokens"] - first["tokens"]) / (last["elapsed_seconds"] - first["elapsed_seconds"])


def communication(model, mlm_head=None):
    """Bytes of the gradients one step all-reduces, by part, measured on one real batch."""
    import keras
    import tensorflow as tf

    from eelbert_tf.data_paths import default_vocabulary_path
    from eelbert_tf.models.eelbert_masked_lm import build_masked_lm
    from eelbert_lite.vocabulary import load_vocabulary
    from eelbert_tf.pretraining.loss import MaskedLMLoss

    vocabulary = load_vocabulary(default_vocabulary_path())
    masked_lm = build_masked_lm(model, vocabulary, mlm_head=mlm_head)
    k = 20
    rng = tf.random.Generator.from_seed(0)
    ids = rng.uniform([BATCH, SEQ], 1000, len(vocabulary), dtype=tf.int32)
    x = {"segment_ids": tf.zeros([BATCH, SEQ], tf.int32), "padding_mask": tf.ones([BATCH, SEQ], tf.int32),
         "mask_positions": tf.tile(tf.range(1, k + 1)[None], [BATCH, 1])}
    if masked_lm.backbone.token_input_name == "tokens":
        x["tokens"] = tf.gather(tf.constant(vocabulary), ids)
    else:
        x["token_ids"] = ids
    y = ids[:, 1 : k + 1]
    with tf.GradientTape() as tape:
        loss = MaskedLMLoss()(y, masked_lm(x, training=True), tf.ones([BATCH, k]))
    variables = masked_lm.trainable_variables
    parts = {"vocabulary-sized (input table, MLM output layer)": 0, "encoder, embeddings, pooler, head transform": 0}
    for variable, gradient in zip(variables, tape.gradient(loss, variables)):
        if gradient is None:
            continue
        if isinstance(gradient, tf.IndexedSlices):
            size = gradient.values.numpy().nbytes + gradient.indices.numpy().nbytes
        else:
            size = gradient.numpy().nbytes
        vocabulary_sized = len(vocabulary) in variable.shape
        parts[list(parts)[0 if vocabulary_sized else 1]] += size
    keras.backend.clear_session()
    return masked_lm.mlm_head_type, parts


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--models", default="eelbert_tiny,bert_tiny")
    parser.add_argument("--runs", default="runs/distribute")
    args = parser.parse_args(argv)
    from eelbert_tf.data_paths import data_dir

    corpus = [str(sorted((data_dir() / "corpus").glob("enwiki*"))[0])]
    runs = pathlib.Path(args.runs)
    results = {}
    for model in args.models.split(","):
        cache = runs / f"cache_{args.steps}"
        rates = {}
        for name, workers, threads in (("one process, 2 threads", 1, 2), ("one process, 1 thread", 1, 1),
                                       ("two workers, 1 thread each", 2, 1)):
            out = runs / f"{model}-{workers}x{threads}"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            rates[name] = _run(model, out, cache, args.steps, corpus, workers, threads)
            print(model, name, f"{rates[name]:,.0f} tokens/s", flush=True)
        head, parts = communication(model)
        results[model] = {"rates": rates, "mlm_head": head, "communication": parts}
        if model.startswith("eelbert"):
            results[model]["communication_hash_tied"] = communication(model, "hash_tied")[1]
        print(model, head, parts, flush=True)
    out = REPO / "bench" / "results" / "distribute_throughput.json"
    out.write_text(json.dumps({"machine": _report.machine(), "date": _report.now(), "commit": _report.commit(),
                               "steps": args.steps, "results": results}, indent=2) + "\n")
    write_section(json.loads(out.read_text()))


def write_section(measured):
    results = measured["results"]
    names = list(next(iter(results.values()))["rates"])
    rows = []
    for model, r in results.items():
        total = sum(r["communication"].values())
        vocab = next(iter(r["communication"].values()))
        rows.append(f"| `{model}` | {r['mlm_head']} | " + " | ".join(f"{r['rates'][n]:,.0f}" for n in names)
                    + f" | {total / 1e6:.2f} MB | {vocab / 1e6:.2f} MB | {(total - vocab) / 1e6:.2f} MB |")
    models = list(results)
    speed = []
    for model, r in results.items():
        two, both = r["rates"]["two workers, 1 thread each"], r["rates"]["one process, 2 threads"]
        speed.append(f"`{model}` {two / both:.2f}x")
    ratio = ("\n\nOn this one machine, two workers run at " + ", ".join(speed) + " the speed of one process using both "
             "cores: each step sums about 20 MB of gradients over gRPC on 127.0.0.1, which costs more than the "
             "second core saves; multi-worker training pays where each worker brings its own cores or accelerator.")
    if {"eelbert_tiny", "bert_tiny"} <= set(models):
        e, b = (sum(results[m]["communication"].values()) for m in ("eelbert_tiny", "bert_tiny"))
        ratio += (f" Per step, `eelbert_tiny` all-reduces {e / 1e6:.2f} MB against `bert_tiny`'s {b / 1e6:.2f} MB "
                 f"(BERT-tiny / EELBERT-tiny = {b / e:.2f}x). EELBERT has no input table, but in pretraining its "
                 "`separate` MLM output layer (128 x 30,522 and a bias, dropped afterwards) is as large as "
                 "BERT-tiny's table, which BERT-tiny's tied head shares between input and output, and both "
                 "gradients are dense (the output side touches every row).")
        tied = results["eelbert_tiny"].get("communication_hash_tied")
        if tied:
            t = sum(tied.values())
            ratio += (f" With the `hash_tied` head (no vocabulary-sized weights) `eelbert_tiny` all-reduces "
                      f"{t / 1e6:.2f} MB per step, {b / t:.1f}x less than `bert_tiny`.")
    body = (
        f"{measured['steps']} steps of {BATCH} x {SEQ} tokens per run (the first logged interval excluded), "
        "the shuffled_v2 settings, `eelbert pretrain` as a user runs it; two workers are two processes on "
        "127.0.0.1 with TF_CONFIG, each pinned to one core. Communication: bytes of the gradients of one "
        "training batch, which `MultiWorkerMirroredStrategy` sums across workers every step.\n\n"
        "| model | MLM head | " + " | ".join(f"tokens/s, {n}" for n in names)
        + " | all-reduced per step | of which vocabulary-sized | the rest |\n"
        "|---|---|" + "---:|" * (len(names) + 3) + "\n" + "\n".join(rows) + ratio
        + "\n\nWhat is tested (`tests/pretraining/test_distribute.py`): two workers' logged losses equal one "
        "process's with the same global batch within 1e-3 over 160 steps, the chief alone writes, and a worker "
        "killed with SIGKILL then both resumed end at the uninterrupted run's weights (1e-6). Not tested here: "
        "several GPUs (`--strategy mirrored` runs on this CPU as one replica), clusters of machines, TPUs."
    )
    _report.write_section("Distributed pretraining", body, "python bench/archive/distribute_throughput.py", measured)
    print(body)


if __name__ == "__main__":
    main()
