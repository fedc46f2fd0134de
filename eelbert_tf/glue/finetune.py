"""Fine-tuning and evaluation on GLUE with a fixed, documented recipe.

Recipe (`GlueRecipe`): AdamW, learning rate 2e-4 with 10% linear warm-up then
linear decay to 0, weight decay 0.01, batch 32, sequences of at most 128 tokens
(pairs cut round-robin), the backbone's own dropout (0.1 for an architecture
without pretraining; a preset keeps the dropout it was pretrained with), 3
epochs on the large tasks (SST-2, QNLI, QQP, MNLI) and 5 on the others, no
early stopping: the model after the last epoch is evaluated once on the dev set. Seeds 0, 1, 2; tables report the mean
and the standard deviation over seeds. `max_train_examples` subsamples the
training set (a fixed, seeded subset) only when set explicitly; its value is
recorded in `results.json` and printed in every table that uses it.

Each model is fine-tuned on the tokens it was pretrained on (`pretraining_tokenizer`): WordPiece, or the
vocabulary-free words of a backbone pretrained with `--tokenizer words`.

Each finished (task, seed) is saved at once in `OUT/seeds/`; the same command run
again after a stop or a `kill -9` continues from there. A seed's record keeps its dev-set predictions (labels, or
STS-B scores to 7 significant digits, float32's precision, in the order of `dev_labels`), so two rows can be compared example by example
(`eelbert_tf.glue.paired`); `run_glue(..., predictions=True)` reruns a finished seed saved without them and records
whether the rerun's metrics equal the saved ones.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time

import numpy as np

from eelbert_tf.classification.finetune import FinetuneRecipe, predict_logits, train_classifier
from eelbert_tf.classification.labeled_text import LabeledText, subsample
from eelbert_tf.glue import metrics as glue_metrics
from eelbert_tf.glue.glue_builder import load_glue
from eelbert_tf.glue.tasks import GLUE5, TASKS, available_splits, get_task
from eelbert_tf.io_utils import git_commit, machine, utc_now, write_json_atomically
from eelbert_tf.models.registry import model_fingerprint, pretraining_tokenizer

LARGE_TASKS = ("sst2", "qnli", "qqp", "mnli")


@dataclasses.dataclass
class GlueRecipe:
    # One (task, seed) run is a FinetuneRecipe (`finetune_recipe`): the optimizer's settings are its defaults.
    learning_rate: float = FinetuneRecipe.learning_rate
    batch_size: int = FinetuneRecipe.batch_size
    sequence_length: int = FinetuneRecipe.sequence_length
    warmup_ratio: float = FinetuneRecipe.warmup_ratio
    weight_decay: float = FinetuneRecipe.weight_decay
    epochs_large: int = FinetuneRecipe.epochs
    epochs_small: int = 5
    seeds: tuple = (0, 1, 2)
    max_train_examples: int | None = None
    # Options that default to the model's own (None); a seed's key stores them only when set (`_recipe_key`), so
    # adding one keeps the results of earlier runs valid.
    tokenizer: str | None = None  # "wordpiece" or "words"; None: the one the model was pretrained on
    dropout: float | None = None  # None: the backbone's own (a preset's is the one it was pretrained with)
    pooling: str | None = None  # the head's input, "cls" or "mean" (EelbertTextClassifier); None: "cls"

    def epochs(self, task_name):
        return self.epochs_large if task_name in LARGE_TASKS else self.epochs_small

    def finetune_recipe(self, task_name, seed):
        """The recipe of one (task, seed) run, for `classification.finetune.train_classifier`."""
        return FinetuneRecipe(learning_rate=self.learning_rate, batch_size=self.batch_size,
                              sequence_length=self.sequence_length, warmup_ratio=self.warmup_ratio,
                              weight_decay=self.weight_decay, epochs=self.epochs(task_name), seed=seed,
                              dropout=self.dropout, pooling=self.pooling or "cls")

    def tokenizer_for(self, model: str) -> str:
        """The tokenizer fine-tuning `model` uses: the recipe's, else the one `model` was pretrained on."""
        return self.tokenizer or pretraining_tokenizer(model)


def _labeled(dataset, task, source):
    """A TFDS split as `LabeledText`, in the split's order."""
    fields = ["sentence"] if len(task.text_columns) == 1 else ["sentence1", "sentence2"]
    columns = {f: [] for f in fields}
    labels = []
    for example in dataset.as_numpy_iterator():
        for f in fields:
            columns[f].append(example[f].decode("utf-8"))
        labels.append(example["label"])
    dtype = np.float32 if task.is_regression else np.int64
    return LabeledText(columns[fields[0]], np.asarray(labels, dtype),
                       None if task.is_regression else list(task.label_names),
                       columns[fields[1]] if len(fields) == 2 else None, source)


def finetune_task(model: str, task_name: str, glue_dir, seed: int, recipe: GlueRecipe,
                  tfds_dir=None, vocabulary=None, verbose=1) -> dict:
    """Fine-tunes one model on one task with one seed; returns dev metrics and timings.

    GLUE is one source of labeled text: the training loop is `classification.finetune.train_classifier`,
    the same as for the user's own data.
    """
    task = get_task(task_name)
    splits = load_glue(task.name, glue_dir, tfds_dir)
    if "train" not in splits:
        raise FileNotFoundError(f"GLUE task {task.folder} has no train.tsv in {glue_dir}: it cannot be fine-tuned.")
    train = subsample(_labeled(splits["train"], task, f"GLUE {task.folder} train"), recipe.max_train_examples)
    epochs = recipe.epochs(task.name)
    tokenizer = recipe.tokenizer_for(model)
    classifier, preprocessor, train_seconds, losses = train_classifier(
        model, train, recipe.finetune_recipe(task.name, seed), vocabulary, verbose, log=lambda *_: None,
        tokenizer=tokenizer)
    results, kept = {}, {}
    eval_started = time.time()
    for split, data in _dev_sets(task, splits).items():
        logits = predict_logits(classifier, data, preprocessor)
        predictions = logits[:, 0] if task.is_regression else logits.argmax(-1)
        results[split] = glue_metrics.task_metrics(task.name, data.labels, predictions)
        kept[split] = ([float(f"{p:.7g}") for p in predictions] if task.is_regression
                       else [int(p) for p in predictions])
    return {
        "task": task.name, "seed": seed, "tokenizer": tokenizer, "train_examples": len(train), "epochs": epochs,
        "metrics": results, "predictions": kept, "train_seconds": round(train_seconds, 1), "losses": losses,
        "eval_seconds": round(time.time() - eval_started, 1),
        # where and when it ran (a table rendered elsewhere names these, not the rendering machine)
        "machine": machine(), "finished": utc_now(), "commit": git_commit(),
    }


def dev_labels(task_name: str, glue_dir, tfds_dir=None) -> dict:
    """The labels of each dev split of a task, in the order a seed's record keeps its predictions (the TFDS
    split's order, not the TSV file's)."""
    task = get_task(task_name)
    return {split: data.labels for split, data in _dev_sets(task, load_glue(task.name, glue_dir, tfds_dir)).items()}


def _dev_sets(task, splits) -> dict:
    """Each dev split of a loaded task as labeled text, in the TFDS split's order (one home for that order)."""
    return {split: _labeled(splits[split], task, f"GLUE {task.folder} {split}")
            for split in splits if split.startswith("validation")}


def run_glue(model: str, tasks, glue_dir, out_dir, recipe: GlueRecipe | None = None, tfds_dir=None,
             vocabulary=None, log=print, verbose=1, predictions=False) -> dict:
    """Fine-tunes `model` on `tasks` for every seed; writes `results.json` and a Markdown row.

    `predictions`: rerun each finished seed whose record has no dev predictions (saved before they were kept);
    the new record keeps the saved metrics under `rerun_of` with `same_metrics` (fine-tuning is deterministic
    on one machine, so a difference is reported, never hidden)."""
    recipe = recipe or GlueRecipe()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = list(TASKS) if tasks in ("all", ["all"]) else [get_task(t).name for t in tasks]
    per_task = {}
    key = _seed_key(model, recipe)
    for name in tasks:
        task = TASKS[name]
        if "train" not in available_splits(glue_dir, task):
            log(f"{name}: absent (no train.tsv in {glue_dir}/{task.folder}); shown as absent")
            per_task[name] = None
            continue
        runs = []
        for seed in recipe.seeds:
            done = _finished_seed(out_dir, key, name, seed)
            if done is not None and not (predictions and "predictions" not in done):
                log(f"{name}: seed {seed} already finished in {out_dir} (reused)")
                runs.append(done)
                continue
            log(f"{name}: seed {seed}" + (" (rerun for its dev predictions)" if done is not None else ""))
            run = finetune_task(model, name, glue_dir, seed, recipe, tfds_dir, vocabulary, verbose)
            if done is not None:
                same = run["metrics"] == done["metrics"]
                run["rerun_of"] = {"metrics": done["metrics"], "same_metrics": same,
                                   **{k: done.get(k) for k in ("machine", "finished", "commit")}}
                if not same:
                    log(f"{name}: seed {seed}: the rerun's metrics {run['metrics']} differ from the saved "
                        f"{done['metrics']} (both kept in its record)")
            write_json_atomically(_seed_file(out_dir, name, seed), {**key, "run": run})
            runs.append(run)
        per_task[name] = summarize_runs(runs)
        write_json_atomically(out_dir / "results.json", _results(model, recipe, per_task))
    results = _results(model, recipe, per_task)
    write_json_atomically(out_dir / "results.json", results)
    (out_dir / "row.md").write_text(markdown_row(model, results) + "\n")
    return results


def _seed_file(out_dir, task_name, seed) -> pathlib.Path:
    (out_dir / "seeds").mkdir(exist_ok=True)
    return out_dir / "seeds" / f"{task_name}-seed{seed}.json"


def _seed_key(model: str, recipe: GlueRecipe) -> dict:
    """What a finished seed must match to be reused: the model's name, the fingerprint of its backbone now
    (weights and config: a retrained or reconfigured preset no longer matches) and the recipe."""
    return {"model": model, "weights": model_fingerprint(model), "recipe": _recipe_key(recipe)}


def fine_tuned_from(out_dir, model: str, recipe: GlueRecipe | None = None) -> bool:
    """Whether `out_dir` holds finished seeds and every one of them was fine-tuned from what `model` names now
    with `recipe` (the key `run_glue` reuses seeds by)."""
    key = _seed_key(model, recipe or GlueRecipe())
    seeds = [json.loads(p.read_text()) for p in sorted((pathlib.Path(out_dir) / "seeds").glob("*.json"))]
    return bool(seeds) and all(_saved_key(s, key) == key for s in seeds)


def _saved_key(saved: dict, key: dict) -> dict:
    """The part of a finished seed's record that `key` is compared with (missing fields read as None)."""
    return {k: saved.get(k) for k in key}


def _finished_seed(out_dir, key, task_name, seed):
    """The result of a (task, seed) that an earlier, interrupted run of the same command finished.

    Each finished seed is written atomically to `OUT/seeds/`; rerunning the command after a
    kill skips them, so a kill loses at most the seed in progress. Results of another model,
    other weights under the same name (a retrained preset) or another recipe in the same
    folder are refused, never mixed; more seeds may be added to a finished run.
    """
    path = _seed_file(out_dir, task_name, seed)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"{path} is not a finished fine-tuning result ({e}); delete it to rerun that seed.") from None
    if not isinstance(saved, dict) or not isinstance(saved.get("run"), dict):
        raise ValueError(f"{path} is not a finished fine-tuning result (no 'run'); delete it to rerun that seed.")
    missing = [k for k in key if k not in saved]
    if missing:
        raise ValueError(
            f"{path} holds a result of model {saved.get('model')!r} without {missing} (written by an earlier "
            f"eelbert_tf), so it cannot be matched to this run ({key['model']!r}); use a new --out folder or "
            f"delete {out_dir / 'seeds'}."
        )
    saved_key, run = _saved_key(saved, key), saved["run"]
    if saved_key != key:
        raise ValueError(
            f"{path} holds a result of model {saved_key['model']!r} with other weights or another recipe than "
            f"this run ({key['model']!r}); use a new --out folder or delete {out_dir / 'seeds'}."
        )
    return run


_OPTIONAL = ("tokenizer", "dropout", "pooling")


def _recipe_key(recipe) -> dict:
    """The recipe as JSON stores it, less the seeds (each seed's result stands on its own) and less the options
    left at the model's own (None), so that a recipe without them keys as it did before they existed."""
    return {k: v for k, v in json.loads(json.dumps(dataclasses.asdict(recipe))).items()
            if k != "seeds" and not (k in _OPTIONAL and v is None)}


def summarize_runs(runs) -> dict:
    """Mean and standard deviation over seeds of each metric and of the task score."""
    def score(run):
        return float(np.mean([glue_metrics.task_score(m) for m in run["metrics"].values()]))

    metric_names = {(s, m) for r in runs for s, ms in r["metrics"].items() for m in ms}
    summary = {f"{s}/{m}": _mean_std([r["metrics"][s][m] for r in runs]) for s, m in sorted(metric_names)}
    return {
        "score": _mean_std([score(r) for r in runs]),
        "metrics": summary,
        "seeds": [r["seed"] for r in runs],
        "train_seconds_per_seed": float(np.mean([r["train_seconds"] for r in runs])),
        "runs": [{k: v for k, v in r.items() if k != "predictions"} for r in runs],  # predictions: in the seeds
    }


def _mean_std(values):
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "values": [float(v) for v in values]}


def _results(model, recipe, per_task):
    scores = {t: (v["score"]["mean"] if v else None) for t, v in per_task.items()}
    return {
        "model": model,
        "recipe": dataclasses.asdict(recipe),
        "tasks": per_task,
        "glue5": glue_metrics.glue_score(scores, GLUE5),
        "glue9": glue_metrics.glue_score(scores, tuple(TASKS)),
    }


def markdown_row(model, results) -> str:
    cells = [f"`{model}`"]
    for name, value in results["tasks"].items():
        cells.append("absent" if value is None else f"{value['score']['mean']:.1f} ± {value['score']['std']:.1f}")
    g5 = results["glue5"]
    cells.append("n/a" if g5 is None else f"{g5:.1f}")
    return "| " + " | ".join(cells) + " |"
