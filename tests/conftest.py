import json
import os
import pathlib
import random

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
GOLDEN_PATH = REPO / "tflite" / "golden" / "hash_golden.json"
SMALL_VOCAB = REPO / "tests" / "fixtures" / "vocab_small.txt"


# Under `pytest -n 2` (the README's command) each group runs on one worker: the export tests share session
# fixtures (classifiers fine-tuned on the reviews) that a second worker would fine-tune again, and the multi-worker
# pretraining tests and the CLI deployment tests each share a module fixture (a two-process run, a fine-tuned
# classifier). Written here because xdist's own `--dist loadgroup` does not group under pytest 9.2
# (pytest-dev/pytest-xdist#1386).
XDIST_GROUPS = {"tests/export/": "export", "tests/pretraining/test_distribute.py": "distribute",
                "tests/test_cli_deploy.py": "cli_deploy"}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist (the dev extra), absent without it
def pytest_xdist_make_scheduler(config, log):
    """Under `-n` with xdist's default distribution: its scope scheduler, a group per XDIST_GROUPS entry and
    every other test its own scope (the largest groups start first, then the tests in collection order)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return next((g for prefix, g in XDIST_GROUPS.items() if nodeid.startswith(prefix)), nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """The modules that hold a `slow` test first, each kept whole (its module fixtures are set up once), so that
    the quick tests fill the end of a parallel run instead of one long test that leaves the other worker idle."""
    slow = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow)  # stable: each part keeps its order


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
