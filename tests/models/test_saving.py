"""Whole models saved as .keras: atomic writes, and damaged files refused by name."""

import zipfile

import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models import saving
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier

X = {"tokens": tf.constant([["[CLS]", "good", "film", "[SEP]"]]), "segment_ids": tf.zeros([1, 4], tf.int32),
     "padding_mask": tf.ones([1, 4], tf.int32)}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=16)
    model = EelbertTextClassifier(backbone, 2)
    path = saving.save_model(model, tmp_path_factory.mktemp("saved") / "classifier.keras")
    return model, path


def test_save_and_load_round_trip(saved):
    model, path = saved
    assert [p.name for p in path.parent.iterdir()] == ["classifier.keras"]  # no temporary file left
    np.testing.assert_array_equal(saving.load_model(path)(X).numpy(), model(X).numpy())


def test_interrupted_save_keeps_the_previous_file(saved, tmp_path, monkeypatch):
    model, path = saved
    target = tmp_path / "model.keras"
    target.write_bytes(path.read_bytes())

    def dies_half_way(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt("killed during the write")

    monkeypatch.setattr(type(model), "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        saving.save_model(model, target)
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]
    np.testing.assert_array_equal(saving.load_model(target)(X).numpy(), model(X).numpy())


def _flip_stored_byte(src, dst):
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo("model.weights.h5")
    # A byte inside the weights member's data: its CRC no longer matches.
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF
    dst.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, message", [
    ("missing", "does not exist"),
    ("empty", "is empty"),
    ("truncated", "not a readable .keras"),
    ("text", "not a readable .keras"),
    ("no_weights", "lacks \\['model.weights.h5'\\]"),
    ("bit_flip", "fails its CRC check"),
    ("wrong_suffix", "expected a .keras file"),
])
def test_damaged_saved_models_are_refused_by_name(saved, tmp_path, damage, message):
    _, path = saved
    bad = tmp_path / ("model.h5" if damage == "wrong_suffix" else "model.keras")
    if damage == "empty":
        bad.write_bytes(b"")
    elif damage == "truncated":
        bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "text":
        bad.write_text("this is not a model\n")
    elif damage == "no_weights":
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
            for name in ("config.json", "metadata.json"):
                dst.writestr(name, src.read(name))
    elif damage == "bit_flip":
        _flip_stored_byte(path, bad)
    elif damage == "wrong_suffix":
        bad.write_bytes(path.read_bytes())
    with pytest.raises((saving.SavedModelError, FileNotFoundError), match=message) as info:
        saving.load_model(bad)
    assert str(bad) in str(info.value)


def test_weights_that_do_not_fit_are_refused_by_name(tmp_path):
    small = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=16)
    other = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=32, intermediate_dim=32, max_sequence_length=16)
    path = saving.save_weights_file(small, tmp_path / "b.weights.h5")
    with pytest.raises(saving.SavedModelError, match="b.weights.h5 cannot be loaded"):
        saving.load_weights_file(other, path)
    (tmp_path / "t.weights.h5").write_bytes(path.read_bytes()[:300])
    with pytest.raises(saving.SavedModelError, match="t.weights.h5 cannot be loaded"):
        saving.load_weights_file(small, tmp_path / "t.weights.h5")
    with pytest.raises(FileNotFoundError, match="nope.weights.h5 does not exist"):
        saving.load_weights_file(small, tmp_path / "nope.weights.h5")


def test_a_former_classifier_is_refused_by_name_and_converted_once(tmp_path, capsys):
    """A classifier saved with the former `EelbertClassifier` (tests/fixtures/former_classifier, written by it):
    loading names `eelbert convert`; the converted folder gives the same logits from today's class."""
    import shutil

    from eelbert_tf.classification.classifier_bundle import load_classifier
    from eelbert_tf.cli import main
    from tests.conftest import REPO

    former = REPO / "tests" / "fixtures" / "former_classifier"
    with pytest.raises(ValueError, match=r"former EelbertClassifier: convert it once with `eelbert convert"):
        load_classifier(former)
    assert main(["convert", str(former), str(tmp_path / "new")]) == 0
    bundle = load_classifier(tmp_path / "new")
    assert type(bundle.model) is EelbertTextClassifier
    x = {"tokens": tf.constant([["[CLS]", "hello", "[SEP]", ""]]), "segment_ids": tf.zeros([1, 4], tf.int32),
         "padding_mask": tf.constant([[1, 1, 1, 0]], tf.int32)}
    np.testing.assert_allclose(bundle.model(x).numpy(), np.load(former / "expected_logits.npy"), atol=1e-6)
    assert main(["convert", str(former / "classifier.keras"), str(tmp_path / "one.keras")]) == 0
    assert main(["convert", str(tmp_path / "new"), str(tmp_path / "again")]) == 2  # nothing former left
    assert "loads as it is" in capsys.readouterr().err
    shutil.rmtree(tmp_path / "new")
