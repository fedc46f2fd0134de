"""The README's first command and its Python examples run as written."""

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def test_quick_start_command_classifies_offline():
    first = _blocks("bash")[0]
    command = first.split("&&")[-1].strip()
    assert command.startswith("eelbert predict")
    args = shlex.split(command)[1:]
    out = subprocess.run([sys.executable, "-m", "eelbert_tf", *args], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["1", "0"]
    # Its lines and nothing else: TensorFlow's and LiteRT's start-up notices (an `E0000 ... cuInit` error line
    # on a machine without a GPU among them) are kept off stderr.
    assert out.stderr == "", out.stderr


def test_tensorflow_notices_stay_off_stderr():
    """oneDNN's `E0000 ... supports DT_INT64 only on platforms with AVX-512`, written at a process's first int64 op
    on a CPU without AVX-512, is kept off stderr by the `eelbert` command like TensorFlow's start-up lines (an error
    line that is none, at the head of `eelbert finetune` and `eelbert distil`)."""
    code = ("from eelbert_tf import cli\ncli.quiet_int64_notice()\nimport tensorflow as tf\n"
            "print(tf.transpose(tf.zeros([2, 3], tf.int64)).shape)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "(3, 2)" and out.stderr == "", out.stderr[-2000:]


@pytest.mark.slow
def test_python_examples_run(tmp_path):
    blocks = _blocks("python")
    assert len(blocks) >= 2
    for i, code in enumerate(blocks[:2]):  # the Keras fine-tuning example and the "Use" example
        script = tmp_path / f"readme_{i}.py"
        script.write_text(code)
        # Run from an empty folder with no data directory: the examples need none.
        env = {k: v for k, v in __import__("os").environ.items() if k != "EELBERT_DATA_DIR"}
        out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                             timeout=300, env=env)
        assert out.returncode == 0, f"README python block {i}:\n{out.stderr[-3000:]}"
        if i == 0:
            assert out.stdout.strip().splitlines()[-1] == "[1 0 1 0]"


def test_the_python_runtime_example_runs_without_tensorflow():
    (code,) = [b for b in _blocks("python") if "eelbert_lite" in b]
    code += "\nimport sys\nassert 'tensorflow' not in sys.modules, 'eelbert_lite imported TensorFlow'\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr[-3000:]
    assert out.stdout.startswith("[[") and out.stdout.count(" ") >= 1
