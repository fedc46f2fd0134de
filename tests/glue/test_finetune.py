import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "glue"


@pytest.mark.slow
def test_glue_cli_finetunes_and_reports_absent_tasks(tmp_path):
    # QNLI has no train.tsv in the fixtures (as in ../shared/data): shown as absent. (A regression task's metrics
    # are checked in process: test_seeds_keep_dev_predictions_and_a_rerun_for_them_checks_its_metrics.)
    cmd = [sys.executable, "-m", "eelbert_tf", "glue", "--model", "eelbert_uno", "--tasks", "sst2,qnli",
           "--glue-dir", str(FIXTURES), "--out", str(tmp_path / "out"), "--seeds", "0,1", "--epochs", "15",
           "--learning-rate", "1e-3", "--batch-size", "4",
           "--tfds-dir", str(tmp_path / "tfds")]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["tasks"]["qnli"] is None
    sst2 = results["tasks"]["sst2"]
    assert sst2["seeds"] == [0, 1] and len(sst2["score"]["values"]) == 2
    # "good" vs "bad" is learnable from n-grams alone: a real signal, not chance.
    assert sst2["score"]["mean"] >= 80
    assert results["glue5"] is None  # cola, mrpc and rte were not run: no partial mean
    row = (tmp_path / "out" / "row.md").read_text()
    assert row.startswith("| `eelbert_uno` |") and "absent" in row
    # Each finished seed names where, when and from which code it ran (the GLUE table's header reads these).
    seed = json.loads((tmp_path / "out" / "seeds" / "sst2-seed1.json").read_text())["run"]
    assert "cores" in seed["machine"] and seed["finished"].endswith(" UTC") and "commit" in seed


def _glue_cmd(out, tfds, *extra, glue_dir=FIXTURES, model="eelbert_uno"):
    return [sys.executable, "-m", "eelbert_tf", "glue", "--model", str(model), "--glue-dir", str(glue_dir),
            "--out", str(out), "--tfds-dir", str(tfds), "--learning-rate", "1e-3", "--batch-size", "4", *extra]


@pytest.mark.slow
def test_killed_finetuning_resumes_from_its_finished_seeds(tmp_path):
    out = tmp_path / "out"
    cmd = _glue_cmd(out, tmp_path / "tfds", "--tasks", "sst2", "--seeds", "0,1", "--epochs", "10")
    log = tmp_path / "first_run.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    first = out / "seeds" / "sst2-seed0.json"
    # Generous: a loaded 2-core machine may take minutes to import TF and prepare the TFDS cache.
    deadline = time.monotonic() + 600
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    exited_by_itself = proc.poll()
    os.kill(proc.pid, signal.SIGKILL)  # a real kill -9 while a later seed is training
    proc.wait()
    finished = sorted(p.name for p in (out / "seeds").glob("*.json")) if (out / "seeds").exists() else []
    assert exited_by_itself is None and finished == ["sst2-seed0.json"], (
        f"finished seeds {finished}, exit code before the kill {exited_by_itself}; the run's log ends:\n"
        + log.read_text(errors="replace")[-3000:]
    )
    saved_seed0 = json.loads(first.read_text())["run"]

    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sst2: seed 0 already finished" in result.stdout
    sst2 = json.loads((out / "results.json").read_text())["tasks"]["sst2"]
    assert "predictions" in saved_seed0  # kept in the seed's record, not repeated in results.json
    assert sst2["seeds"] == [0, 1] and sst2["runs"][0] == {k: v for k, v in saved_seed0.items() if k != "predictions"}

    # More seeds may be added; another recipe in the same folder is refused, not mixed in.
    other = subprocess.run(_glue_cmd(out, tmp_path / "tfds", "--tasks", "sst2", "--seeds", "0", "--epochs", "3"),
                           cwd=REPO, capture_output=True, text=True)
    assert other.returncode == 2 and "sst2-seed0.json" in other.stderr and "Traceback" not in other.stderr


@pytest.mark.slow
def test_cli_names_a_malformed_glue_file_and_a_damaged_model(tmp_path):
    glue = tmp_path / "glue"
    shutil.copytree(FIXTURES, glue)
    train = glue / "SST-2" / "train.tsv"
    lines = train.read_text().splitlines(keepends=True)
    lines[3] = "a row without its label\n"
    train.write_text("".join(lines))
    bad_row = subprocess.run(_glue_cmd(tmp_path / "o1", tmp_path / "tfds1", "--tasks", "sst2", "--seeds", "0",
                                       glue_dir=glue), cwd=REPO, capture_output=True, text=True)
    assert bad_row.returncode == 2 and "Traceback" not in bad_row.stderr
    assert "SST-2/train.tsv" in bad_row.stderr and "line 4" in bad_row.stderr

    from eelbert_tf.models.eelbert_backbone import EelbertBackbone

    run = tmp_path / "run"
    run.mkdir()
    backbone = EelbertBackbone(num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=32)
    (run / "record.json").write_text(json.dumps({"backbone_config": backbone.get_config()}))
    (run / "backbone.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    damaged = subprocess.run(_glue_cmd(tmp_path / "o2", tmp_path / "tfds2", "--tasks", "sst2", "--seeds", "0",
                                       model=run), cwd=REPO, capture_output=True, text=True)
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr
    assert "backbone.weights.h5 cannot be loaded" in damaged.stderr


def test_a_vocabulary_of_another_size_than_the_model_is_refused(tmp_path, small_vocab_path):
    from eelbert_tf.glue.finetune import GlueRecipe, finetune_task

    with pytest.raises(ValueError, match="vocabulary given for 'eelbert_uno' has .* tokens but the model was built for 30,522"):
        finetune_task("eelbert_uno", "sst2", FIXTURES, 0, GlueRecipe(), tfds_dir=tmp_path, vocabulary=small_vocab_path)


def test_unusable_seed_files_are_refused_with_the_reason(tmp_path):
    from eelbert_tf.glue.finetune import _finished_seed, _seed_file

    key = {"model": "eelbert_uno_en", "weights": "abc", "recipe": {"learning_rate": 2e-4}}
    path = _seed_file(tmp_path, "rte", 0)
    cases = [
        ("{ not json", "is not a finished fine-tuning result"),
        ('{"model": "eelbert_uno_en"}', "no 'run'"),
        # A result written before the weights fingerprint existed: named as such, not as damage.
        ('{"model": "eelbert_uno_en", "recipe": {"learning_rate": 2e-4}, "run": {}}',
         "without \\['weights'\\] \\(written by an earlier eelbert_tf\\)"),
        ('{"model": "bert_tiny_en", "weights": "abc", "recipe": {"learning_rate": 2e-4}, "run": {}}',
         "holds a result of model 'bert_tiny_en'"),
    ]
    for text, message in cases:
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            _finished_seed(tmp_path, key, "rte", 0)
    path.write_text(json.dumps({**key, "run": {"seed": 0}}))
    assert _finished_seed(tmp_path, key, "rte", 0) == {"seed": 0}


def test_model_names_resolve_once_and_fingerprint_weights_and_config(tmp_path):
    from eelbert_tf.models.registry import model_fingerprint, model_source, pretraining_tokenizer
    from eelbert_tf.models.pretrained import pretrained_presets, preset_fingerprint

    assert model_source("eelbert_uno") == ("architecture", None) and model_fingerprint("eelbert_uno") is None
    assert model_source("eelbert_uno_en") == ("preset", pretrained_presets()["eelbert_uno_en"])
    assert model_fingerprint("eelbert_uno_en") == preset_fingerprint(pretrained_presets()["eelbert_uno_en"])
    assert model_fingerprint("eelbert_uno_en") != model_fingerprint("eelbert_tiny_en")
    with pytest.raises(ValueError, match="'eelbert_unoo_en' is neither a pretraining run folder .* nor an architecture"):
        model_source("eelbert_unoo_en")
    (tmp_path / "record.json").write_text("{}")
    with pytest.raises(ValueError, match="no backbone.weights.h5: the run is not finished"):
        pretraining_tokenizer(str(tmp_path))


def test_finetuning_dropout_is_the_presets_own_unless_replaced():
    from eelbert_tf.classification.finetune import build_classifier
    from eelbert_tf.models.pretrained import load_pretrained_backbone

    shipped = load_pretrained_backbone("eelbert_uno_en")
    assert shipped.dropout == 0.0  # pretrained without dropout, shipped so (bench/archive/finetune_diagnosis.py)
    assert build_classifier("eelbert_uno_en", 2).backbone.dropout == 0.0
    replaced = build_classifier("eelbert_uno_en", 2, dropout=0.1).backbone
    assert replaced.dropout == 0.1
    assert all(np.array_equal(a, b) for a, b in zip(replaced.get_weights(), shipped.get_weights()))
    with pytest.raises(ValueError, match="dropout 1.5 is not a rate"):
        build_classifier("eelbert_uno_en", 2, dropout=1.5)


def test_glue_options_are_keyed_only_when_set_and_a_row_knows_its_own_seeds(tmp_path):
    from eelbert_tf.glue.finetune import GlueRecipe, _recipe_key, _seed_file, _seed_key, fine_tuned_from

    # Left at the model's own, the options are not in the key: seeds stored before they existed still match.
    assert {"tokenizer", "dropout"}.isdisjoint(_recipe_key(GlueRecipe()))
    assert _recipe_key(GlueRecipe(tokenizer="words", dropout=0.1)) == {
        **_recipe_key(GlueRecipe()), "tokenizer": "words", "dropout": 0.1}
    assert not fine_tuned_from(tmp_path, "eelbert_uno")  # no seeds: nothing to show
    _seed_file(tmp_path, "rte", 0).write_text(json.dumps({**_seed_key("eelbert_uno", GlueRecipe()), "run": {}}))
    assert fine_tuned_from(tmp_path, "eelbert_uno")
    assert not fine_tuned_from(tmp_path, "eelbert_uno", GlueRecipe(tokenizer="words"))
    assert not fine_tuned_from(tmp_path, "eelbert_tiny")


@pytest.mark.slow
def test_glue_fine_tunes_an_architecture_on_words_with_a_given_dropout(tmp_path):
    from eelbert_tf.glue.finetune import GlueRecipe, finetune_task

    recipe = GlueRecipe(tokenizer="words", dropout=0.0, epochs_small=1, epochs_large=1, batch_size=8)
    run = finetune_task("eelbert_uno", "rte", FIXTURES, 0, recipe, tfds_dir=tmp_path, verbose=0)
    assert run["tokenizer"] == "words" and run["epochs"] == 1
    assert 0.0 <= run["metrics"]["validation"]["accuracy"] <= 100.0  # percent
    with pytest.raises(ValueError, match="needs a hash backbone"):
        finetune_task("bert_tiny", "rte", FIXTURES, 0, recipe, tfds_dir=tmp_path, verbose=0)


@pytest.mark.slow
def test_seeds_keep_dev_predictions_and_a_rerun_for_them_checks_its_metrics(tmp_path):
    from eelbert_tf.glue import metrics as glue_metrics
    from eelbert_tf.glue.finetune import GlueRecipe, dev_labels, run_glue

    recipe = GlueRecipe(epochs_small=2, batch_size=8, seeds=(0,))
    out, tfds = tmp_path / "out", tmp_path / "tfds"
    run_glue("eelbert_uno", ["stsb"], FIXTURES, out, recipe, tfds_dir=tfds, verbose=0, log=lambda *_: None)
    seed_file = out / "seeds" / "stsb-seed0.json"
    saved = json.loads(seed_file.read_text())
    stsb = json.loads((out / "results.json").read_text())["tasks"]["stsb"]
    assert set(stsb["metrics"]) == {"validation/pearson", "validation/spearman"}
    labels = dev_labels("stsb", FIXTURES, tfds)["validation"]
    kept = saved["run"]["predictions"]["validation"]
    assert len(kept) == len(labels) and len(set(kept)) > 1
    # The kept predictions are in the labels' order: they give the saved metrics back (scores of a barely trained
    # model differ in their 4th decimal: float32's digits are kept).
    again = glue_metrics.task_metrics("stsb", labels, np.asarray(kept))
    for name, value in saved["run"]["metrics"]["validation"].items():
        assert abs(again[name] - value) < 1e-3, (name, again[name], value)

    # A seed saved before predictions were kept: reused as it is, unless predictions are asked for; then it is
    # rerun and its record says whether the rerun gave the saved metrics (fine-tuning is deterministic here).
    del saved["run"]["predictions"]
    seed_file.write_text(json.dumps(saved))
    logs = []
    run_glue("eelbert_uno", ["stsb"], FIXTURES, out, recipe, tfds_dir=tfds, verbose=0, log=logs.append)
    assert "predictions" not in json.loads(seed_file.read_text())["run"] and "already finished" in logs[0]
    run_glue("eelbert_uno", ["stsb"], FIXTURES, out, recipe, tfds_dir=tfds, verbose=0, log=logs.append,
             predictions=True)
    rerun = json.loads(seed_file.read_text())["run"]
    assert "rerun for its dev predictions" in logs[-1]
    assert rerun["predictions"]["validation"] == kept
    assert rerun["rerun_of"]["same_metrics"] is True and rerun["rerun_of"]["metrics"] == rerun["metrics"]
