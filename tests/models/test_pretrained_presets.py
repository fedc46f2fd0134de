import json
import shutil

import numpy as np
import pytest
import keras_hub
import tensorflow as tf

from eelbert_tf.models import preset_writer, pretrained
from eelbert_tf.models import presets as shipped_presets
from eelbert_tf.models.eelbert_backbone import EelbertBackbone


def test_export_and_load_round_trip(tmp_path, monkeypatch):
    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32,
                               max_sequence_length=32)
    run = tmp_path / "run"
    run.mkdir()
    backbone.save_weights(run / "backbone.weights.h5")
    (run / "record.json").write_text(json.dumps({"backbone_config": backbone.get_config(), "steps": 3}))
    presets = tmp_path / "presets"
    folder = preset_writer.export_preset(run, "eelbert_test_en", presets_dir=presets)
    # keras-hub's preset layout, plus the record; keras-hub's own loader reads it.
    assert sorted(p.name for p in folder.iterdir()) == ["assets", "config.json", "metadata.json", "model.weights.h5",
                                                         "record.json", "tokenizer.json"]
    assert type(keras_hub.models.Backbone.from_preset(str(folder))) is EelbertBackbone
    monkeypatch.setattr(shipped_presets, "PRESETS_DIR", presets)
    loaded = EelbertBackbone.from_preset("eelbert_test_en")
    x = {"tokens": tf.constant([["[CLS]", "hello", "[SEP]"]]), "segment_ids": tf.zeros([1, 3], tf.int32),
         "padding_mask": tf.ones([1, 3], tf.int32)}
    np.testing.assert_array_equal(loaded(x)["sequence_output"].numpy(), backbone(x)["sequence_output"].numpy())
    record = json.loads((folder / "record.json").read_text())
    assert record["shipped"]["parameters"] == backbone.count_params()


@pytest.mark.parametrize("damage", ["cut", "flip", "missing"])
def test_damaged_weights_are_refused(tmp_path, monkeypatch, damage):
    presets = tmp_path / "presets"
    shutil.copytree(shipped_presets.PRESETS_DIR / "eelbert_uno_en", presets / "eelbert_bad_en")
    weights = presets / "eelbert_bad_en" / "model.weights.h5"
    data = weights.read_bytes()
    if damage == "missing":
        weights.unlink()
    else:
        weights.write_bytes(data[: len(data) // 2] if damage == "cut" else data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:])
    monkeypatch.setattr(shipped_presets, "PRESETS_DIR", presets)
    with pytest.raises(ValueError, match="eelbert_bad_en.*model.weights.h5"):
        EelbertBackbone.from_preset("eelbert_bad_en")


def test_former_layout_converts_bit_for_bit(tmp_path):
    """A preset folder of the former layout (constructor arguments and weights.npz) converts to keras-hub's with
    the same values; loading it by folder before conversion says how to convert it."""
    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=32)
    folder = tmp_path / "old_en"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(pretrained._constructor_args(backbone.get_config())))
    preset_writer.save_npz_weights(backbone.weights, folder / "weights.npz", dtype="float16")
    (folder / "record.json").write_text(json.dumps({"shipped": {"weights_dtype": "float16"}}))
    with pytest.raises(ValueError, match="former layout.*to_keras_hub_preset"):
        EelbertBackbone.from_preset(str(folder))
    expected = EelbertBackbone.from_config(backbone.get_config())
    pretrained.load_npz_weights(expected.weights, folder / "weights.npz")
    preset_writer.to_keras_hub_preset(folder)
    loaded = keras_hub.models.Backbone.from_preset(str(folder))
    record = json.loads((folder / "record.json").read_text())
    assert pretrained.weights_values_sha256(loaded.weights) == pretrained.weights_values_sha256(expected.weights)
    assert record["shipped"]["weights_values_sha256"] == pretrained.weights_values_sha256(expected.weights)
    assert not (folder / "weights.npz").exists()


@pytest.mark.parametrize("name", sorted(pretrained.pretrained_presets()))
def test_shipped_presets_load_offline_with_their_records(name):
    folder = pretrained.pretrained_presets()[name]
    record = json.loads((folder / "record.json").read_text())
    # 40.96M for a distilled preset (a third of the plain budget: a distilled step costs 2x, docs/pretraining.md).
    assert record["tokens_seen"] >= 40_000_000 and record["steps"] > 0 and record["commit"]
    assert len(record["data"]["corpus"]) >= 1 and all(len(c["sha256"]) == 64 for c in record["data"]["corpus"])
    backbone = EelbertBackbone.from_preset(name)
    assert backbone.count_params() == record["shipped"]["parameters"]
    # keras-hub's own loaders read the folder, with the same weights bit for bit as the former weights.npz held
    # (their values' sha256 was taken from it at conversion, tools/convert_presets.py).
    assert pretrained.weights_values_sha256(backbone.weights) == record["shipped"]["weights_values_sha256"]
    assert type(keras_hub.models.Backbone.from_preset(str(folder))) is EelbertBackbone
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(str(folder))
    assert type(tokenizer).__name__ == ("EelbertWordTokenizer" if record["config"].get("tokenizer") == "words"
                                        else "EelbertTokenizer")
    # The weights as shipped were evaluated, and the MLM head that evaluation needs is in the repo.
    shipped = record["shipped"]
    assert shipped["heldout_mlm_loss"] == pytest.approx(record["heldout_mlm_loss"], abs=0.01)
    if record["config"].get("tokenizer") == "words":  # no head shipped: the run's float32 weights, as evaluated
        assert shipped["mlm_head_weights"] is None and shipped["weights_dtype"] == "float32"
        assert shipped["heldout_mlm_loss"] == record["heldout_mlm_loss"]
    else:
        assert shipped_presets.shipped_mlm_head(name) == folder / shipped["mlm_head_weights"] == folder / "mlm_head.npz"


def test_a_missing_mlm_head_is_refused_by_name(tmp_path):
    """A words preset ships no MLM head, and a wheel carries none (training-only files of a checkout): each is
    refused with what to pass instead."""
    with pytest.raises(ValueError, match="names no MLM head"):
        shipped_presets.shipped_mlm_head("eelbert_uno_words_en")
    folder = tmp_path / "eelbert_uno_en"
    shutil.copytree(pretrained.pretrained_presets()["eelbert_uno_en"], folder, ignore=shutil.ignore_patterns("*.npz"))
    with pytest.raises(ValueError, match=r"mlm_head.npz is missing.*--mlm-head-weights"):
        shipped_presets.shipped_mlm_head("eelbert_uno_en", tmp_path)


def test_a_shipped_preset_gives_its_pinned_outputs():
    """keras-hub's preset check: eelbert_uno_en by name, offline, on one sentence, gives the outputs recorded
    when the preset shipped (first values; any change to the weights, the hash or the encoder moves them)."""
    from eelbert_tf import EelbertTextClassifierPreprocessor

    backbone = keras_hub.models.Backbone.from_preset("eelbert_uno_en")
    outputs = backbone(EelbertTextClassifierPreprocessor(sequence_length=16)(
        tf.constant(["The quick brown fox jumps over the lazy dog."])))
    np.testing.assert_allclose(outputs["sequence_output"].numpy()[0, :3, :4],
                               [[-0.22164, 1.28593, 0.38365, -0.46663], [-0.44789, 0.27955, -0.43555, 0.28572],
                                [0.54278, 0.95928, 0.93088, 0.05543]], atol=2e-4)
    np.testing.assert_allclose(outputs["pooled_output"].numpy()[0, :6],
                               [-0.13330, -0.05620, 0.06717, 0.01522, 0.05653, 0.01833], atol=2e-4)
