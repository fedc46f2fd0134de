"""Training MLM loss of pretraining runs side by side at equal steps (mean over a 250-step window).

    python bench/archive/curve_compare.py LOG [LOG ...] [--every 1000]

Each LOG is a run's train_log.jsonl (e.g. bench/results/presets_v2/eelbert_uno_en/train_log.jsonl, or a
run folder's). Runs of one recipe family see the same cache, order and masks, so their losses at one step
compare the models, not the data. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import pathlib


def windowed(path: pathlib.Path, step: int, window: int = 250):
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    values = [r["loss"] for r in rows if "loss" in r and step - window < r["step"] <= step]
    return sum(values) / len(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", type=pathlib.Path)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--names", help="comma-separated column names (default: the logs' folder names)")
    args = parser.parse_args(argv)
    names = args.names.split(",") if args.names else [p.parent.name for p in args.logs]
    last = min(max(json.loads(line)["step"] for line in p.read_text().splitlines() if '"step"' in line)
               for p in args.logs)
    print("| step | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for step in list(range(args.every, last + 1, args.every)) + ([last] if last % args.every else []):
        cells = [windowed(p, step) for p in args.logs]
        print(f"| {step:,} | " + " | ".join("" if c is None else f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
