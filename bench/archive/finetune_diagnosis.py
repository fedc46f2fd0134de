"""Why `bert_tiny_en` scores 0.0 on CoLA in the GLUE table: a fine-tuning diagnosis.

    python bench/archive/finetune_diagnosis.py [--model bert_tiny_en] [--task cola] [--seed 0] [--variants v2,v2_dropout0]

The shipped BERT-tiny (recipe shuffled_v2: held-out MLM loss 4.39) scored CoLA 0.0 in all three seeds, where
the v1 preset (6.32) scored 11.9. This fine-tunes a shipped preset (BERT-tiny by default) on one GLUE task and
seed with the GLUE recipe (`train_classifier`, the one training loop of GLUE and of the user's data) from:

- `v1`: the v1 preset's weights as committed at e495c81 (read with `git show`), with today's code: a control
  for a regression in the fine-tuning code since that table;
- `v2`: the shipped weights fine-tuned with dropout 0.1 (as the GLUE table first did; the presets now ship with 0);
- `v2_dropout0`: the same weights fine-tuned without dropout, as they were pretrained;
- `v2_lr5e-5`: dropout 0.1 and a 4x smaller learning rate;
- `v2_dropout0_lr1e-3`: without dropout and a 5x larger learning rate;
- `none`, `none_dropout0`: the same architecture not pretrained (random initial weights, seeded), with dropout
  0.1 (the GLUE table's `_random_init` row) and without.

For each it reports the dev metric and the training-set loss of the final classifier beside the loss of
predicting the training label distribution (the majority solution: a classifier that learned nothing from
the text reaches it). Writes bench/results/finetune_diagnosis.json. A variant's weights are put in a
temporary run folder (record.json + backbone.weights.h5), the form `eelbert glue --model` reads.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "results" / "finetune_diagnosis.json"
V1_COMMIT = "e495c81"
VARIANTS = {  # name: (weights, fine-tuning dropout, learning rate)
    "v1": ("v1", 0.1, 2e-4),
    "v2": ("v2", 0.1, 2e-4),
    "v2_dropout0": ("v2", 0.0, 2e-4),
    "v2_lr5e-5": ("v2", 0.1, 5e-5),
    "v2_dropout0_lr1e-3": ("v2", 0.0, 1e-3),
    "none": ("none", 0.1, 2e-4),
    "none_dropout0": ("none", 0.0, 2e-4),
}


def _v1_weights(model: str, folder: pathlib.Path):
    folder.mkdir(exist_ok=True)
    for name in ("config.json", "weights.npz"):
        blob = subprocess.run(["git", "-C", str(REPO), "show", f"{V1_COMMIT}:eelbert_tf/presets/{model}/{name}"],
                              check=True, capture_output=True).stdout
        (folder / name).write_bytes(blob)
    return folder


def _run_folder(model: str, weights: str, dropout: float, tmp: pathlib.Path, seed: int = 0) -> pathlib.Path:
    """A run folder holding the preset `model`'s `weights` (v1, v2, or none: its architecture's seeded random
    initialization) with the fine-tuning `dropout` in its config."""
    import keras

    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.pretrained import load_npz_weights, load_pretrained_backbone, pretrained_presets
    from eelbert_tf.models.saving import save_weights_file

    keras.utils.set_random_seed(seed)
    if weights == "v1":  # the former layout: constructor arguments and weights.npz
        source = _v1_weights(model, tmp / "v1_preset")
        backbone = EelbertBackbone.from_config({**json.loads((source / "config.json").read_text()), "dropout": dropout})
        load_npz_weights(backbone.weights, source / "weights.npz")
    else:
        config = {**json.loads((pretrained_presets()[model] / "config.json").read_text())["config"], "dropout": dropout}
        backbone = EelbertBackbone.from_config(config)
        if weights != "none":
            shipped = load_pretrained_backbone(model)
            for target, value in zip(backbone.weights, shipped.weights):
                target.assign(value)
    folder = tmp / f"{weights}_dropout{dropout}"
    folder.mkdir(exist_ok=True)
    save_weights_file(backbone, folder / "backbone.weights.h5")
    (folder / "record.json").write_text(json.dumps({"backbone_config": backbone.get_config()}))
    return folder


def diagnose(model: str, task_name: str, seed: int, variants, glue_dir, threads: int | None = None) -> dict:
    import tensorflow as tf

    from eelbert_tf.classification.finetune import predict_logits, train_classifier
    from eelbert_tf.glue import metrics as glue_metrics
    from eelbert_tf.glue.finetune import GlueRecipe, _labeled
    from eelbert_tf.glue.glue_builder import load_glue
    from eelbert_tf.glue.tasks import get_task

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    task = get_task(task_name)
    splits = load_glue(task.name, glue_dir)
    train = _labeled(splits["train"], task, f"GLUE {task.folder} train")
    dev_split = next(s for s in splits if s.startswith("validation"))
    dev = _labeled(splits[dev_split], task, f"GLUE {task.folder} {dev_split}")
    glue = GlueRecipe()
    if task.is_regression:
        baseline = float(np.var(train.labels))  # MSE of predicting the mean label
    else:
        p = np.bincount(train.labels.astype(int), minlength=len(task.label_names)) / len(train)
        baseline = float(-(p[p > 0] * np.log(p[p > 0])).sum())  # cross-entropy of predicting the label shares
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in variants:
            weights, dropout, learning_rate = VARIANTS[name]
            folder = _run_folder(model, weights, dropout, pathlib.Path(tmp), seed)
            recipe = dataclasses.replace(glue.finetune_recipe(task.name, seed), learning_rate=learning_rate)
            started = time.time()
            classifier, preprocessor, _, _ = train_classifier(str(folder), train, recipe, verbose=2,
                                                           log=lambda *_: None)
            train_logits = predict_logits(classifier, train, preprocessor)
            if task.is_regression:
                train_loss = float(np.mean((train_logits[:, 0] - train.labels) ** 2))
            else:
                shifted = train_logits - train_logits.max(-1, keepdims=True)
                log_p = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
                train_loss = float(-log_p[np.arange(len(train)), train.labels.astype(int)].mean())
            logits = predict_logits(classifier, dev, preprocessor)
            predictions = logits[:, 0] if task.is_regression else logits.argmax(-1)
            metrics = glue_metrics.task_metrics(task.name, dev.labels, predictions)
            results[name] = {"weights": weights, "dropout": dropout, "learning_rate": learning_rate,
                             "dev": metrics, "dev_score": glue_metrics.task_score(metrics),
                             "train_loss": train_loss, "seconds": round(time.time() - started, 1)}
            print(f"{name}: dev {results[name]['dev_score']:.1f}, train loss {train_loss:.4f} "
                  f"(majority solution {baseline:.4f})", flush=True)
    return {"model": model, "task": task.name, "seed": seed, "epochs": glue.epochs(task.name),
            "train_loss_of_majority_solution": baseline, "v1_weights_commit": V1_COMMIT, "variants": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="bert_tiny_en", help="a shipped preset that was also shipped at e495c81")
    parser.add_argument("--task", default="cola")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma list of {', '.join(VARIANTS)}")
    parser.add_argument("--glue-dir", help="default: <data dir>/glue")
    parser.add_argument("--threads", type=int, help="TF threads (default: all cores)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from eelbert_tf.data_paths import data_dir
    from eelbert_tf.io_utils import write_json_atomically

    glue_dir = args.glue_dir or str(data_dir(None) / "glue")
    result = diagnose(args.model, args.task, args.seed, args.variants.split(","), glue_dir, args.threads)
    saved = json.loads(OUT.read_text()) if OUT.exists() else {}
    key = f"{result['model']}/{result['task']}-seed{result['seed']}"
    saved[key] = {**saved.get(key, {}), **{k: v for k, v in result.items() if k != "variants"},
                  "variants": {**saved.get(key, {}).get("variants", {}), **result["variants"]}}
    write_json_atomically(OUT, saved)
    print(f"wrote {OUT.relative_to(REPO)} [{key}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
