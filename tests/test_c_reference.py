"""The C reference (tflite/c) reproduces the golden vectors bit for bit."""

import subprocess

import numpy as np
import pytest

from tests.conftest import compile_c, golden_cases


@pytest.fixture(scope="module")
def golden_check_binary(tmp_path_factory):
    return compile_c(tmp_path_factory, "golden_check", "golden_check.c", "eelbert_hash.c")


def test_c_reference_equals_golden(golden, golden_check_binary):
    cases = list(golden_cases(golden))
    lines = []
    for cfg, token, _ in cases:
        hash_type = 0 if cfg["hash_type"] == "ngram_pooling" else 1
        orders = ",".join(str(n) for n in cfg["ngram_orders"])
        lines.append(f"{token.hex() or '-'} {cfg['dim']} {hash_type} {cfg['seed']} {orders}")
    result = subprocess.run(
        [str(golden_check_binary)], input="\n".join(lines) + "\n", capture_output=True, text=True,
        check=True,
    )
    outputs = result.stdout.strip().split("\n")
    assert len(outputs) == len(cases)
    for (cfg, token, row), line in zip(cases, outputs):
        count, *bits = line.split()
        got = np.array([int(b, 16) for b in bits], np.uint32).view(np.float32)
        assert int(count) == row["count"], (cfg["name"], token)
        np.testing.assert_array_equal(got, np.array(row["vector"], np.float32), err_msg=repr(token))
