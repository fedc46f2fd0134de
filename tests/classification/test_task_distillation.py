"""Task distillation: augmentation, teacher scores files and classifier teachers, the loss, the CLI path."""

import json
import math

import numpy as np
import pytest

from eelbert_tf.classification.augment import MASK, augment_pairs, augment_texts
from eelbert_tf.cli import main
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
COLUMNS = ["--text-column", "review", "--label-column", "sentiment"]
TRAIN = ["--train", str(FIXTURES / "reviews_train.csv"), "--dev", str(FIXTURES / "reviews_dev.csv"), *COLUMNS]
SMALL = ["--epochs", "2", "--batch-size", "8", "--sequence-length", "32"]


def test_augmentation_is_seeded_distinct_and_follows_the_rules():
    texts = ["a gorgeous , witty , seductive movie .", "the plot is a tired , predictable mess", "fine", ""]
    a = augment_texts(texts, 6, seed=3)
    assert a == augment_texts(texts, 6, seed=3)  # the same texts in every process
    assert a != augment_texts(texts, 6, seed=4)
    vocabulary = {w for t in texts for w in t.split()} | {MASK}
    for text, variants in zip(texts, a):
        assert len(variants) == len(set(variants)) <= 6
        assert text not in variants and " ".join(text.split()) not in variants
        for v in variants:
            assert set(v.split()) <= vocabulary and len(v.split()) <= max(len(text.split()), 1)
    assert a[3] == []  # an empty text has no variant
    assert any(MASK in v for vs in a for v in vs) and any(len(v.split()) <= 5 for v in a[0])
    assert augment_texts(texts, 0) == [[], [], [], []]
    pairs = augment_pairs(texts[:2], ["one", "two words"], 3, seed=0)
    assert all(isinstance(p, tuple) and len(p) == 2 for ps in pairs for p in ps)
    with pytest.raises(ValueError, match="--augment must be 0 or more"):
        augment_texts(texts, -1)


def test_distillation_loss_matches_its_formula():
    from eelbert_tf.classification.distillation_loss import DistillationLoss, pack_targets

    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    labels, has = np.array([0, 2, 1, 1, 0]), np.array([1, 1, 0, 1, 0], np.float32)
    y = pack_targets(labels, has, t)

    def log_softmax(z):
        z = z - z.max(-1, keepdims=True)
        return z - np.log(np.exp(z).sum(-1, keepdims=True))

    for alpha, temperature in ((0.5, 1.0), (0.2, 2.0), (1.0, 1.0), (0.0, 3.0)):
        ce = -log_softmax(s)[np.arange(5), labels]
        lt, ls = log_softmax(t / temperature), log_softmax(s / temperature)
        kl = (np.exp(lt) * (lt - ls)).sum(-1) * temperature ** 2
        expected = np.mean(alpha * ce * has + (1 - alpha) * kl)
        got = float(DistillationLoss(alpha=alpha, temperature=temperature)(y, s))
        assert got == pytest.approx(expected, rel=1e-5)
    # regression: squared errors to the label (where there is one) and to the teacher
    y = pack_targets(np.array([1.0, 2.0]), np.array([1.0, 0.0]), np.array([[0.5], [3.0]]))
    got = float(DistillationLoss(regression=True, alpha=0.25)(y, np.array([[0.0], [1.0]], np.float32)))
    assert got == pytest.approx(np.mean([0.25 * 1.0 + 0.75 * 0.25, 0.75 * 4.0]))
    with pytest.raises(ValueError, match="--distill-alpha"):
        DistillationLoss(alpha=1.5)


def _scores_file(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _fails(argv, capsys, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    for f in fragments:
        assert f in err, err


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    """Every text `finetune --teacher ... --augment 2` asks for, from `eelbert augment`, with scores added
    by a rule (positive when the text holds a word of the positive reviews' vocabulary)."""
    folder = tmp_path_factory.mktemp("listed")
    texts = folder / "texts.jsonl"
    assert main(["augment", *TRAIN, "--augment", "2", "--with-dev", "--out", str(texts)]) == 0
    rows = [json.loads(line) for line in texts.read_text().splitlines()]
    positive = {"moving", "great", "superb", "loved", "wonderful", "beautiful", "delight", "brilliant"}
    for r in rows:
        good = any(w.strip(",.!").lower() in positive for w in r["text"].split())
        r["scores"] = [0.0, 2.0] if good else [1.0, 0.0]
    return {"rows": rows, "path": _scores_file(folder / "scores.jsonl", rows)}


def test_finetune_with_a_scores_file_records_the_teacher(listed, tmp_path, capsys):
    out = tmp_path / "student"
    assert main(["finetune", "--model", "eelbert_uno", *TRAIN, *SMALL, "--teacher", str(listed["path"]),
                 "--augment", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    info = json.loads((out / "classifier.json").read_text())
    d = info["distillation"]
    assert d["teacher"]["kind"] == "scores_file" and len(d["teacher"]["sha256"]) == 64
    assert d["texts"]["labeled"] == 48 and d["texts"]["teacher_only_total"] > 0 and d["augment"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["fit_examples"] == 48 + d["texts"]["teacher_only_total"]
    assert "teacher_dev" in metrics and 0 <= metrics["teacher_dev"]["accuracy"] <= 100  # dev texts were scored


def test_bad_scores_files_are_refused_in_one_line_and_nothing_is_written(listed, tmp_path, capsys):
    rows = listed["rows"]
    base = ["finetune", "--model", "eelbert_uno", *TRAIN, *SMALL, "--augment", "2"]
    cases = [
        (rows[1:], "has no scores for 1 of the"),  # a missing (training) text
        ([{**rows[0], "scores": [1.0]}] + rows[1:], "must be a list of 2 numbers"),
        ([{**rows[0], "scores": [1.0, math.nan]}] + rows[1:], "scores must be finite"),
        ([{**rows[0], "text_pair": "x"}] + rows[1:], "has a \"text_pair\""),
    ]
    for i, (bad, message) in enumerate(cases):
        path = tmp_path / f"bad{i}.jsonl"
        if i == 2:  # json.dumps writes NaN, which Python's reader accepts: the check is ours
            path.write_text("".join(json.dumps(r) + "\n" for r in bad))
        else:
            _scores_file(path, bad)
        out = tmp_path / f"out{i}"
        _fails([*base, "--teacher", str(path), "--out", str(out)], capsys, str(path), message)
        assert not out.exists()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "a", "scores": [0, 1]}\n{not json\n')
    _fails([*base, "--teacher", str(broken), "--out", str(tmp_path / "o")], capsys, "line 2 is not JSON")
    _fails(["finetune", "--model", "eelbert_uno", *TRAIN, "--augment", "2", "--out", str(tmp_path / "o")], capsys,
           "give --teacher too")
    _fails([*base, "--teacher", str(FIXTURES / "reviews_train.csv"), "--out", str(tmp_path / "o")], capsys,
           "neither a classifier folder")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_a_classifier_folder_teaches_and_one_with_other_labels_is_refused(tmp_path, capsys):
    teacher = tmp_path / "teacher"
    assert main(["finetune", "--model", "eelbert_uno", *TRAIN, *SMALL, "--out", str(teacher)]) == 0
    student = tmp_path / "student"
    unlabeled = tmp_path / "unlabeled.txt"
    unlabeled.write_text("A lovely little film.\n\nA dreary, joyless slog.\n")
    assert main(["finetune", "--model", "eelbert_uno", "--tokenizer", "words", *TRAIN, *SMALL,
                 "--teacher", str(teacher), "--unlabeled", str(unlabeled), "--out", str(student)]) == 0
    capsys.readouterr()
    info = json.loads((student / "classifier.json").read_text())
    assert info["tokenizer"] == "words"  # soft scores do not care about tokenization
    assert info["distillation"]["teacher"]["kind"] == "classifier"
    assert info["distillation"]["texts"]["unlabeled"] == 2
    # the teacher's own dev score is in the student's metrics
    teacher_metrics = json.loads((teacher / "metrics.json").read_text())["dev"]["accuracy"]
    assert json.loads((student / "metrics.json").read_text())["teacher_dev"]["accuracy"] == pytest.approx(
        teacher_metrics)
    other = tmp_path / "other.csv"
    other.write_text("review,sentiment\n" + "".join(f"text {i},{'good' if i % 2 else 'bad'}\n" for i in range(8)))
    _fails(["finetune", "--model", "eelbert_uno", "--train", str(other), *COLUMNS, *SMALL, "--teacher", str(teacher),
            "--out", str(tmp_path / "o")], capsys, str(teacher), "labels ['negative', 'positive']",
           "labels ['bad', 'good']")
    assert not (tmp_path / "o").exists()
