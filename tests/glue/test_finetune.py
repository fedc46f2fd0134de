import json
import subprocess
import sys

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "glue"


def test_glue_cli_finetunes_and_reports_absent_tasks(tmp_path):
    # QNLI has no train.tsv in the fixtures (as in ../shared/data): shown as absent.
    cmd = [sys.executable, "-m", "eelbert_tf", "glue", "--model", "eelbert_uno", "--tasks", "sst2,stsb,qnli",
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
    assert set(results["tasks"]["stsb"]["metrics"]) == {"validation/pearson", "validation/spearman"}
    assert results["glue5"] is None  # cola, mrpc and rte were not run: no partial mean
    row = (tmp_path / "out" / "row.md").read_text()
    assert row.startswith("| `eelbert_uno` |") and "absent" in row
