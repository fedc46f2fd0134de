"""The in-browser demo (web/): built with node, driven in headless Chromium (the system's browser through
playwright-core), its labels equal those `eelbert predict` prints for the same model in LiteRT.

Needs node, `npm ci` in web/ and Debian's chromium (`.ci/run` installs all three). Where one is missing the
test is skipped with the reason, unless EELBERT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

WEB = REPO / "web"
MODEL = REPO / "tflite" / "models" / "sst2_eelbert_uno" / "sst2_eelbert_uno.mediapipe.int8.tflite"
SENTENCES = [
    "A gorgeous, witty, seductive movie.",
    "The plot is a tired, predictable mess.",
    "It is not a bad film, just a forgettable one.",
]


def _missing():
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if shutil.which("node") is None:
        return "node is not installed"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return "web/node_modules is missing: run `npm ci` in web/"
    if not pathlib.Path(chromium).exists():
        return f"no Chromium at {chromium} (apt-get install chromium, or set CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser_results(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("EELBERT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"EELBERT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    subprocess.run(["node", "build.mjs"], cwd=WEB, check=True, capture_output=True, timeout=120)
    sentences = tmp_path_factory.mktemp("web") / "sentences.json"
    sentences.write_text(json.dumps(SENTENCES))
    run = subprocess.run(["node", "test/demo_test.mjs", "--sentences", str(sentences)], cwd=WEB,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_browser_labels_equal_eelbert_predict(browser_results):
    predicted = subprocess.run([sys.executable, "-m", "eelbert_tf", "predict", "--model", str(MODEL), *SENTENCES],
                               capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()
    assert [r["sentence"] for r in browser_results] == SENTENCES
    assert [r["label"] for r in browser_results] == [line.split("\t")[0] for line in predicted]
    # Both sides positive and negative: a page that always answered one class would fail here.
    assert {r["label"] for r in browser_results} == {"0", "1"}
    for result, line in zip(browser_results, predicted):
        scores = dict(field.split("=") for field in line.split("\t")[1].split())
        for name, score in result["scores"].items():
            assert abs(score - float(scores[name])) < 1e-3, (result, line)


def test_browser_build_serves_everything_locally():
    """The built page names no CDN: the WASM files and the model come from dist/."""
    text = (WEB / "src" / "demo.js").read_text() + (WEB / "src" / "index.html").read_text()
    assert "cdn." not in text and "https://" not in text
