import json
import os
import pathlib
import random

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
GOLDEN_PATH = REPO / "tflite" / "golden" / "hash_golden.json"
SMALL_VOCAB = REPO / "tests" / "fixtures" / "vocab_small.txt"


@pytest.fixture(scope="session")
def golden():
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))


def golden_cases(golden):
    """(config, token bytes, expected float32 vector) for every golden row."""
    for cfg in golden["configs"]:
        for row in cfg["tokens"]:
            yield cfg, bytes.fromhex(row["utf8_hex"]), row


def compile_c(tmp_path_factory, name: str, *sources: str) -> pathlib.Path:
    """A C99 program from tflite/c/ sources, compiled warning-free (skips the test where no compiler is)."""
    import shutil
    import subprocess

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler on this machine")
    binary = tmp_path_factory.mktemp("c") / name
    subprocess.run([cc, "-O2", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-o", str(binary),
                    *(str(REPO / "tflite" / "c" / s) for s in sources)], check=True)
    return binary


@pytest.fixture(scope="session")
def small_vocab_path():
    return SMALL_VOCAB


@pytest.fixture(scope="session")
def real_vocab_path():
    from eelbert_tf.data_paths import default_vocabulary_path

    path = default_vocabulary_path()
    assert path.is_file(), f"the BERT vocabulary is expected at {path} (set EELBERT_DATA_DIR)"
    return path


def random_tokens(n, seed=0):
    """Tokens the golden file never saw: random code points from many scripts, ## pieces, brackets."""
    rng = random.Random(seed)
    ranges = [(0x61, 0x7A), (0x30, 0x39), (0x21, 0x2F), (0xC0, 0x17F), (0x391, 0x3C9),
              (0x410, 0x44F), (0x5D0, 0x5EA), (0x627, 0x64A), (0x4E00, 0x4FFF), (0xAC00, 0xAD00),
              (0x1F300, 0x1F64F), (0x300, 0x36F), (0x1, 0x1F)]
    out = []
    for _ in range(n):
        length = rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 8, 12, 20, 40])
        s = "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(length))
        kind = rng.random()
        if kind < 0.2:
            s = "##" + s
        elif kind < 0.25:
            s = "[" + s + "]"
        out.append(s)
    return out
