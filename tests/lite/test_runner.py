"""eelbert_lite runs the shipped `bytes`, `mediapipe` and `utf8` files without TensorFlow, with the scores
eelbert_tf's runner gives; `eelbert predict` on them starts without importing TensorFlow and prints nothing
on stderr; every other model is handed over to eelbert_tf."""

import json
import subprocess
import sys

import numpy as np
import pytest

from eelbert_lite import ExportError, NeedsEelbertTF, TFLiteClassifier, cli
from eelbert_tf.data_paths import data_dir
from eelbert_tf.export import runner
from eelbert_tf.glue.tasks import from_glue
from tests.conftest import REPO
from tests.export.conftest import SENTENCES

SHIPPED = REPO / "tflite" / "models" / "sst2_eelbert_uno"
LITE_FILES = ["sst2_eelbert_uno.bytes.int8.tflite", "sst2_eelbert_uno.mediapipe.int8.tflite",
              "sst2_eelbert_uno_words.utf8.int8.tflite", "sst2_eelbert_uno.bytes.tflite"]


@pytest.mark.parametrize("name", LITE_FILES)
def test_the_same_scores_as_eelbert_tf(name):
    texts = SENTENCES + from_glue("sst2", data_dir() / "glue", "validation").texts[:60]
    lite = TFLiteClassifier(SHIPPED / name)
    full = runner.TFLiteClassifier(SHIPPED / name)
    np.testing.assert_array_equal(lite.scores(texts), full.scores(texts))
    assert lite.output_names == ["0", "1"] and not lite.text_pair


@pytest.mark.parametrize("name", ["sst2_eelbert_uno.micro.int8.tflite", "sst2_eelbert_uno.text.int8.tflite"])
def test_files_that_need_eelbert_tf_say_so(name):
    with pytest.raises(NeedsEelbertTF, match=name):
        TFLiteClassifier(SHIPPED / name)


def test_bad_model_and_vocabulary_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tflite"):
        TFLiteClassifier(tmp_path / "missing.tflite")
    damaged = tmp_path / "damaged.tflite"
    damaged.write_bytes(b"not a flatbuffer" * 8)
    with pytest.raises(ExportError, match="damaged.tflite"):
        TFLiteClassifier(damaged)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n")
    with pytest.raises(ExportError, match="another vocabulary"):
        TFLiteClassifier(SHIPPED / LITE_FILES[0], vocabulary=vocab)


def test_predict_imports_no_tensorflow_and_writes_nothing_on_stderr():
    model = SHIPPED / LITE_FILES[0]
    code = ("import sys; from eelbert_lite.cli import main; status = main(sys.argv[1:]); "
            "heavy = [m for m in ('tensorflow', 'keras', 'eelbert_tf') if m in sys.modules]; "
            "print('HEAVY', heavy); sys.exit(status)")
    out = subprocess.run([sys.executable, "-c", code, "predict", "--model", str(model), *SENTENCES[:3]],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "HEAVY []"
    expected = runner.prediction_lines(runner.TFLiteClassifier(model), runner.TFLiteClassifier(model).scores(
        SENTENCES[:3]))
    assert lines[:-1] == expected


def test_other_models_are_handed_to_eelbert_tf(capsys):
    assert cli.main(["predict", "--model", str(SHIPPED / "sst2_eelbert_uno.micro.int8.tflite"), SENTENCES[0]]) == 0
    assert capsys.readouterr().out.startswith(("0\t", "1\t"))
    assert cli.main(["predict", "--model", str(SHIPPED / LITE_FILES[0])]) == 2  # no texts: the lite error
    assert "predict needs texts" in capsys.readouterr().err
    assert cli.main(["info", "--preset", "eelbert_uno", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "eelbert_uno"
