"""A killed fine-tuning run loses at most one epoch: the last finished epoch is kept beside the output
(`.<out>.work/`, Keras's BackupAndRestore) and the same command resumes after it; another run's backup is not
taken up."""

import dataclasses
import json

import keras
import pytest

from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
from eelbert_tf.classification.labeled_text import read_labeled_file
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"


class Killed(Exception):
    pass


def _killed_after_first_epoch(monkeypatch, train, out, recipe):
    """Runs `finetune` with Keras's BackupAndRestore patched so the run stops (as a kill would) once epoch 1 is
    backed up."""

    class KilledAfterBackup(keras.callbacks.BackupAndRestore):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            raise Killed(f"killed after epoch {epoch + 1}")

    with monkeypatch.context() as patch:
        patch.setattr(keras.callbacks, "BackupAndRestore", KilledAfterBackup)
        with pytest.raises(Killed):
            finetune("eelbert_uno_en", train, None, out, recipe, verbose=0, log=lambda *_: None)


@pytest.mark.slow
def test_a_killed_run_resumes_after_its_last_finished_epoch(tmp_path, monkeypatch):
    train = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    recipe = FinetuneRecipe(epochs=3, batch_size=16, sequence_length=16, learning_rate=1e-3)
    out = tmp_path / "student"
    _killed_after_first_epoch(monkeypatch, train, out, recipe)
    work = tmp_path / ".student.work"
    assert not out.exists() and (work / "backup").is_dir()
    assert json.loads((work / "run.json").read_text())["recipe"]["epochs"] == 3
    finetune("eelbert_uno_en", train, None, out, recipe, verbose=0, log=lambda *_: None)
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["losses"]) == 2  # epochs 2 and 3: the first was not trained again
    assert not work.exists()


@pytest.mark.slow
def test_another_run_s_backup_is_not_taken_up(tmp_path, monkeypatch):
    train = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    recipe = FinetuneRecipe(epochs=2, batch_size=16, sequence_length=16, learning_rate=1e-3)
    out = tmp_path / "student"
    _killed_after_first_epoch(monkeypatch, train, out, recipe)
    said = []
    finetune("eelbert_uno_en", train, None, out, dataclasses.replace(recipe, learning_rate=2e-3),
             verbose=0, log=said.append)
    assert any("a backup of another run; starting afresh" in line for line in said)
    assert len(json.loads((out / "metrics.json").read_text())["losses"]) == 2


def test_a_run_refused_before_its_first_epoch_leaves_no_backup_folder(tmp_path):
    train = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    with pytest.raises(ValueError, match="--vocab: the words tokenizer has no vocabulary"):
        finetune("eelbert_uno_en", train, None, tmp_path / "student", FinetuneRecipe(epochs=1), vocabulary=["a"],
                 tokenizer="words", verbose=0, log=lambda *_: None)
    assert list(tmp_path.iterdir()) == []
