import shutil

import pytest

from eelbert_tf.glue.glue_builder import load_glue
from eelbert_tf.glue.tasks import TASKS, GlueDataError, get_task, read_examples, task_file
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "glue"
REAL_COUNTS = {("cola", "train"): 8551, ("cola", "validation"): 1043, ("sst2", "validation"): 872,
               ("mrpc", "train"): 3668, ("mrpc", "validation"): 408, ("stsb", "validation"): 1500,
               ("rte", "train"): 2490, ("rte", "validation"): 277, ("wnli", "validation"): 71,
               ("qnli", "validation"): 5463}


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_reads_its_fixture(name):
    task = TASKS[name]
    for split in task.splits:
        path = task_file(FIXTURES, task, split)
        if not path.exists():
            continue
        examples = list(read_examples(path, task))
        assert len(examples) == (20 if (name, split) == ("sst2", "train") else 10)
        assert all(len(e["texts"]) == len(task.text_columns) and all(e["texts"]) for e in examples)
        if task.is_regression:
            assert all(isinstance(e["label"], float) for e in examples)
        else:
            assert {e["label"] for e in examples} <= set(range(task.num_classes))


def test_quirks_bom_quotes_and_no_header():
    mrpc = list(read_examples(task_file(FIXTURES, TASKS["mrpc"], "train"), TASKS["mrpc"]))
    assert mrpc[0]["texts"][0].startswith('" ')  # an unbalanced quote is kept, not parsed
    cola = list(read_examples(task_file(FIXTURES, TASKS["cola"], "validation"), TASKS["cola"]))
    assert cola[0] == {"idx": 0, "texts": ("a good movie .",), "label": 1}  # last line has no newline


@pytest.mark.parametrize("task_name, split", sorted(REAL_COUNTS))
def test_real_glue_counts(task_name, split):
    from eelbert_tf.data_paths import data_dir

    glue_dir = data_dir() / "glue"
    task = get_task(task_name)
    assert sum(1 for _ in read_examples(task_file(glue_dir, task, split), task)) == REAL_COUNTS[(task_name, split)]


def test_malformed_rows_name_file_and_line(tmp_path):
    task = TASKS["rte"]
    folder = tmp_path / "RTE"
    folder.mkdir()
    (folder / "dev.tsv").write_text("index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\n")
    with pytest.raises(GlueDataError, match=r"dev.tsv: line 3 has 3 tab-separated fields, expected 4"):
        list(read_examples(folder / "dev.tsv", task))
    (folder / "dev.tsv").write_text("index\tsentence1\tsentence2\tlabel\n0\ta\tb\tmaybe\n")
    with pytest.raises(GlueDataError, match=r"line 2: label 'maybe' is not one of"):
        list(read_examples(folder / "dev.tsv", task))
    (folder / "dev.tsv").write_text("idx\ts1\ts2\tlabel\n")
    with pytest.raises(GlueDataError, match="lacks the columns"):
        list(read_examples(folder / "dev.tsv", task))
    with pytest.raises(GlueDataError, match="does not exist"):
        list(read_examples(folder / "train.tsv", task))


def test_tfds_builder_prepares_and_caches(tmp_path):
    data = load_glue("mnli", FIXTURES, tfds_dir=tmp_path / "tfds")
    assert set(data) == {"train", "validation_matched", "validation_mismatched"}
    example = next(iter(data["validation_matched"]))
    assert set(example) == {"idx", "sentence1", "sentence2", "label"}
    assert int(data["train"].cardinality()) == 10
    stsb = next(iter(load_glue("stsb", FIXTURES, tfds_dir=tmp_path / "tfds")["train"]))
    assert stsb["label"].dtype.name == "float32"
    # Only the dev split of QNLI exists: the builder offers what is there.
    assert set(load_glue("qnli", FIXTURES, tfds_dir=tmp_path / "tfds")) == {"validation"}


def test_absent_task_is_reported(tmp_path):
    shutil.copytree(FIXTURES / "RTE", tmp_path / "RTE")
    with pytest.raises(GlueDataError, match="QQP is absent"):
        load_glue("qqp", tmp_path, tfds_dir=tmp_path / "tfds")


def test_preparing_a_task_waits_for_another_process(tmp_path):
    """Two `eelbert glue` runs side by side once failed: both prepared CoLA and the second TFDS rename found
    the first's folder ("Destination ... already exists"). Preparation now holds a per-task file lock: while
    another process holds it, a run waits and prepares nothing; once it is released, the run goes on."""
    import fcntl
    import subprocess
    import sys
    import time

    tfds_dir = tmp_path / "tfds"
    tfds_dir.mkdir()
    code = (f"from eelbert_tf.glue.glue_builder import load_glue; "
            f"d = load_glue('cola', {str(FIXTURES)!r}, tfds_dir={str(tfds_dir)!r}); "
            "print(sum(1 for _ in d['train']))")
    with open(tfds_dir / ".eelbert_glue_cola.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(15)  # long enough for the import and to reach the lock; not a timing assertion
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert not list(tfds_dir.glob("eelbert_glue/cola/*")), "prepared while another process held the lock"
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert int(out.strip().splitlines()[-1]) > 0
