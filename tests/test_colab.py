"""The notebooks in colab/ execute top to bottom in a real Jupyter kernel (nbclient + ipykernel), in their
small-settings mode (EELBERT_NOTEBOOK_SMALL=1, documented in colab/README.md), and are stored with outputs
stripped. Each prints a few lines that show it did its job; they are checked here."""

import os
import re

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "colab").glob("*.ipynb"))
EXPECTED = {
    "01_quickstart": [r"^1\t.*gorgeous", r"^0\t.*tired", r"mediapipe +\d[\d,]+ bytes", r"bytes int8 +\[",
                      r"input .*int32", r"BERT-tiny int8 / EELBERT-UNO int8 \(MediaPipe format\): \d"],
    "02_finetune_your_data": [r"same scores after reload: True", r"MediaPipe TextClassifier agrees with Keras: True",
                              r"^\| eelbert_uno_en int8 `bytes` \| [\d,]+ \| \d", r"^\| TF-IDF \+ logistic regression"],
    "03_how_dynamic_embeddings_work": [r"identical: True", r"trainable weights: 0", r"identical vectors"],
    "04_pretrain_your_own": [r"held-out MLM loss \d", r"fine-tuned on the pretrained run"],
    "05_microcontroller": [r"arena \d[\d,]+ bytes", r"C input builder equals Python: True",
                           r"TFLite Micro equals TFLite's reference kernels: True"],
}


def test_every_notebook_is_checked():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_small_mode(notebook, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    assert all(not cell.get("outputs") and not cell.get("execution_count")
               for cell in nb.cells if cell.cell_type == "code"), f"{notebook.name} is stored with outputs"
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "pip" in first.source and "EELBERT_NOTEBOOK_SMALL" in first.source, "the first cell installs"
    monkeypatch.setenv("EELBERT_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("EELBERT_NOTEBOOK_WORK", str(tmp_path / "work"))
    monkeypatch.setenv("EELBERT_CACHE_DIR", str(tmp_path / "cache"))  # TFDS prepares GLUE here, not in ~
    monkeypatch.setenv("EELBERT_DATA_DIR", os.environ.get("EELBERT_DATA_DIR", str(REPO.parent / "shared" / "data")))
    if notebook.stem == "02_finetune_your_data":  # `eelbert distil`'s teacher: a tiny keras-hub BERT, not MiniLM
        from tests.classification.test_distil import tiny_bert

        backbone, tokenizer = tiny_bert()
        backbone.save_to_preset(str(tmp_path / "tiny_bert"))
        tokenizer.save_to_preset(str(tmp_path / "tiny_bert"))
        monkeypatch.setenv("EELBERT_NOTEBOOK_TEACHER", str(tmp_path / "tiny_bert"))
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "colab")}}).execute()
    text = "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in cell.outputs if output.output_type == "stream" and output.name == "stdout")
    for pattern in EXPECTED[notebook.stem]:
        assert re.search(pattern, text, re.MULTILINE), f"{notebook.name}: no line matches {pattern!r}:\n{text[-3000:]}"
    images = sum(1 for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
                 if "image/png" in output.get("data", {}))
    if notebook.stem != "04_pretrain_your_own" or images:
        assert images >= 1, f"{notebook.name} drew no plot"
