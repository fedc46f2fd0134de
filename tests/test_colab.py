"""Each notebook's code cells run top to bottom (shell lines starting with ! are skipped)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "colab").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook, tmp_path):
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n\n".join(
        "".join(line for line in cell["source"] if not line.lstrip().startswith("!"))
        for cell in cells
        if cell["cell_type"] == "code"
    )
    script = tmp_path / "notebook.py"
    script.write_text(code)
    env = {**os.environ, "EELBERT_CACHE_DIR": str(tmp_path / "cache")}  # TFDS prepares GLUE here, not in ~
    result = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    if notebook.name.startswith("01_"):
        assert "identical: True" in result.stdout
    if notebook.name.startswith("02_"):
        assert "same predictions after reload: True" in result.stdout


def test_there_is_a_notebook():
    assert NOTEBOOKS
