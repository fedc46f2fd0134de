"""`eelbert distil`: a user's labelled texts and a strong teacher to small int8 files, judged against TF-IDF.

One job, in stages, each resumable and each skipped when its output is complete (`distil`):

1. **teacher**: a keras-hub backbone (or Hugging Face folder) is fine-tuned on the labels into a classifier
   folder, `OUT/teacher/` (`keras_hub_teacher.finetune_teacher`; resumes from its last epoch). A classifier or
   a scores file is used as it is.
2. **texts**: the training texts, `augment` variants of each and `unlabeled` texts (`distillation_texts`,
   as `eelbert finetune --teacher` reads them), and the dev texts.
3. **scores**: the teacher's logits of every text, appended to `OUT/scores/teacher-<key>.jsonl`, where the key
   is the fingerprint of the teacher's weights, the texts and the augmentation; a killed run keeps every
   finished chunk and scores only what is missing. The file is a scores file `eelbert finetune --teacher`
   takes.
4. **students**: each student preset distils from those scores (`finetune`), into `OUT/students/<name>/`; a
   killed student resumes after its last finished epoch (kept in `OUT/students/.<name>.work/`).
5. **export**: each student's int8 files (`formats`), each scored on dev in its own runtime.
6. **baseline**: TF-IDF + logistic regression on the same train split (`baseline.tfidf_baseline`).
7. **report**: one table (teacher, students, files with their bytes, TF-IDF, student/teacher ratio) in
   `OUT/report.md` and `OUT/report.json`.

`students=("auto",)` distils the candidates (`AUTO_STUDENTS`) smallest first and stops at the first whose int8
file beats TF-IDF on dev; the report says which it picked, or that none did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import pathlib
import time

from eelbert_tf.classification.baseline import tfidf_baseline
from eelbert_tf.classification.finetune import FinetuneRecipe, finetune, teacher_texts
from eelbert_tf.classification.keras_hub_teacher import TeacherRecipe, finetune_teacher
from eelbert_tf.classification.labeled_text import LabeledText, subsample
from eelbert_tf.classification.metrics import dev_metrics
from eelbert_tf.classification.teacher import read_unlabeled
from eelbert_tf.classification.teachers import load_teacher, teacher_kind
from eelbert_tf.export.exporter import export
from eelbert_tf.export.formats import FORMATS
from eelbert_tf.export.runner import load_predictor
from eelbert_tf.io_utils import git_commit, machine, utc_now, write_json_atomically
from eelbert_tf.models.registry import pretraining_tokenizer

AUTO_STUDENTS = ("eelbert_uno_en", "eelbert_tiny_en")  # smallest first
DEFAULT_FORMATS = ("bytes", "mediapipe")
# What a new --out may already hold, copied from another run: its scores files (keyed by teacher and texts) and its
# fine-tuned teacher (reused only for the same backbone, data and teacher recipe: `finetune_teacher` checks).
REUSABLE = ("scores", "teacher")
SCORE_CHUNK = 4096  # texts scored between two appends to the scores file


AUTO_AUGMENT_TEXTS = 64_000  # `augment=None`: variants per text so that the teacher scores about this many


def auto_augment(train_examples: int) -> int:
    """Augmented variants per training text when none is given: enough for about `AUTO_AUGMENT_TEXTS` teacher-scored
    texts, between 4 (SST-2's 67,349 sentences, the shipped recipe) and 16. Measured on an 8,000-sentence task
    (docs/finetuning.md): 8 variants give the two-layer student's int8 file the same score as 16 (80.05%) and the
    one-layer one 1.3 points less, at about half the scoring and training time (the 30-minute budget there)."""
    return int(min(16, max(4, round(AUTO_AUGMENT_TEXTS / max(train_examples, 1)))))


def student_recipe(**changes) -> FinetuneRecipe:
    """The students' default recipe (docs/finetuning.md, "eelbert distil"): the shipped SST-2 classifier's (mean
    pooling at 1e-3, alpha 0.5), 3 epochs, and `augment=None`: `auto_augment` of the training set's size."""
    base = dict(pooling="mean", learning_rate=1e-3, epochs=3, distill_alpha=0.5, augment=None)
    return FinetuneRecipe(**{**base, **{k: v for k, v in changes.items() if v is not None}})


@dataclasses.dataclass
class DistilConfig:
    teacher: str
    students: tuple = ("eelbert_uno_en",)
    formats: tuple | None = None  # None: DEFAULT_FORMATS where the task allows them (one text, classes), else bytes
    recipe: FinetuneRecipe = dataclasses.field(default_factory=student_recipe)
    teacher_recipe: TeacherRecipe = dataclasses.field(default_factory=TeacherRecipe)
    unlabeled: str | None = None


def _formats_for(config: DistilConfig, train: LabeledText, words: bool) -> list[str]:
    single_class = train.text_pairs is None and not train.is_regression
    formats = list(config.formats or (DEFAULT_FORMATS if single_class else ("bytes",)))
    if words:  # the vocabulary-free tokenizer: its text-in file is utf8 (no vocabulary anywhere)
        formats = ["utf8" if f in ("bytes", "mediapipe", "utf8") else f for f in formats]
    elif "utf8" in formats:
        formats.remove("utf8")
    return list(dict.fromkeys(formats))


def _check_formats(config: DistilConfig, train: LabeledText) -> None:
    unknown = [f for f in (config.formats or ()) if f not in FORMATS]
    if unknown:
        raise ValueError(f"--format {','.join(unknown)}: expected some of {', '.join(FORMATS)}.")
    wanted = _formats_for(config, train, words=False)
    if "mediapipe" in wanted:
        if train.text_pairs is not None or train.is_regression:
            raise ValueError("--format mediapipe makes MediaPipe's TextClassifier, which classifies one text: this "
                             "task has pairs or a regression score (use --format bytes).")
        try:
            import mediapipe  # noqa: F401 - only to tell now, not after training, that the export will fail
        except ImportError:
            raise ValueError("--format mediapipe needs MediaPipe (pip install 'eelbert-tf[mediapipe]'), which is "
                             "not installed; or give --format bytes.") from None


def _fingerprint(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _read_scored(path: pathlib.Path) -> set:
    """The texts a partly written scores file already holds; a last line cut by a kill is dropped."""
    if not path.is_file():
        return set()
    done, good = set(), 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            row = json.loads(raw)
            done.add((row["text"], row.get("text_pair")))
            good += len(raw)
    if good != path.stat().st_size:
        with open(path, "r+b") as f:
            f.truncate(good)
    return done


def score_texts(teacher, rows, path, log=print) -> dict:
    """Appends the teacher's scores of every `(text, pair)` row missing from the scores file `path`."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = _read_scored(path)
    todo = [r for r in dict.fromkeys(rows) if r not in done]
    todo.sort(key=lambda r: len(r[0]) + len(r[1] or ""))  # similar lengths in each chunk
    if done:
        log(f"scores: {len(done):,} texts already scored in {path}; {len(todo):,} to go")
    pair = bool(rows) and rows[0][1] is not None
    # The time to go is read from characters, not texts: sorted by length, the texts still to score are the
    # longest (a batch costs about its longest text's tokens), so a rate in texts/s says too little time.
    work = list(itertools.accumulate(len(a) + len(b or "") + 8 for a, b in todo))
    started = time.time()
    for start in range(0, len(todo), SCORE_CHUNK):
        chunk = todo[start:start + SCORE_CHUNK]
        if start:
            elapsed = time.time() - started
            to_go = elapsed * (work[-1] - work[start - 1]) / work[start - 1]
            log(f"scores: {start:,} of {len(todo):,} texts, {start / elapsed:.0f}/s, about {to_go / 60:.1f} min to go")
        logits = teacher.logits([a for a, _ in chunk], [b for _, b in chunk] if pair else None)
        lines = "".join(json.dumps({"text": a, **({"text_pair": b} if pair else {}),
                                    "scores": [round(float(v), 6) for v in row]}, ensure_ascii=False) + "\n"
                        for (a, b), row in zip(chunk, logits))
        with open(path, "a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
    seconds = time.time() - started
    return {"texts": len(done) + len(todo), "scored_now": len(todo), "seconds": round(seconds, 1),
            "texts_per_second": round(len(todo) / seconds, 1) if todo and seconds > 0 else None}


def _evaluate_file(path: pathlib.Path, dev: LabeledText) -> dict:
    """The exported file's dev metrics in its own runtime, cached beside it."""
    cached = path.with_name(path.name + ".metrics.json")
    if cached.is_file():
        return json.loads(cached.read_text())
    started = time.time()
    scores = load_predictor(path).scores(dev.texts, dev.text_pairs)
    result = {"file": path.name, "bytes": path.stat().st_size, "dev": dev_metrics(scores, dev),
              "examples_per_second": round(len(dev) / max(time.time() - started, 1e-9), 1)}
    write_json_atomically(cached, result)
    return result


def _score(metrics: dict) -> float:
    return float(metrics["accuracy"] if "accuracy" in metrics else metrics["pearson"])


def distil(config: DistilConfig, train: LabeledText, dev: LabeledText, out, source: dict | None = None,
           log=print, verbose: int = 1, command: str | None = None) -> dict:
    """Runs (or resumes) every stage into the folder `out`; returns the report (`report.json`).

    `command` (the CLI's own line) goes into the report and into each student's record (`classifier.json`'s
    `distillation`), beside the teacher that wrote the scores."""
    out = pathlib.Path(out)
    if dev is None:
        raise ValueError("eelbert distil needs dev data (--dev, or a GLUE --task): the report compares every model "
                         "on it.")
    if dev.label_names != train.label_names or (dev.text_pairs is None) != (train.text_pairs is None):
        raise ValueError(f"The dev data ({dev.source}) has other labels or text columns than the training data "
                         f"({train.source}).")
    auto = tuple(config.students) == ("auto",)
    students = AUTO_STUDENTS if auto else tuple(config.students)
    for name in students:
        pretraining_tokenizer(name)  # refuses an unknown student by name, before anything is written
    _check_formats(config, train)
    pair, regression = train.text_pairs is not None, train.is_regression
    kind = teacher_kind(config.teacher)
    # What the teacher's scores and every student depend on; students and formats may change between calls (each
    # student is a folder of its own, distilled from the same scores: the teacher runs once).
    settings = {"teacher": str(config.teacher), "recipe": dataclasses.asdict(config.recipe),
                "teacher_recipe": dataclasses.asdict(config.teacher_recipe), "unlabeled": config.unlabeled,
                "train": train.source, "dev": dev.source, "labels": train.label_names}
    run_file = out / "distil.json"
    if run_file.is_file():
        previous = json.loads(run_file.read_text())["settings"]
        if previous != settings:
            changed = sorted(k for k in settings if previous.get(k) != settings[k])
            raise FileExistsError(f"--out {out} holds a distil run with other settings ({', '.join(changed)}): "
                                  "choose a new folder, or rerun the same command to resume it.")
    elif out.exists() and any(p.name not in REUSABLE for p in out.iterdir()):
        raise FileExistsError(f"--out {out} exists and is not a distil run: choose a new folder.")
    if kind != "backbone":  # checked (labels, outputs, task) before anything is written
        teacher = load_teacher(config.teacher, train.label_names, regression, pair, progress=False)
    started = time.time()
    stages_file = out / "stages.json"  # seconds each stage took, kept across calls (a resumed stage adds its time)
    times = json.loads(stages_file.read_text()) if stages_file.is_file() else {}

    def timed(name, since):
        times[name] = round(times.get(name, 0.0) + time.time() - since, 1)
        if out.is_dir():
            write_json_atomically(stages_file, times)

    # 1. teacher
    teacher_record = None
    if kind == "backbone":
        stage = time.time()
        teacher_record = finetune_teacher(config.teacher, train, dev, out / "teacher", config.teacher_recipe, log,
                                          verbose)
        timed("teacher_finetune", stage)
        teacher = load_teacher(out / "teacher", train.label_names, regression, pair, progress=False)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomically(run_file, {"settings": settings, "source": source or {}, "commit": git_commit()})

    # 2. texts (the same list `eelbert finetune --teacher` asks the scores file for)
    recipe = config.recipe
    fit_train = subsample(train, recipe.max_train_examples)
    if recipe.augment is None:
        recipe = dataclasses.replace(recipe, augment=auto_augment(len(fit_train)))
        log(f"augment: {recipe.augment} variants per training text ({len(fit_train):,} texts; --augment sets it)")
    extra = read_unlabeled(config.unlabeled, pair) if config.unlabeled else None
    rows, counts = teacher_texts(fit_train, recipe, extra, dev, log)

    # 3. scores
    description = teacher.describe()
    key = _fingerprint({k: v for k, v in description.items() if k not in ("path", "dev")}, rows)[:16]
    scores_path = out / "scores" / f"teacher-{key}.jsonl"
    stage = time.time()
    scoring = score_texts(teacher, rows, scores_path, log)
    timed("teacher_scores", stage)
    scores = load_teacher(scores_path, train.label_names, regression, pair)  # read once: the dev score, each student
    teacher_dev = dev_metrics(scores.logits(dev.texts, dev.text_pairs), dev)
    log(f"teacher: dev {json.dumps(teacher_dev)}")

    # 6. baseline (cheap: fitted before the students, so `auto` can compare against it)
    baseline_file = out / "baseline.json"
    if not baseline_file.is_file():
        write_json_atomically(baseline_file, tfidf_baseline(fit_train, dev))
    baseline = json.loads(baseline_file.read_text())
    log(f"baseline: {baseline['name']} {baseline['score']:.2f}")

    # 4-5. students and their files
    student_reports, picked = [], None
    for name in students:
        folder = out / "students" / name
        stage = time.time()
        if not (folder / "metrics.json").is_file():
            tokenizer = pretraining_tokenizer(name)
            finetune(name, train, dev, folder, recipe, verbose=verbose, log=log, source=source, tokenizer=tokenizer,
                     teacher=scores, unlabeled=config.unlabeled,
                     distillation_record={"scored_by": {**description, "dev": teacher_dev}, "command": command})
        timed(f"student_{name}", stage)
        metrics = json.loads((folder / "metrics.json").read_text())
        info = json.loads((folder / "classifier.json").read_text())
        files = []
        for fmt in _formats_for(config, train, info.get("tokenizer") == "words"):
            path = folder / f"{name}.{fmt}.int8.tflite"
            stage = time.time()
            if not path.is_file():
                export(folder, fmt, path, int8=True)
            files.append({"format": fmt, **_evaluate_file(path, dev)})
            timed(f"export_{name}_{fmt}", stage)
        report = {"student": name, "dev": metrics["dev"], "train_seconds": metrics["train_seconds"],
                  "fit_examples": metrics.get("fit_examples"), "files": files}
        student_reports.append(report)
        if auto and files and max(_score(f["dev"]) for f in files) > baseline["score"]:
            picked = name
            break
    if auto and picked is None:
        log(f"auto: no student's int8 file beats {baseline['name']} ({baseline['score']:.2f}); the report lists "
            "each")

    teacher_score = _score(teacher_dev)
    result = {
        "task": {"train": train.source, "dev": dev.source, "train_examples": len(fit_train),
                 "dev_examples": len(dev), "labels": train.label_names, "text_pair": pair},
        "metric": "pearson" if regression else "accuracy",
        "teacher": {**{k: v for k, v in description.items()}, "dev": teacher_dev, "score": teacher_score,
                    "finetuned": teacher_record is not None},
        "texts": {**counts, "scored": scoring["texts"], "scored_now": scoring["scored_now"],
                  "scores_file": str(scores_path.relative_to(out)),
                  "teacher_texts_per_second": scoring["texts_per_second"]},
        "students": [{**s, "score": _score(s["dev"]), "ratio_to_teacher": _score(s["dev"]) / teacher_score,
                      "files": [{**f, "score": _score(f["dev"]), "ratio_to_teacher": _score(f["dev"]) / teacher_score,
                                 "beats_baseline": _score(f["dev"]) > baseline["score"]} for f in s["files"]]}
                     for s in student_reports],
        "baseline": baseline,
        "recipe": dataclasses.asdict(recipe),
        "command": command,
        "auto": {"picked": picked, "candidates": list(students)} if auto else None,
        "seconds": times, "wall_seconds_this_call": round(time.time() - started, 1),
        "machine": machine(), "date": utc_now(), "commit": git_commit(),
    }
    write_json_atomically(out / "report.json", result)
    (out / "report.md").write_text(report_table(result) + "\n", encoding="utf-8")
    return result


def report_table(result: dict) -> str:
    """The run's table: teacher, each student (Keras) and its int8 files, TF-IDF; dev score and ratio."""
    metric = result["metric"]
    teacher = result["teacher"]
    lines = [f"| model | bytes | dev {metric} | / teacher |", "|---|---:|---:|---:|",
             f"| teacher: {teacher.get('class') or teacher['kind']} ({teacher.get('parameters') or '-'} parameters) "
             f"| - | {teacher['score']:.2f} | 1.000 |"]
    for s in result["students"]:
        lines.append(f"| {s['student']} (Keras, float) | - | {s['score']:.2f} | {s['ratio_to_teacher']:.3f} |")
        for f in s["files"]:
            mark = " (picked)" if result.get("auto") and result["auto"]["picked"] == s["student"] else ""
            lines.append(f"| {s['student']} int8 `{f['format']}`{mark} | {f['bytes']:,} | {f['score']:.2f} | "
                         f"{f['ratio_to_teacher']:.3f} |")
    b = result["baseline"]
    lines.append(f"| {b['name']} ({b['features']}) | - | {b['score']:.2f} | {b['score'] / teacher['score']:.3f} |")
    return "\n".join(lines)


def summary_line(result: dict) -> str:
    best = max((f for s in result["students"] for f in s["files"]), key=lambda f: f["score"], default=None)
    if best is None:
        return "no int8 file was exported"
    verdict = "above" if best["score"] > result["baseline"]["score"] else "not above"
    return (f"best int8 file: {best['file']} ({best['bytes']:,} bytes) at {best['score']:.2f}, {verdict} "
            f"{result['baseline']['name']} ({result['baseline']['score']:.2f}); teacher {result['teacher']['score']:.2f}")


__all__ = ["AUTO_STUDENTS", "DistilConfig", "distil", "report_table", "student_recipe"]
