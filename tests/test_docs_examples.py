"""The docs' examples run as written."""

import re
import shutil
import subprocess
import sys

import numpy as np

from eelbert_tf.classification.labeled_text import read_labeled_file
from eelbert_tf.classification.teachers import load_teacher
from eelbert_tf.cli import main
from tests.conftest import REPO


def _block(doc: str, first_line: str) -> str:
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", (REPO / doc).read_text(), re.S)
               if b.startswith(first_line)]
    return code


def test_a_teacher_from_another_framework_writes_a_scores_file(tmp_path, monkeypatch):
    shutil.copy(REPO / "tests" / "fixtures" / "reviews_train.csv", tmp_path / "reviews.csv")
    monkeypatch.chdir(tmp_path)
    assert main(["augment", "--train", "reviews.csv", "--text-column", "review", "--label-column", "sentiment",
                 "--augment", "2", "--out", "texts.jsonl"]) == 0
    script = tmp_path / "teacher_scores.py"
    script.write_text(_block("docs/finetuning.md", "# teacher_scores.py"))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    train = read_labeled_file(tmp_path / "reviews.csv", "review", "sentiment")
    teacher = load_teacher(tmp_path / "scores.jsonl", train.label_names, False, False)
    logits = teacher.logits(train.texts)
    assert logits.shape == (len(train), 2)
    # The teacher's scores follow the labels: its argmax agrees with most training labels.
    assert (np.argmax(logits, 1) == train.labels).mean() > 0.8
