"""Pretraining tokens/s with TensorFlow's default CPU allocator against its BFC allocator.

    python bench/archive/cpu_allocator.py [--models eelbert_uno,bert_tiny] [--steps 200] [--threads 1]

Each model pretrains `--steps` steps of 32 x 128 with `eelbert pretrain`'s trainer (the
shuffled_v2 recipe's settings) in a fresh process, once with `TF_CPU_ALLOCATOR_USE_BFC=false`
and once with `true`, one after the other on the same token cache (built once in a temporary
folder from the corpus), pinned to one core when `--threads 1`. tokens/s is measured from the
training log after the first 50 steps (tracing and warm-up excluded). Writes the "CPU allocator"
section of BENCHMARKS.md. `eelbert_tf` turns the BFC allocator on (an environment default a user
can override) because of what this measures.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # bench/, for _report

import _report  # noqa: E402

WORKER = """
import json, sys
from eelbert_tf.pretraining.trainer import PretrainConfig, pretrain
model, steps, out, cache, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
pretrain(PretrainConfig(preset=model, tokens=steps * 32 * 128, out_dir=out, cache_dir=cache, batch_size=32,
                        learning_rate=2e-3, warmup_ratio=0.1, backbone_overrides={"dropout": 0.0},
                        checkpoint_every=10**6, log_every=25, threads=None if threads == "none" else int(threads),
                        validation_sequences=64), log=lambda *a, **k: None)
"""


def measure(model, steps, cache, threads, bfc, workdir) -> float:
    out = pathlib.Path(workdir) / f"{model}_{'bfc' if bfc else 'default'}"
    env = {**os.environ, "TF_CPU_ALLOCATOR_USE_BFC": "true" if bfc else "false"}
    command = [sys.executable, "-c", WORKER, model, str(steps), str(out), str(cache), str(threads)]
    if threads == 1:
        command = ["taskset", "-c", "0", *command]
    subprocess.run(command, env=env, check=True)
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "tokens_per_second" in r and "step" in r]
    first = next(r for r in rows if r["step"] >= 50)
    last = rows[-1]
    return (last["tokens"] - first["tokens"]) / (last["elapsed_seconds"] - first["elapsed_seconds"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="eelbert_uno,bert_tiny")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    models = args.models.split(",")
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        cache = pathlib.Path(workdir) / "cache"
        for model in models:
            row = {"model": model}
            for bfc in (False, True):
                row["bfc" if bfc else "default"] = measure(model, args.steps, cache, args.threads, bfc, workdir)
                print(model, "bfc" if bfc else "default", f"{row['bfc' if bfc else 'default']:,.0f} tokens/s", flush=True)
            results.append(row)
    lines = [
        f"Each model pretrains {args.steps} steps of 32 x 128 tokens (the shuffled_v2 recipe's settings) in a fresh "
        f"process, {'one thread on one core' if args.threads == 1 else f'{args.threads} threads'}, once with "
        "TensorFlow's default CPU allocator and once with its BFC allocator (`TF_CPU_ALLOCATOR_USE_BFC`); "
        "tokens/s after the first 50 steps.",
        "",
        "| model | default allocator, tokens/s | BFC allocator, tokens/s | speed-up |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| `{r['model']}` | {r['default']:,.0f} | {r['bfc']:,.0f} | {r['bfc'] / r['default']:.2f}x |")
    lines += ["", "A training step allocates and frees the MLM logits (32 x 20 x 30,522 floats, 78 MB) and their "
              "gradients every step; the likely cause of the difference is that the default allocator returns such "
              "blocks to the kernel and maps them again, while BFC "
              "keeps a pool. `eelbert_tf` sets `TF_CPU_ALLOCATOR_USE_BFC=true` "
              "when it is imported before TensorFlow, unless the variable is already set."]
    _report.write_section("CPU allocator", "\n".join(lines), "python bench/archive/cpu_allocator.py")


if __name__ == "__main__":
    main()
