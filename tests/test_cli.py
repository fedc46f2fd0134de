import json
import subprocess
import sys

from tests.models.test_backbone import independent_count
from eelbert_tf.models import BACKBONE_PRESETS


def run_info(preset):
    result = subprocess.run(
        [sys.executable, "-m", "eelbert_tf", "info", "--preset", preset, "--json"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


def test_info_json_matches_an_independent_count():
    infos = {p: run_info(p) for p in ["eelbert_uno", "bert_tiny"]}
    for preset, info in infos.items():
        cfg = BACKBONE_PRESETS[preset]
        embedding, encoder, pooler = independent_count(table=cfg["embedding_type"] == "table", **cfg)
        p = info["parameters"]
        assert (p["embedding"], p["encoder"], p["pooler"]) == (embedding, encoder, pooler)
        assert p["total"] == embedding + encoder + pooler
        assert info["bytes"] == {"float32": 4 * p["total"], "int8": p["total"]}
    assert infos["bert_tiny"]["parameters"]["total"] == 4_385_920
    ratio = infos["eelbert_uno"]["ratio_to_bert"]["bert_tiny"]
    assert 15 < ratio < 16


def test_unknown_preset_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "eelbert_tf", "info", "--preset", "nope"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr
