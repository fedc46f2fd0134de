"""Fine-tune a backbone into a text classifier and save it as a classifier folder.

One path for every source of labeled text (`labeled_text.py`: a GLUE task or
the user's CSV/TSV). Recipe (`FinetuneRecipe`, the GLUE table's): AdamW 2e-4
with 10% linear warm-up then linear decay to 0, weight decay 0.01, gradient
clipping at norm 1, batch 32, at most 128 tokens per example (pairs cut round
robin), dropout 0.1, a fixed number of epochs, no early stopping. Keras `fit`
shows its progress bar.

The folder `out_dir` (written under a temporary name and renamed into place, so
a stopped run leaves nothing half-written) holds:

- `classifier.keras`: the `EelbertTextClassifier` with its preprocessor (texts in through `predict`, logits out);
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

from eelbert_tf.classification.augment import augment_pairs
from eelbert_tf.classification.classifier_bundle import CALIBRATION_FILE, write_bundle, write_calibration
from eelbert_tf.classification.distillation_loss import DistillationLoss, pack_targets
from eelbert_tf.classification.keras_hub_teacher import finetune_teacher
from eelbert_tf.classification.labeled_text import LabeledText, subsample
from eelbert_tf.classification.metrics import dev_metrics
from eelbert_tf.classification.teacher import TeacherError, read_unlabeled
from eelbert_tf.classification.teachers import load_teacher, teacher_kind
from eelbert_tf.io_utils import replace_folder, write_json_atomically
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.models.registry import load_backbone, pretraining_tokenizer
from eelbert_tf.preprocessing.word_tokenizer import make_tokenizer
from eelbert_tf.schedules import make_schedule


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
    pooling: str = "cls"  # the head's input: "cls" (BERT's pooler) or "mean" (EelbertTextClassifier)
    # Task distillation (used with a teacher only; `distillation_loss.py`, `augment.py`):
    distill_alpha: float = 0.5  # weight of the labels' loss; 1 - alpha weighs the teacher's scores
    temperature: float = 1.0  # softmax temperature of the KL term
    augment: int = 0  # teacher-labelled variants per training text
    augment_seed: int = 0


def trim_to_longest(x, y):
    """Cuts a batch to its longest real sequence (padding positions carry no information)."""
    import tensorflow as tf

    longest = tf.reduce_max(tf.reduce_sum(x["padding_mask"], axis=1))
    return {k: v[:, :longest] for k, v in x.items()}, y


def make_optimizer(recipe, total_steps: int):
    import keras

    optimizer = keras.optimizers.AdamW(
        learning_rate=make_schedule(recipe.learning_rate, int(recipe.warmup_ratio * total_steps), total_steps),
        weight_decay=recipe.weight_decay, epsilon=1e-6, clipnorm=1.0,
    )
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def labeled_dataset(data: LabeledText, preprocessor, input_names, batch_size: int, shuffle_seed=None, targets=None):
    """`(backbone inputs, label)` batches of `data`, cut to each batch's longest sequence.

    `targets` (one row per example) replace the labels: the packed targets of `DistillationLoss`."""
    import tensorflow as tf

    texts = (tf.constant(data.texts, tf.string),) + (
        (tf.constant(data.text_pairs, tf.string),) if data.text_pairs is not None else ())
    labels = (tf.constant(targets, tf.float32) if targets is not None
              else tf.constant(data.labels, tf.float32 if data.is_regression else tf.int32))
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
    return dev_metrics(predict_logits(classifier, data, preprocessor), data)


def build_classifier(model: str, num_classes: int, activation: str | None = None, dropout: float | None = None,
                     pooling: str = "cls"):
    """An `EelbertTextClassifier` (no preprocessor yet) on the backbone `model` names (preset, shipped preset or run folder), with its
    feed-forward `activation` or its `dropout` replaced where given (settings that own no weights)."""
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
    return EelbertTextClassifier(backbone, num_classes, pooling=pooling)


def teacher_dev_metrics(teacher, dev: LabeledText) -> dict | None:
    """The teacher's own dev metrics, where it can score the dev texts (a scores file may not hold them)."""
    try:
        return dev_metrics(teacher.logits(dev.texts, dev.text_pairs), dev)
    except TeacherError:
        return None


def distillation_texts(train: LabeledText, recipe: FinetuneRecipe, unlabeled=None, log=print):
    """`(data, counts)`: `train` followed by the teacher-only texts (`unlabeled` `(texts, pairs)` and
    `recipe.augment` variants of each training example, each once and none that is a training text), with
    label 0 on those (`distillation_set` marks them unlabeled). `eelbert augment` lists these texts."""
    def rows(texts, pairs):
        return list(zip(texts, pairs if pairs is not None else [None] * len(texts)))

    seen = set(rows(train.texts, train.text_pairs))
    unlabeled_rows = list(dict.fromkeys(rows(*unlabeled))) if unlabeled is not None else []
    variants = augment_pairs(train.texts, train.text_pairs, recipe.augment, recipe.augment_seed)
    extra = [r for r in dict.fromkeys(unlabeled_rows + [v for vs in variants for v in vs]) if r not in seen]
    texts = list(train.texts) + [a for a, _ in extra]
    pairs = None if train.text_pairs is None else list(train.text_pairs) + [b for _, b in extra]
    labels = np.concatenate([np.asarray(train.labels), np.zeros(len(extra), train.labels.dtype)])
    counts = {"labeled": len(train), "unlabeled": len(unlabeled_rows),
              "augmented": sum(len(vs) for vs in variants), "teacher_only_total": len(extra)}
    repeats = counts["unlabeled"] + counts["augmented"] - len(extra)
    log(f"distillation set: {len(train):,} labeled texts + {len(extra):,} scored by the teacher alone "
        f"({counts['unlabeled']:,} unlabeled, {counts['augmented']:,} augmented variants; {repeats:,} of these "
        "repeat another or a training text and are kept once)")
    return LabeledText(texts, labels, train.label_names, pairs, train.source), counts


def teacher_texts(train: LabeledText, recipe: FinetuneRecipe, unlabeled=None, dev: LabeledText | None = None,
                  log=print) -> tuple[list[tuple], dict]:
    """`(rows, counts)`: every `(text, pair or None)` a teacher scores for distillation, each once:
    `distillation_texts`' (the training texts, `unlabeled` texts and `recipe.augment` variants), then `dev`'s
    (the teacher's dev score), and `distillation_texts`' counts. `eelbert augment` lists them; `eelbert distil`
    scores them."""
    data, counts = distillation_texts(train, recipe, unlabeled, log)
    listed = [data] + ([dev] if dev is not None else [])
    rows = list(dict.fromkeys(r for d in listed for r in zip(d.texts, d.text_pairs or [None] * len(d))))
    return rows, counts


def distillation_set(train: LabeledText, teacher, recipe: FinetuneRecipe, unlabeled=None, log=print):
    """`(data, targets, counts)`: `distillation_texts` with `DistillationLoss`'s packed targets.

    Every teacher score is fetched here, before any training: a scores file that lacks a text fails now."""
    data, counts = distillation_texts(train, recipe, unlabeled, log)
    teacher_logits = teacher.logits(data.texts, data.text_pairs)
    has_label = (np.arange(len(data)) < len(train)).astype(np.float32)
    return data, pack_targets(data.labels, has_label, teacher_logits), counts


def train_classifier(model: str, train: LabeledText, recipe: FinetuneRecipe, vocabulary=None, verbose=1,
                     log=print, tokenizer: str | None = None, targets=None, backup_dir=None):
    """`(classifier, preprocessor, train_seconds, losses)`: `model`'s backbone with a new head, fitted on `train`
    by the recipe (seeded by `recipe.seed`); `losses` is the training loss of each epoch. The one training loop of
    GLUE and of the user's data.

    With `targets` (`distillation_set`), the loss is `DistillationLoss` (labels and a teacher's scores). With
    `backup_dir`, Keras's `BackupAndRestore` keeps the last finished epoch there: a killed run given the same folder
    resumes after it (`losses` then holds the epochs this call ran)."""
    import keras

    keras.utils.set_random_seed(recipe.seed)
    classifier = build_classifier(model, train.num_classes, recipe.activation, recipe.dropout, recipe.pooling)
    if tokenizer == "words" and classifier.backbone.embedding_type == "table":
        raise ValueError(f"--tokenizer words: {model!r} looks tokens up in a table by WordPiece id (BERT); the "
                         "vocabulary-free tokenizer needs a hash backbone (EELBERT).")
    if tokenizer is None:  # the one the backbone was pretrained on, as `eelbert finetune` picks it
        tokenizer = pretraining_tokenizer(model)
    if tokenizer == "words" and vocabulary is not None:
        raise ValueError("--vocab: the words tokenizer has no vocabulary; give one or the other.")
    tokenizer = make_tokenizer(tokenizer, vocabulary)
    if not getattr(tokenizer, "vocabulary_free", False):
        classifier.backbone.check_vocabulary_size(tokenizer.vocabulary_size(), f"The vocabulary given for {model!r}")
    preprocessor = EelbertTextClassifierPreprocessor(tokenizer, sequence_length=recipe.sequence_length)
    steps = -(-len(train) // recipe.batch_size) * recipe.epochs
    if targets is not None:
        loss = DistillationLoss(train.is_regression, recipe.distill_alpha, recipe.temperature)
    elif train.is_regression:
        loss = keras.losses.MeanSquaredError()
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if recipe.pooling != "cls" and getattr(classifier.backbone, "pooled_dense", None) is not None:
        # The head reads every token's output, not BERT's [CLS] pooler, which gets no gradient: frozen, it stays
        # as pretrained (as it would anyway) and Keras does not warn of the missing gradient.
        classifier.backbone.pooled_dense.trainable = False
    classifier.compile(optimizer=make_optimizer(recipe, steps), loss=loss, metrics=[])
    log(f"fine-tuning {model} on {len(train):,} examples ({train.source}), {recipe.epochs} epochs, {steps:,} steps"
        + (" (distilling)" if targets is not None else ""))
    started = time.time()
    history = classifier.fit(labeled_dataset(train, preprocessor, list(classifier.backbone.input), recipe.batch_size,
                                             recipe.seed, targets), epochs=recipe.epochs, verbose=verbose,
                             callbacks=[] if backup_dir is None else [keras.callbacks.BackupAndRestore(str(backup_dir))])
    seconds = time.time() - started
    # Trained on preprocessed batches (the pipeline above also carries the teacher's targets); the saved
    # classifier takes texts: `keras.saving.load_model(...).predict(["a text"])`.
    classifier.preprocessor = preprocessor
    return classifier, preprocessor, seconds, [round(float(v), 5) for v in history.history.get("loss", [])]


def _read_json(path: pathlib.Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def finetune(model: str, train: LabeledText, dev: LabeledText | None, out_dir, recipe: FinetuneRecipe | None = None,
             vocabulary=None, verbose=1, log=print, source: dict | None = None, tokenizer: str | None = None,
             teacher=None, unlabeled=None, teacher_recipe=None, distillation_record: dict | None = None) -> dict:
    """Fine-tunes `model` on `train`, evaluates on `dev`, saves the classifier folder; returns its info.

    `teacher` (a path or handle: any kind `teachers.py` names, or a teacher already loaded by `load_teacher`; a backbone is first fine-tuned on `train` by
    `teacher_recipe` into the classifier folder `<out_dir>.teacher`, which a later run can pass again) distils its scores into the
    student, on the training texts, the `unlabeled` file's texts and `recipe.augment` variants of each.
    `distillation_record` adds to the classifier's record of its teacher (`eelbert distil`: the model that wrote
    the scores file, and the command)."""
    recipe = recipe or FinetuneRecipe()
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"--out {out_dir} exists and is not empty: choose a new folder or delete it.")
    if dev is not None and (dev.label_names != train.label_names or
                            (dev.text_pairs is None) != (train.text_pairs is None)):
        raise ValueError(f"The dev data ({dev.source}) has other labels or text columns than the training data "
                         f"({train.source}).")
    if teacher is None and (unlabeled is not None or recipe.augment):
        raise ValueError("--unlabeled and --augment add texts for a teacher to label: give --teacher too.")
    train = subsample(train, recipe.max_train_examples)
    targets, distillation, teacher_dev = None, None, None
    fit_data = train
    loaded = hasattr(teacher, "logits")  # a teacher already loaded (`eelbert distil` passes its scores file's)
    if teacher is not None and not loaded and teacher_kind(teacher) == "backbone":
        teacher_dir = out_dir.with_name(out_dir.name + ".teacher")
        finetune_teacher(teacher, train, dev, teacher_dir, teacher_recipe, log, verbose)
        teacher = teacher_dir
    if teacher is not None:
        teacher_model = teacher if loaded else load_teacher(teacher, train.label_names, train.is_regression,
                                                            train.text_pairs is not None)
        extra = read_unlabeled(unlabeled, train.text_pairs is not None) if unlabeled is not None else None
        fit_data, targets, counts = distillation_set(train, teacher_model, recipe, extra, log)
        distillation = {"teacher": teacher_model.describe(), "texts": counts,
                        "unlabeled": None if unlabeled is None else str(unlabeled),
                        "alpha": recipe.distill_alpha, "temperature": recipe.temperature,
                        "augment": recipe.augment, "augment_seed": recipe.augment_seed, **(distillation_record or {})}
        if dev is not None:
            teacher_dev = teacher_dev_metrics(teacher_model, dev)
    # The last finished epoch, kept beside the output until it is written (a killed run loses at most one epoch);
    # taken up only by a run of the same model, recipe, data and teacher.
    work = out_dir.with_name(f".{out_dir.name}.work")
    run = {"model": model, "recipe": dataclasses.asdict(recipe), "train": train.source, "examples": len(fit_data),
           "teacher": (distillation or {}).get("teacher"), "vocabulary": None if vocabulary is None else str(vocabulary),
           "tokenizer": tokenizer}
    if work.is_dir() and _read_json(work / "run.json") != json.loads(json.dumps(run)):
        log(f"{work}: a backup of another run; starting afresh")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    write_json_atomically(work / "run.json", run)
    try:
        classifier, preprocessor, train_seconds, losses = train_classifier(model, fit_data, recipe, vocabulary, verbose,
                                                                           log, tokenizer, targets, work / "backup")
    except BaseException:
        if not (work / "backup").exists():  # refused before an epoch finished: nothing worth keeping
            shutil.rmtree(work, ignore_errors=True)
        raise
    words = preprocessor.vocabulary_free
    metrics = {"train_examples": len(train), "train_seconds": round(train_seconds, 1),
               "steps": -(-len(fit_data) // recipe.batch_size) * recipe.epochs, "losses": losses}
    if targets is not None:
        metrics["fit_examples"] = len(fit_data)
    if dev is not None:
        metrics["dev"] = evaluate(classifier, dev, preprocessor)
        metrics["dev_examples"] = len(dev)
        metrics["dev_source"] = dev.source
        if teacher_dev is not None:
            metrics["teacher_dev"] = teacher_dev
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
    if distillation is not None:
        info["distillation"] = distillation
    if words:
        info["tokenizer"] = "words"
        info["max_word_bytes"] = preprocessor.tokenizer.max_word_bytes
    tmp = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_bundle(tmp, classifier, info, None if words else preprocessor.tokenizer.vocabulary)
        write_json_atomically(tmp / "metrics.json", metrics)
        write_calibration(tmp / CALIBRATION_FILE, train)
        replace_folder(tmp, out_dir)  # out_dir, if there, is empty (checked above)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    log(f"saved {out_dir}: " + json.dumps(metrics.get("dev", {k: v for k, v in metrics.items()})))
    return {**info, "metrics": metrics, "path": str(out_dir)}
