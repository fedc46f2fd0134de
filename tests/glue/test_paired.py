"""The paired bootstrap over dev examples (eelbert_tf/glue/paired.py)."""

import numpy as np
import pytest

from eelbert_tf.glue.paired import paired_bootstrap, seed_predictions

TASKS = ("sst2", "stsb")


def _data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    labels = {"sst2": rng.integers(0, 2, n), "stsb": rng.uniform(0, 5, n)}
    right = {"sst2": [labels["sst2"].copy() for _ in range(3)],
             "stsb": [labels["stsb"] + rng.normal(0, 0.5, n) for _ in range(3)]}
    chance = {"sst2": [rng.integers(0, 2, n) for _ in range(3)], "stsb": [rng.uniform(0, 5, n) for _ in range(3)]}
    return labels, right, chance


def test_a_row_against_itself_differs_by_nothing():
    labels, right, _ = _data()
    r = paired_bootstrap(labels, right, right, tasks=TASKS, resamples=50)
    assert r["glue5"] == {"difference": 0.0, "low": 0.0, "high": 0.0}
    assert all(v["difference"] == v["low"] == v["high"] == 0.0 for v in r["tasks"].values())


def test_a_clearly_better_row_is_ahead_beyond_the_interval_and_the_draw_is_seeded():
    labels, right, chance = _data()
    r = paired_bootstrap(labels, right, chance, tasks=TASKS, resamples=100, seed=3)
    assert r["tasks"]["sst2"]["difference"] == pytest.approx(50.0, abs=8)  # 100% against about 50%
    assert 0 < r["glue5"]["low"] < r["glue5"]["difference"] < r["glue5"]["high"]
    assert r["samples"].shape == (100,)
    reversed_ = paired_bootstrap(labels, chance, right, tasks=TASKS, resamples=100, seed=3)
    assert reversed_["glue5"]["difference"] == pytest.approx(-r["glue5"]["difference"])
    assert reversed_["glue5"]["high"] == pytest.approx(-r["glue5"]["low"])
    again = paired_bootstrap(labels, right, chance, tasks=TASKS, resamples=100, seed=3)
    assert again["glue5"] == r["glue5"]


def test_predictions_that_do_not_match_the_labels_are_refused():
    labels, right, chance = _data()
    short = {**chance, "stsb": [p[:-1] for p in chance["stsb"]]}
    with pytest.raises(ValueError, match="stsb needs one prediction per dev example \\(200\\)"):
        paired_bootstrap(labels, right, short, tasks=TASKS, resamples=5)
    with pytest.raises(ValueError, match="seeds \\[1\\] have no validation predictions"):
        seed_predictions([{"seed": 0, "predictions": {"validation": [1]}}, {"seed": 1}], "validation")
