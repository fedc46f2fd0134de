"""The user's path from the command line: finetune on a CSV, export, predict; bad input named in one line."""

import subprocess
import sys

import pytest

from eelbert_tf.cli import main
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "reviews"
    cmd = [sys.executable, "-m", "eelbert_tf", "finetune", "--model", "eelbert_uno_en",
           "--train", str(FIXTURES / "reviews_train.csv"), "--dev", str(FIXTURES / "reviews_dev.csv"),
           "--text-column", "review", "--label-column", "sentiment", "--out", str(out),
           "--epochs", "15", "--batch-size", "8", "--learning-rate", "1e-3", "--sequence-length", "48",
           "--pooling", "mean"]  # the shipped SST-2 classifier's head; tests/export covers [CLS]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_finetune_writes_the_classifier_folder(finetuned):
    names = {p.name for p in finetuned.iterdir()}
    assert names == {"classifier.keras", "labels.txt", "vocab.txt", "classifier.json", "metrics.json",
                     "calibration.jsonl"}
    assert (finetuned / "labels.txt").read_text().split() == ["negative", "positive"]
    import json

    metrics = json.loads((finetuned / "metrics.json").read_text())
    assert metrics["dev_examples"] == 16 and len(metrics["dev"]["confusion_matrix"]) == 2
    assert metrics["dev"]["accuracy"] >= 75  # "great" against "awful" is learnable from the words alone
    # The record of the run: steps and one training loss per epoch, falling.
    train_rows = len((FIXTURES / "reviews_train.csv").read_text().strip().splitlines()) - 1
    assert metrics["steps"] == -(-train_rows // 8) * 15 and len(metrics["losses"]) == 15
    assert metrics["losses"][-1] < metrics["losses"][0]
    assert json.loads((finetuned / "classifier.json").read_text())["recipe"]["pooling"] == "mean"


def test_export_then_predict_gives_the_keras_labels(finetuned, tmp_path, capsys):
    texts = ["A superb and moving story.", "Dull, lifeless and clumsy.", ""]
    assert main(["predict", "--model", str(finetuned / "classifier.keras"), *texts]) == 0
    keras_lines = capsys.readouterr().out.strip().split("\n")
    assert [line.split("\t")[0] for line in keras_lines[:2]] == ["positive", "negative"]
    (tmp_path / "texts.txt").write_text("\n".join(texts) + "\n")
    for fmt, buckets in (("bytes", []), ("text", []), ("bytes", ["--hash-buckets", "none"])):
        out = tmp_path / f"{fmt}{len(buckets)}.tflite"
        assert main(["export", "--model", str(finetuned), "--format", fmt, "--out", str(out), *buckets]) == 0
        printed = capsys.readouterr().out
        assert f"{out.stat().st_size:,} bytes" in printed and "ops (" in printed and "runtime:" in printed
        assert main(["predict", "--model", str(out), "--file", str(tmp_path / "texts.txt")]) == 0
        lines = capsys.readouterr().out.strip().split("\n")
        assert [line.split("\t")[0] for line in lines] == [line.split("\t")[0] for line in keras_lines]
    # One hash width for all tokens: a smaller graph (the size-for-speed choice, BENCHMARKS.md "Deployment").
    assert (tmp_path / "bytes2.tflite").stat().st_size < (tmp_path / "bytes0.tflite").stat().st_size


def _fails(argv, capsys, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_bad_export_and_predict_input_is_named(finetuned, tmp_path, capsys):
    out = tmp_path / "m.tflite"
    _fails(["export", "--model", str(finetuned), "--format", "onnx", "--out", str(out)], capsys,
           "--format 'onnx'", "text, mediapipe, bytes, utf8, micro")
    _fails(["export", "--model", str(finetuned), "--format", "text", "--sequence-length", "4096", "--out", str(out)],
           capsys, "--sequence-length 4096", "3 to 512")
    _fails(["export", "--model", str(finetuned), "--format", "bytes", "--out", str(tmp_path / "m.bin")], capsys,
           "ending in .tflite")
    _fails(["export", "--model", str(finetuned), "--format", "bytes", "--hash-buckets", "six", "--out", str(out)],
           capsys, "--hash-buckets expects 'none'")
    _fails(["export", "--model", str(tmp_path), "--format", "bytes", "--out", str(out)], capsys,
           "not a classifier folder")
    _fails(["export", "--model", str(finetuned), "--format", "bytes", "--per-tensor", "--out", str(out)], capsys,
           "--per-tensor", "--int8")
    assert not out.exists() and not list(tmp_path.glob(".*tmp*"))
    # A .keras that holds a backbone, not a classifier.
    import eelbert_tf
    from eelbert_tf.models.saving import save_model

    other = tmp_path / "backbone"
    other.mkdir()
    save_model(eelbert_tf.EelbertBackbone.from_preset("eelbert_uno"), other / "classifier.keras")
    (other / "classifier.json").write_text("{}")
    _fails(["export", "--model", str(other), "--format", "bytes", "--out", str(out)], capsys,
           "holds a EelbertBackbone, not an EelbertTextClassifier")
    # A damaged or foreign .tflite.
    good = tmp_path / "good.tflite"
    assert main(["export", "--model", str(finetuned), "--format", "bytes", "--out", str(good)]) == 0
    capsys.readouterr()
    damaged = tmp_path / "damaged.tflite"
    damaged.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    _fails(["predict", "--model", str(damaged), "hello"], capsys, str(damaged))
    _fails(["predict", "--model", str(good)], capsys, "needs texts")


def test_bad_finetune_input_is_named(finetuned, tmp_path, capsys):
    dev = tmp_path / "dev.csv"
    dev.write_text("id,review,sentiment\n1,fine,neutral\n")
    common = ["finetune", "--model", "eelbert_uno", "--train", str(FIXTURES / "reviews_train.csv"),
              "--text-column", "review", "--label-column", "sentiment", "--epochs", "1"]
    _fails([*common, "--dev", str(dev), "--out", str(tmp_path / "a")], capsys,
           "dev.csv: line 2: label 'neutral'")
    _fails([*common, "--out", str(finetuned)], capsys, "exists and is not empty")
    _fails(["finetune", "--model", "eelbert_uno", "--train", str(FIXTURES / "reviews_train.csv"),
            "--text-column", "text", "--label-column", "sentiment", "--out", str(tmp_path / "b")], capsys,
           "has no column ['text']")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_finetune_a_glue_task_and_predict_pairs(tmp_path, capsys):
    out = tmp_path / "mrpc"
    assert main(["finetune", "--model", "eelbert_uno", "--task", "mrpc", "--glue-dir", str(FIXTURES / "glue"),
                 "--out", str(out), "--epochs", "1", "--batch-size", "4", "--sequence-length", "32"]) == 0
    capsys.readouterr()
    import json

    info = json.loads((out / "classifier.json").read_text())
    assert info["text_pair"] and info["label_names"] == ["0", "1"] and info["source"] == {"glue_task": "mrpc"}
    assert main(["predict", "--model", str(out), "The cat sat.", "It rained.", "--pair", "A cat sat.", "Sun."]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 2 and all(line.split("\t")[0] in ("0", "1") for line in lines)
    _fails(["predict", "--model", str(out), "The cat sat."], capsys, "classifies text pairs")
    _fails(["predict", "--model", str(out), "a", "b", "--pair", "c"], capsys, "--pair gave 1 second texts for 2")
