import json
import subprocess
import sys

import pytest

from tests.models.test_backbone import independent_count
from eelbert_tf.models import BACKBONE_PRESETS


def run_info(preset):
    result = subprocess.run(
        [sys.executable, "-m", "eelbert_tf", "info", "--preset", preset, "--json"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.slow
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


def test_the_command_line_trains_the_api_s_model_by_default():
    """`eelbert finetune` and `eelbert distil` with no recipe flags build the recipes the Python API defaults to
    (their defaults come from the same dataclasses), and a flag given changes only its own field."""
    from eelbert_tf.classification.finetune import FinetuneRecipe
    from eelbert_tf.classification.keras_hub_teacher import TeacherRecipe
    from eelbert_tf.cli import _finetune_recipe, _teacher_recipe, build_parser
    from eelbert_tf.distil import student_recipe

    parser = build_parser()
    ft = parser.parse_args(["finetune", "--model", "eelbert_uno_en", "--train", "x.csv", "--out", "o"])
    assert _finetune_recipe(ft, FinetuneRecipe()) == FinetuneRecipe()
    assert _teacher_recipe(ft) == TeacherRecipe()
    assert ft.tokenizer is None  # finetune() then picks the backbone's own, as the API does
    di = parser.parse_args(["distil", "--teacher", "t", "--train", "x.csv", "--out", "o"])
    assert _finetune_recipe(di, student_recipe()) == student_recipe()
    di = parser.parse_args(["distil", "--teacher", "t", "--train", "x.csv", "--out", "o", "--epochs", "7"])
    assert _finetune_recipe(di, student_recipe()) == student_recipe(epochs=7)


def test_eelbert_pretrain_trains_the_api_s_model_by_default():
    """`eelbert pretrain` and `PretrainConfig()` build the same backbone (no dropout, as the shipped presets), and
    runs the command made before `PretrainConfig.dropout` existed keep their fingerprint."""
    from eelbert_tf.cli import _pretrain_config, build_parser
    from eelbert_tf.pretraining.config import PretrainConfig

    parser = build_parser()
    args = parser.parse_args(["pretrain", "--preset", "eelbert_uno", "--tokens", "100000", "--out", "o"])
    api = PretrainConfig(preset="eelbert_uno", tokens=100000, out_dir="o")
    assert _pretrain_config(args) == api and api.backbone_arguments() == {"dropout": 0.0}
    before = PretrainConfig(preset="eelbert_uno", tokens=100000, out_dir="o", dropout=None,
                            backbone_overrides={"dropout": 0.0})  # what the command wrote before the field
    assert before.fingerprint() == api.fingerprint()
    preset_own = PretrainConfig(preset="eelbert_uno", tokens=100000, out_dir="o", dropout=None)
    assert preset_own.backbone_arguments() == {} and preset_own.fingerprint() != api.fingerprint()
    args = parser.parse_args(["pretrain", "--preset", "eelbert_uno", "--tokens", "100000", "--out", "o",
                              "--backbone-arg", "dropout=0.1"])
    assert _pretrain_config(args).backbone_arguments() == {"dropout": 0.1}
