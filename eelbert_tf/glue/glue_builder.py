"""GLUE from the standard TSV layout as a TensorFlow Datasets builder (manual directory).

    builder = EelbertGlue(config="rte", data_dir=cache)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=glue_dir))
    builder.as_dataset(split="validation")

TFDS writes the prepared TFRecords into `data_dir` once and reads them from there
afterwards. Where a machine has network access, `tfds.load("glue/rte")` is the
alternative source of the same data; this builder exists because GLUE's download
URLs cannot be reached here and the TSV files are what users have.
"""

from __future__ import annotations

import fcntl
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds

from eelbert_tf.glue import tasks as glue_tasks


class EelbertGlueConfig(tfds.core.BuilderConfig):
    def __init__(self, task: glue_tasks.GlueTask, **kwargs):
        super().__init__(name=task.name, description=f"GLUE {task.folder} from the original TSV files.",
                         **kwargs)
        self.task = task


class EelbertGlue(tfds.core.GeneratorBasedBuilder):
    """GLUE (all nine tasks) read from a manual directory in the `glue_data` layout."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Train and dev splits of the nine GLUE tasks from the original TSV files."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Point the manual directory at a folder in the standard glue_data layout: "
        "<dir>/<TASK>/train.tsv and dev.tsv (MNLI: dev_matched.tsv, dev_mismatched.tsv), "
        "as download_glue_data.py writes them."
    )
    BUILDER_CONFIGS = [EelbertGlueConfig(task) for task in glue_tasks.TASKS.values()]

    def _info(self) -> tfds.core.DatasetInfo:
        task = self.builder_config.task
        features = {"idx": tfds.features.Scalar(np.int32)}
        names = ["sentence"] if len(task.text_columns) == 1 else ["sentence1", "sentence2"]
        features.update({n: tfds.features.Text() for n in names})
        features["label"] = (
            tfds.features.Scalar(np.float32) if task.is_regression
            else tfds.features.ClassLabel(names=list(task.label_names))
        )
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict(features),
                                              supervised_keys=None, homepage="https://gluebenchmark.com")

    def _split_generators(self, dl_manager):
        task = self.builder_config.task
        manual = pathlib.Path(dl_manager.manual_dir)
        splits = glue_tasks.available_splits(manual, task)
        if not splits:
            expected = ", ".join(str(glue_tasks.task_file(manual, task, s)) for s in task.splits)
            raise glue_tasks.GlueDataError(f"GLUE task {task.folder}: none of its files exist ({expected}).")
        return {split: self._generate_examples(glue_tasks.task_file(manual, task, split)) for split in splits}

    def _generate_examples(self, path):
        task = self.builder_config.task
        names = ["sentence"] if len(task.text_columns) == 1 else ["sentence1", "sentence2"]
        for example in glue_tasks.read_examples(path, task):
            record = {"idx": example["idx"], "label": example["label"]}
            record.update(dict(zip(names, example["texts"])))
            yield example["idx"], record


def default_tfds_dir() -> pathlib.Path:
    root = os.environ.get("EELBERT_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "eelbert_tf")
    return pathlib.Path(root) / "tensorflow_datasets"


def load_glue(task: str, glue_dir, tfds_dir=None) -> dict:
    """The task's splits as `tf.data.Dataset`s of dicts, prepared with TFDS on first use.

    Only splits whose files exist are returned; a task with no files raises GlueDataError.
    """
    task = glue_tasks.get_task(task)
    glue_dir = pathlib.Path(glue_dir)
    splits = glue_tasks.available_splits(glue_dir, task)
    if not splits:
        raise glue_tasks.GlueDataError(
            f"GLUE task {task.folder} is absent from {glue_dir} (expected {task.folder}/"
            f"{', '.join(task.splits.values())})."
        )
    data_dir = pathlib.Path(tfds_dir or default_tfds_dir())
    # Two processes preparing the same task at once (two `eelbert glue` runs side by side) made TFDS fail on
    # the second rename ("Destination ... already exists"): one prepares while the others wait on a file lock,
    # then find the prepared data.
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / f".eelbert_glue_{task.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        builder = EelbertGlue(config=task.name, data_dir=str(data_dir))
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(glue_dir)))
    return {split: builder.as_dataset(split=split, shuffle_files=False) for split in builder.info.splits}
