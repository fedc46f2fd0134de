import json

import numpy as np
import pytest
import tensorflow as tf

from eelbert_tf.models import pretrained
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from tests.conftest import REPO


def test_export_and_load_round_trip(tmp_path, monkeypatch):
    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32,
                               max_sequence_length=32)
    run = tmp_path / "run"
    run.mkdir()
    backbone.save_weights(run / "backbone.weights.h5")
    (run / "record.json").write_text(json.dumps({"backbone_config": backbone.get_config(), "steps": 3}))
    presets = tmp_path / "presets"
    folder = pretrained.export_preset(run, "eelbert_test_en", presets_dir=presets)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "record.json", "weights.npz"]
    monkeypatch.setattr(pretrained, "PRESETS_DIR", presets)
    loaded = EelbertBackbone.from_preset("eelbert_test_en")
    x = {"tokens": tf.constant([["[CLS]", "hello", "[SEP]"]]), "segment_ids": tf.zeros([1, 3], tf.int32),
         "padding_mask": tf.ones([1, 3], tf.int32)}
    np.testing.assert_array_equal(loaded(x)["sequence_output"].numpy(), backbone(x)["sequence_output"].numpy())
    record = json.loads((folder / "record.json").read_text())
    assert record["shipped"]["parameters"] == backbone.count_params()


def test_damaged_weights_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "presets" / "eelbert_bad_en"
    folder.mkdir(parents=True)
    config = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32).get_config()
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "weights.npz").write_bytes(b"not a zip")
    monkeypatch.setattr(pretrained, "PRESETS_DIR", tmp_path / "presets")
    with pytest.raises(ValueError, match="weights.npz cannot be read"):
        EelbertBackbone.from_preset("eelbert_bad_en")


@pytest.mark.parametrize("name", sorted(pretrained.pretrained_presets()))
def test_shipped_presets_load_offline_with_their_records(name):
    folder = pretrained.pretrained_presets()[name]
    record = json.loads((folder / "record.json").read_text())
    assert record["tokens_seen"] >= 60_000_000 and record["steps"] > 0 and record["commit"]
    assert len(record["data"]["corpus"]) >= 1 and all(len(c["sha256"]) == 64 for c in record["data"]["corpus"])
    backbone = EelbertBackbone.from_preset(name)
    assert backbone.count_params() == record["shipped"]["parameters"]
    # The weights as shipped were evaluated, and the MLM head that evaluation needs is in the repo.
    shipped = record["shipped"]
    assert shipped["heldout_mlm_loss"] == pytest.approx(record["heldout_mlm_loss"], abs=0.01)
    if record["config"].get("tokenizer") == "words":  # no head shipped: the run's float32 weights, as evaluated
        assert shipped["mlm_head_weights"] is None and shipped["weights_dtype"] == "float32"
        assert shipped["heldout_mlm_loss"] == record["heldout_mlm_loss"]
    else:
        assert (REPO / shipped["mlm_head_weights"]).is_file()
