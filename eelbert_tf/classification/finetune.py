"""Fine-tune a backbone into a text classifier and save it as a classifier folder.

One path for every source of labeled text (`labeled_text.py`: a GLUE task or
the user's CSV/TSV). Recipe (`FinetuneRecipe`, the GLUE table's): AdamW 2e-4
with 10% linear warm-up then linear decay to 0, weight decay 0.01, gradient
clipping at norm 1, batch 32, at most 128 tokens per example (pairs cut round
robin), dropout 0.1, a fixed number of epochs, no early stopping. Keras `fit`
shows its progress bar.

The folder `out_dir` (written under a temporary name and renamed into place, so
a stopped run leaves nothing half-written) holds:

- `classifier.keras`: the `EelbertClassifier` (token strings in, logits out);
- `labels.txt`: one label name per line, in the order of the model's outputs;
- `vocab.txt`: the WordPiece vocabulary the model reads, so that exports need
  no data folder (none with the vocabulary-free `words` tokenizer);
- `classifier.json`: what the exports and `eelbert predict` need (sequence
  length, one text or a pair, labels, the backbone it came from, the recipe);
- `calibration.jsonl`: 200 training examples (texts), the representative set
  of int8 exports;
- `metrics.json`: dev metrics (accuracy, F1, Matthews, confusion matrix; or
  Pearson and Spearman), training time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import time

import numpy as np

from eelbert_tf.classification.labeled_text import LabeledText
from eelbert_tf.io_utils import write_json_atomically


@dataclasses.dataclass
class FinetuneRecipe:
    learning_rate: float = 2e-4
    batch_size: int = 32
    sequence_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    epochs: int = 3
    seed: int = 0
    max_train_examples: int | None = None
    activation: str | None = None  # replace the backbone's feed-forward activation (e.g. "relu" for TFLite Micro)
    # Replace the backbone's dropout (default: its own; a preset keeps the dropout it was pretrained with).
    dropout: float | None = None


def trim_to_longest(x, y):
    """Cuts a batch to its longest real sequence (padding positions carry no information)."""
    import tensorflow as tf

    longest = tf.reduce_max(tf.reduce_sum(x["padding_mask"], axis=1))
    return {k: v[:, :longest] for k, v in x.items()}, y


def make_optimizer(recipe, total_steps: int):
    import keras

    from eelbert_tf.pretraining.trainer import make_schedule

    optimizer = keras.optimizers.AdamW(
        learning_rate=make_schedule(recipe.learning_rate, int(recipe.warmup_ratio * total_steps), total_steps),
        weight_decay=recipe.weight_decay, epsilon=1e-6, clipnorm=1.0,
    )
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def labeled_dataset(data: LabeledText, preprocessor, input_names, batch_size: int, shuffle_seed=None):
    """`(backbone inputs, label)` batches of `data`, cut to each batch's longest sequence."""
    import tensorflow as tf

    texts = (tf.constant(data.texts, tf.string),) + (
        (tf.constant(data.text_pairs, tf.string),) if data.text_pairs is not None else ())
    labels = tf.constant(data.labels, tf.float32 if data.is_regression else tf.int32)
    dataset = tf.data.Dataset.from_tensor_slices((texts, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(100_000, seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(lambda t, y: preprocessor(t if len(t) > 1 else t[0], y))
    dataset = dataset.map(trim_to_longest)
    return dataset.map(lambda x, y: ({k: x[k] for k in input_names}, y)).prefetch(2)


def predict_logits(classifier, data: LabeledText, preprocessor, batch_size: int = 128) -> np.ndarray:
    input_names = list(classifier.backbone.input)
    out = [classifier(x, training=False).numpy()
           for x, _ in labeled_dataset(data, preprocessor, input_names, batch_size)]
    return np.concatenate(out) if out else np.zeros([0, classifier.num_classes], np.float32)


def evaluate(classifier, data: LabeledText, preprocessor) -> dict:
    from eelbert_tf.classification.metrics import classification_metrics, regression_metrics

    logits = predict_logits(classifier, data, preprocessor)
    if data.is_regression:
        return regression_metrics(data.labels, logits[:, 0])
    return classification_metrics(data.labels, logits.argmax(-1), data.num_classes)


def build_classifier(model: str, num_classes: int, activation: str | None = None, dropout: float | None = None):
    """An `EelbertClassifier` on the backbone `model` names (preset, shipped preset or run folder), with its
    feed-forward `activation` or its `dropout` replaced where given (settings that own no weights)."""
    from eelbert_tf.glue.finetune import load_backbone
    from eelbert_tf.models.eelbert_backbone import EelbertBackbone
    from eelbert_tf.models.eelbert_classifier import EelbertClassifier

    backbone = load_backbone(model)
    if dropout is not None and not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout {dropout} is not a rate in [0, 1).")
    changes = {k: v for k, v in {"activation": activation, "dropout": dropout}.items()
               if v is not None and v != getattr(backbone, k)}
    if changes:
        # Same weights, other settings (TFLite Micro has no GELU kernel; dropout is a fine-tuning choice).
        weights = backbone.get_weights()
        backbone = EelbertBackbone.from_config({**backbone.get_config(), **changes})
        backbone.set_weights(weights)
    return EelbertClassifier(backbone, num_classes)


def write_calibration(path, train: LabeledText, count: int = 200, seed: int = 0):
    """A seeded sample of training examples (texts only), the representative set of int8 exports."""
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(train), min(count, len(train)), replace=False))
    rows = [[train.texts[i]] + ([train.text_pairs[i]] if train.text_pairs is not None else []) for i in picked]
    pathlib.Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def subsample(data: LabeledText, count: int | None) -> LabeledText:
    """A fixed, seeded subset of `count` examples (in their original order), or `data` itself."""
    if not count or count >= len(data):
        return data
    return data.subset(np.sort(np.random.default_rng(1234).choice(len(data), count, replace=False)))


def train_classifier(model: str, train: LabeledText, recipe: FinetuneRecipe, vocabulary=None, verbose=1,
                     log=print, tokenizer: str = "wordpiece"):
    """`(classifier, preprocessor, train_seconds)`: `model`'s backbone with a new head, fitted on `train` by
    the recipe (seeded by `recipe.seed`). The one training loop of GLUE and of the user's data."""
    import keras

    from eelbert_tf.preprocessing import EelbertPreprocessor
    from eelbert_tf.preprocessing.word_tokenizer import make_tokenizer

    keras.utils.set_random_seed(recipe.seed)
    classifier = build_classifier(model, train.num_classes, recipe.activation, recipe.dropout)
    if tokenizer == "words" and classifier.backbone.embedding_type == "table":
        raise ValueError(f"--tokenizer words: {model!r} looks tokens up in a table by WordPiece id (BERT); the "
                         "vocabulary-free tokenizer needs a hash backbone (EELBERT).")
    tokenizer = make_tokenizer(tokenizer, vocabulary)
    if hasattr(tokenizer, "vocabulary_size"):
        classifier.backbone.check_vocabulary_size(tokenizer.vocabulary_size(), f"The vocabulary given for {model!r}")
    preprocessor = EelbertPreprocessor(tokenizer, sequence_length=recipe.sequence_length)
    steps = -(-len(train) // recipe.batch_size) * recipe.epochs
    classifier.compile(
        optimizer=make_optimizer(recipe, steps),
        loss=(keras.losses.MeanSquaredError() if train.is_regression
              else keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
    )
    log(f"fine-tuning {model} on {len(train):,} examples ({train.source}), {recipe.epochs} epochs, {steps:,} steps")
    started = time.time()
    classifier.fit(labeled_dataset(train, preprocessor, list(classifier.backbone.input), recipe.batch_size,
                                   recipe.seed), epochs=recipe.epochs, verbose=verbose)
    return classifier, preprocessor, time.time() - started


def finetune(model: str, train: LabeledText, dev: LabeledText | None, out_dir, recipe: FinetuneRecipe | None = None,
             vocabulary=None, verbose=1, log=print, source: dict | None = None, tokenizer: str = "wordpiece") -> dict:
    """Fine-tunes `model` on `train`, evaluates on `dev`, saves the classifier folder; returns its info."""
    from eelbert_tf.classification.classifier_bundle import write_bundle

    recipe = recipe or FinetuneRecipe()
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"--out {out_dir} exists and is not empty: choose a new folder or delete it.")
    if dev is not None and (dev.label_names != train.label_names or
                            (dev.text_pairs is None) != (train.text_pairs is None)):
        raise ValueError(f"The dev data ({dev.source}) has other labels or text columns than the training data "
                         f"({train.source}).")
    train = subsample(train, recipe.max_train_examples)
    classifier, preprocessor, train_seconds = train_classifier(model, train, recipe, vocabulary, verbose, log,
                                                               tokenizer)
    words = preprocessor.vocabulary_free
    metrics = {"train_examples": len(train), "train_seconds": round(train_seconds, 1)}
    if dev is not None:
        metrics["dev"] = evaluate(classifier, dev, preprocessor)
        metrics["dev_examples"] = len(dev)
        metrics["dev_source"] = dev.source
    info = {
        "format_version": 1,
        "base_model": model,
        "label_names": train.label_names,
        "regression": train.is_regression,
        "text_pair": train.text_pairs is not None,
        "sequence_length": recipe.sequence_length,
        "recipe": dataclasses.asdict(recipe),
        "train_source": train.source,
        "source": source or {},
    }
    if words:
        info["tokenizer"] = "words"
        info["max_word_bytes"] = preprocessor.tokenizer.max_word_bytes
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_bundle(tmp, classifier, info, None if words else preprocessor.tokenizer.vocabulary)
        write_json_atomically(tmp / "metrics.json", metrics)
        write_calibration(tmp / "calibration.jsonl", train)
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"saved {out_dir}: " + json.dumps(metrics.get("dev", {k: v for k, v in metrics.items()})))
    return {**info, "metrics": metrics, "path": str(out_dir)}
