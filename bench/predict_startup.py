"""`eelbert predict` start-up: wall time and peak memory of one command on one sentence, beside a bare LiteRT
import (the floor any Python caller of a .tflite file pays), each run as a fresh process, several times.

    python bench/predict_startup.py            # writes BENCHMARKS.md, section "eelbert predict: start-up"

Files run by eelbert_lite (`bytes`, `mediapipe`, `utf8`, and `micro` in TFLite Micro's interpreter) import no
TensorFlow; any file through `python -m eelbert_tf predict` goes through eelbert_tf (TensorFlow), shown for
comparison.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
SHIPPED = REPO / "tflite" / "models" / "sst2_eelbert_uno"
SENTENCE = "A gorgeous, witty, seductive movie."
RUNS = 5


def _eelbert() -> list[str]:
    script = shutil.which("eelbert")
    return [script] if script else [sys.executable, "-m", "eelbert_lite.cli"]


def commands() -> dict[str, list[str]]:
    lite = _eelbert()
    model = lambda name: str(SHIPPED / f"sst2_eelbert_uno{name}")  # noqa: E731
    return {
        "bare LiteRT: `python -c 'import ai_edge_litert.interpreter'`":
            [sys.executable, "-c", "import ai_edge_litert.interpreter"],
        "`eelbert predict`, int8 `bytes` (298 KB)": [*lite, "predict", "--model", model(".bytes.int8.tflite"), SENTENCE],
        "`eelbert predict`, int8 `mediapipe`": [*lite, "predict", "--model", model(".mediapipe.int8.tflite"), SENTENCE],
        "`eelbert predict`, int8 `utf8` (words)": [*lite, "predict", "--model", model("_words.utf8.int8.tflite"),
                                                   SENTENCE],
        "`eelbert predict`, int8 `micro` (the NumPy hash, TFLite Micro)":
            [*lite, "predict", "--model", model(".micro.int8.tflite"), SENTENCE],
        "`python -m eelbert_tf predict`, int8 `bytes` (eelbert_tf: imports TensorFlow)":
            [sys.executable, "-m", "eelbert_tf", "predict", "--model", model(".bytes.int8.tflite"), SENTENCE],
    }


def measure(argv: list[str]) -> dict:
    """Median wall seconds and the largest peak RSS over RUNS fresh processes; stderr must stay empty."""
    walls, peaks = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        pid = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
        _, status, usage = os.wait4(pid.pid, 0)
        walls.append(time.perf_counter() - started)
        stderr = pid.stderr.read().decode()
        if status or stderr.strip():
            raise SystemExit(f"{' '.join(argv)} failed ({status}): {stderr[-2000:]}")
        peaks.append(usage.ru_maxrss / 1024)  # KiB -> MiB (Linux)
    return {"seconds": statistics.median(walls), "peak_mib": max(peaks)}


def main():
    from _report import write_section

    rows = []
    load = os.getloadavg()[0]
    results = {name: measure(argv) for name, argv in commands().items()}
    floor = results[next(iter(results))]["seconds"]
    for name, r in results.items():
        rows.append(f"| {name} | {r['seconds']:.2f} | {r['seconds'] - floor:+.2f} | {r['peak_mib']:.0f} |")
        print(rows[-1], flush=True)
    body = (f"One sentence, each command a fresh process, median of {RUNS} runs (peak RSS: the largest); stderr "
            f"empty in every run (checked). Load average {load:.1f} on {os.cpu_count()} cores when it started. Goal (issue 41): within 1 s of LiteRT's own start and under 200 MB.\n\n"
            "| command | seconds | over LiteRT | peak MiB |\n|---|---:|---:|---:|\n" + "\n".join(rows))
    write_section("eelbert predict: start-up", body, "python bench/predict_startup.py")


if __name__ == "__main__":
    main()
