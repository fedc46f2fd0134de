"""The specification's NumPy reference, pinned by the golden vectors."""

import numpy as np
import pytest

from eelbert_lite import hashing as spec
from tests.conftest import golden_cases


def test_golden_file_matches_this_spec(golden):
    assert golden["spec_version"] == spec.SPEC_VERSION
    assert golden["spec_fingerprint"] == spec.spec_fingerprint()
    texts = [row.get("text") for row in golden["configs"][0]["tokens"]]
    assert len(texts) >= 50
    for needed in ["", "[PAD]", "[CLS]", "##ing", "café", "你", "🙂", "q" * 100, "a", "42", ","]:
        assert needed in texts


def test_numpy_reference_equals_golden_bit_for_bit(golden):
    for cfg, token, row in golden_cases(golden):
        got = spec.embed_tokens([token], cfg["dim"], cfg["hash_type"], cfg["ngram_orders"], cfg["seed"])
        expected = np.array(row["vector"], np.float32)
        np.testing.assert_array_equal(got[0], expected, err_msg=f"{cfg['name']}: {token!r}")


def test_golden_intermediates(golden):
    cfg = golden["configs"][0]
    a, c, b = spec.dimension_coefficients(cfg["dim"], cfg["seed"])
    assert a.tolist() == cfg["coefficients"]["a"] and b.tolist() == cfg["coefficients"]["b"]
    for row in cfg["tokens"]:
        token = bytes.fromhex(row["utf8_hex"])
        seqs = spec.hashed_sequences(token, cfg["hash_type"], cfg["ngram_orders"])
        assert seqs == row["sequences"]
        assert [list(spec.hash_pair(s)) for s in seqs] == row["hashes"]


def test_hello_trigrams_written_out():
    # BOW h e l l o EOW: 5 trigrams, each prefixed by the order mark 263.
    assert spec.hashed_sequences("hello") == [
        [263, 256, 104, 101], [263, 104, 101, 108], [263, 101, 108, 108],
        [263, 108, 108, 111], [263, 108, 111, 258],
    ]
    # A continuation piece starts with the CONT mark instead of "##".
    assert spec.hashed_sequences("##ing")[0] == [263, 257, 105, 110]
    # A one-byte token is one trigram; special tokens are hashed whole.
    assert spec.hashed_sequences("a") == [[263, 256, 97, 258]]
    assert spec.hashed_sequences("[CLS]") == [[259, *b"[CLS]"]]
    assert spec.hashed_sequences("[PAD]") == [] and spec.hashed_sequences("") == []
    # Longer n than the symbol sequence: one window, the whole sequence.
    assert spec.hashed_sequences("a", ngram_orders=(5,)) == [[265, 256, 97, 258]]


def test_coefficients_are_a_prefix_across_widths_and_depend_on_seed():
    a16, c16, b16 = spec.dimension_coefficients(16, 3)
    a4, c4, b4 = spec.dimension_coefficients(4, 3)
    assert (a16[:4] == a4).all() and (c16[:4] == c4).all() and (b16[:4] == b4).all()
    assert not (spec.dimension_coefficients(16, 4)[0] == a16).all()
    assert a16.min() >= 1 and a16.max() <= spec.COEF_MAX and b16.max() < spec.M


def test_values_in_range_and_padding_zero():
    out = spec.embed_tokens(["", "[PAD]", "x", "[MASK]", "##x"], dim=64)
    assert (out[:2] == 0).all()
    assert np.abs(out).max() <= 1.0 and (np.abs(out[2:]).sum(axis=1) > 0).all()
    # A whole-token hash of a special token is one vector on the grid v / 65520.
    assert np.allclose(out[3] * spec.HALF, np.round(out[3] * spec.HALF), atol=1e-3)


def test_distinct_tokens_get_distinct_vectors_and_ngrams_are_shared():
    e = spec.embed_tokens(["running", "runner", "banana", "##ing", "ing"], dim=128)
    cos = lambda x, y: float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))  # noqa: E731
    assert cos(e[0], e[1]) > cos(e[0], e[2]) + 0.2  # shared n-grams pull "running" and "runner" together
    assert not np.allclose(e[3], e[4])  # "##ing" and "ing" differ by their start mark
    w = spec.embed_tokens(["running", "runner"], dim=128, hash_type="whole_token")
    assert abs(cos(w[0], w[1])) < 0.3  # the random hash shares nothing


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dim=0), "dim"),
        (dict(dim=8, hash_type="fnv"), "hash_type"),
        (dict(dim=8, ngram_orders=()), "ngram_orders"),
        (dict(dim=8, ngram_orders=(0,)), "ngram_orders"),
        (dict(dim=8, ngram_orders=(3, 3)), "ngram_orders"),
        (dict(dim=8, seed=-1), "seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spec.embed_tokens(["x"], **kwargs)
