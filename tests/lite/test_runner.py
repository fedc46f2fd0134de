"""eelbert_lite runs the shipped `bytes`, `mediapipe`, `utf8` and `micro` files without TensorFlow, on the inputs
eelbert_tf's Keras preprocessing gives; `eelbert predict` on them starts without importing TensorFlow and prints
nothing on stderr; every other model (a `text` file, a classifier folder) is handed over to eelbert_tf."""

import json
import subprocess
import sys

import numpy as np
import pytest

from eelbert_lite import ExportError, NeedsEelbertTF, TFLiteClassifier, cli, micro
from eelbert_tf.classification.classifier_bundle import load_classifier
from eelbert_tf.data_paths import data_dir
from eelbert_tf.export import micro_format, runner
from tests.export import keras_inputs
from eelbert_tf.glue.tasks import from_glue
from tests.conftest import REPO
from tests.export.conftest import SENTENCES

SHIPPED = REPO / "tflite" / "models" / "sst2_eelbert_uno"
LITE_FILES = ["sst2_eelbert_uno.bytes.int8.tflite", "sst2_eelbert_uno.mediapipe.int8.tflite",
              "sst2_eelbert_uno.micro.int8.tflite", "sst2_eelbert_uno_words.utf8.int8.tflite",
              "sst2_eelbert_uno.bytes.tflite"]


def reference_inputs(name, texts):
    """Each text's inputs for the shipped file `name`, from eelbert_tf's Keras preprocessing (what calibration
    feeds the converter); a `micro` file's hash vectors by the Keras hash layer."""
    folder = SHIPPED / ("micro_reference" if ".micro." in name else "")
    bundle = load_classifier(folder)
    meta = TFLiteClassifier(SHIPPED / name).meta
    preprocessor = bundle.preprocessor(meta["sequence_length"])
    for text in texts:
        if meta["format"] == "mediapipe":
            yield keras_inputs.id_inputs(preprocessor, [text])
        elif meta["format"] == "bytes":
            yield keras_inputs.bytes_inputs(preprocessor, [text], meta["token_byte_width"])
        else:
            x = keras_inputs.micro_float_inputs(bundle, [text], meta["sequence_length"], preprocessor)
            yield {n: micro.quantize(x[n], *meta["input_quantization"][n]) for n in micro_format.INPUT_NAMES}


@pytest.mark.parametrize("name", [n for n in LITE_FILES if ".utf8." not in n])  # utf8: the file tokenizes
def test_inputs_equal_the_keras_preprocessing(name):
    texts = SENTENCES + from_glue("sst2", data_dir() / "glue", "validation").texts[:60]
    lite = TFLiteClassifier(SHIPPED / name)
    for text, expected in zip(texts, reference_inputs(name, texts)):
        got = lite._example_inputs([text])
        assert sorted(got) == sorted(expected)
        for key in got:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=f"{name} {key}: {text[:40]!r}")


@pytest.mark.parametrize("name", LITE_FILES)
def test_scores_follow_the_shipped_dev_figures(name):
    lite = TFLiteClassifier(SHIPPED / name)
    assert lite.output_names == ["0", "1"] and not lite.text_pair
    dev = from_glue("sst2", data_dir() / "glue", "validation")
    correct = (lite.scores(dev.texts[:100]).argmax(-1) == np.array(dev.labels[:100])).mean()
    assert correct > 0.7, f"{name}: {correct:.2f} on 100 dev sentences"


def test_text_files_need_eelbert_tf_and_say_so():
    name = "sst2_eelbert_uno.text.int8.tflite"
    with pytest.raises(NeedsEelbertTF, match=name):
        TFLiteClassifier(SHIPPED / name)
    assert runner.TFLiteClassifier(SHIPPED / name).scores(SENTENCES[:1]).shape == (1, 2)


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


@pytest.mark.parametrize("name", [LITE_FILES[0], "sst2_eelbert_uno.micro.int8.tflite"])
def test_predict_imports_no_tensorflow_and_writes_nothing_on_stderr(name):
    model = SHIPPED / name
    code = ("import sys; from eelbert_lite.cli import main; status = main(sys.argv[1:]); "
            "heavy = [m for m in ('tensorflow', 'keras', 'eelbert_tf', 'tensorflow_text') if m in sys.modules]; "
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
    assert cli.main(["predict", "--model", str(SHIPPED / "sst2_eelbert_uno.text.int8.tflite"), SENTENCES[0]]) == 0
    assert capsys.readouterr().out.startswith(("0\t", "1\t"))
    assert cli.main(["predict", "--model", str(SHIPPED / LITE_FILES[0])]) == 2  # no texts: the lite error
    assert "predict needs texts" in capsys.readouterr().err
    assert cli.main(["info", "--preset", "eelbert_uno", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "eelbert_uno"
