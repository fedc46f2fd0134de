"""The GLUE table's readings pair the right rows (bench/glue_table.py): each pretrained row against its own
architecture and tokenizer without pretraining, and each words row against its WordPiece row."""

from __future__ import annotations

import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import glue_table  # noqa: E402


def _result(score):
    tasks = {t: {"score": {"mean": score, "std": 0.1}} for t in glue_table.TASKS}
    return {"tasks": tasks, "glue5": score}


def test_words_rows_are_read_against_their_own_pairs():
    scores = {"eelbert_uno_en": 40.0, "eelbert_uno_words_en": 39.5, "eelbert_tiny_en": 42.0,
              "eelbert_tiny_words_en": 40.0, "eelbert_uno_random_init": 38.0, "eelbert_uno_words_random_init": 39.9}
    table = [(row, None, _result(scores[row.name])) for row in glue_table.ROWS if row.name in scores]
    lines = glue_table._against_no_pretraining(table)
    assert any("`eelbert_uno_words_en` minus `eelbert_uno_words_random_init`: COLA -0.4" in line for line in lines)
    assert any("`eelbert_uno_en` minus `eelbert_uno_random_init`: COLA +2.0" in line for line in lines)
    assert not any("eelbert_tiny" in line for line in lines)  # no no-pretraining row of its own: not read

    words = "\n".join(glue_table._words(table))
    assert "`eelbert_uno_words_en` against `eelbert_uno_en`: GLUE-5 39.5 against 40.0 (-0.5" in words
    assert "within 1 point, the goal" in words  # the goal is UNO's
    assert "`eelbert_tiny_words_en` against `eelbert_tiny_en`: GLUE-5 40.0 against 42.0 (-2.0" in words


def test_every_row_names_an_architecture_and_a_known_tokenizer():
    from eelbert_tf.models.presets import BACKBONE_PRESETS

    names = [row.name for row in glue_table.ROWS]
    assert len(names) == len(set(names))
    for row in glue_table.ROWS:
        assert row.arch in BACKBONE_PRESETS and row.tokenizer in (None, "wordpiece", "words")
        if row.name.endswith("_random_init"):  # a fresh architecture, with the tokenizer its name says
            assert row.model == row.arch and (row.tokenizer == "words") == ("_words_" in row.name)


def test_the_header_names_where_the_seeds_ran_not_where_the_table_was_rendered(tmp_path):
    import json

    rows = {row.name: row for row in glue_table.ROWS}
    seeds = {"eelbert_uno_en": [{"machine": "CPU A", "finished": "2026-12-01 08:00 UTC", "commit": "a" * 40},
                                {"machine": "CPU A", "finished": "2026-12-02 09:00 UTC", "commit": "b" * 40 + "+dirty"}],
             "bert_tiny_en": [{"task": "rte"}],  # an old seed record: no machine
             "eelbert_tiny_en": [{"machine": "CPU B", "finished": "2026-11-30 10:00 UTC", "commit": None}]}
    for name, runs in seeds.items():
        (tmp_path / name / "seeds").mkdir(parents=True)
        for i, run in enumerate(runs):
            (tmp_path / name / "seeds" / f"rte-seed{i}.json").write_text(json.dumps({"run": run}))
    table = [(rows[name], None, _result(40.0)) for name in seeds] + [(rows["eelbert_uno_random_init"], None, None)]
    header = glue_table._provenance(table, tmp_path)
    assert header["machine"].startswith("CPU A (2 seeds); CPU B (1 seeds); not recorded for 1 seeds")
    assert "seeds recorded 2026-11-30 10:00 UTC to 2026-12-02 09:00 UTC" in header["date"]
    assert header["commit"].endswith("fine-tuned at aaaaaaa, bbbbbbb+dirty, unknown")


def test_hash_ablation_reads_the_gap_and_the_loss_order_from_the_rows_and_records(tmp_path):
    import json

    def shipped(losses):
        out = {}
        for name, loss in losses.items():
            (tmp_path / name).mkdir(exist_ok=True)
            (tmp_path / name / "record.json").write_text(json.dumps(
                {"config": {"tokens": 122880000, "data_order": "shuffled"}, "heldout_mlm_loss": loss}))
            out[name] = tmp_path / name
        return out

    results = {"eelbert_tiny_en": _result(46.25), "random_hash_tiny_en": _result(44.64)}
    text = " ".join(glue_table._hash_ablation(results, shipped({"eelbert_tiny_en": 6.009,
                                                                "random_hash_tiny_en": 5.852})))
    assert "GLUE-5: n-gram pooling 46.25, random hash 44.64 (+1.61)" in text
    assert "ahead on GLUE-5 by 1.61, the paper's direction" in text and "orders them the other way" in text

    results["random_hash_tiny_en"] = _result(47.0)
    text = " ".join(glue_table._hash_ablation(results, shipped({"eelbert_tiny_en": 5.8, "random_hash_tiny_en": 5.9})))
    assert "behind on GLUE-5 by 0.75, unlike the paper" in text
    assert "orders them the other way (n-gram pooling lower)" in text  # the lower loss went with the lower score

    text = " ".join(glue_table._hash_ablation(results, shipped({"eelbert_tiny_en": 6.0, "random_hash_tiny_en": 5.9})))
    assert "orders them alike (the random hash lower)" in text

    del results["random_hash_tiny_en"]
    text = " ".join(glue_table._hash_ablation(results, shipped({"eelbert_tiny_en": 5.8, "random_hash_tiny_en": 5.9})))
    assert "the GLUE row of `random_hash_tiny_en` is not run" in text


def test_the_words_goal_is_read_against_the_paired_interval():
    scores = {"eelbert_uno_en": 40.0, "eelbert_uno_words_en": 38.5}
    table = [(row, None, _result(scores[row.name])) for row in glue_table.ROWS if row.name in scores]

    def paired(low, high):
        interval = {"difference": -1.5, "low": low, "high": high}
        return {("eelbert_uno_words_en", "eelbert_uno_en"): {
            "tasks": {t: interval for t in glue_table.TASKS[:5]}, "glue5": interval, "resamples": 1000,
            "level": 0.95, "at_least": {"-1.0": 0.3, "0.0": 0.1}}}

    wide = "\n".join(glue_table._words(table, paired(-3.0, 0.4)))
    assert "the goal is not met" in wide and "GLUE-5 -1.5 [-3.0, +0.4]" in wide
    assert "cannot tell whether the words model is within 1 point or level" in wide and "(30% of resamples" in wide
    assert "beyond the dev sets' resolution" in "\n".join(glue_table._words(table, paired(-2.5, -1.2)))
    assert "holds -1 but not 0" in "\n".join(glue_table._words(table, paired(-2.5, -0.2)))
    lines = glue_table._paired_lines(paired(-3.0, 0.4))
    assert lines[0].startswith("**Example by example.**") and "1,000 times" in lines[0]
    assert "| `eelbert_uno_words_en` | `eelbert_uno_en` | -1.5 [-3.0, +0.4] |" in lines[-1]
    assert lines[-1].endswith("| 30% | 10% |")
    assert "not computed yet" in glue_table._paired_lines({})[0]


def test_paired_comparisons_are_cached_by_the_predictions_they_read(tmp_path, monkeypatch):
    import json

    import numpy as np

    from eelbert_tf.glue import finetune

    rng = np.random.default_rng(0)
    labels = {t: (rng.uniform(0, 5, 40) if t == "stsb" else rng.integers(0, 2, 40)) for t in glue_table.TASKS}
    first, second = glue_table.PAIRS[0]
    for name, noise in ((first, 0.2), (second, 0.4)):
        (tmp_path / name / "seeds").mkdir(parents=True)
        for t in glue_table.TASKS:
            for seed in range(3):
                y = labels[t]
                p = (y + rng.normal(0, noise, 40)).round(3).tolist() if t == "stsb" else \
                    np.where(rng.random(40) < noise, 1 - y, y).tolist()
                run = {"task": t, "seed": seed, "predictions": {"validation": p}}
                (tmp_path / name / "seeds" / f"{t}-seed{seed}.json").write_text(json.dumps({"run": run}))
    rows = {row.name: row for row in glue_table.ROWS}
    table = [(rows[first], None, _result(40.0)), (rows[second], None, _result(41.0))]
    calls = []

    def dev_labels(task, glue_dir, tfds_dir=None):
        calls.append(task)
        return {"validation": labels[task]}

    monkeypatch.setattr(finetune, "dev_labels", dev_labels)
    monkeypatch.setenv("EELBERT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(glue_table, "RESAMPLES", 50)
    computed = glue_table._paired(table, tmp_path)[(first, second)]
    assert len(calls) == 5 and computed["glue5"]["difference"] > 0  # less noise: ahead
    assert computed["resamples"] == 50 and set(computed["at_least"]) == {"-1.0", "0.0"}

    # Rendering again reads the cache (no GLUE data needed) until a prediction changes.
    assert glue_table._paired(table, tmp_path)[(first, second)] == computed and len(calls) == 5
    seed_file = tmp_path / first / "seeds" / "rte-seed0.json"
    record = json.loads(seed_file.read_text())
    record["run"]["predictions"]["validation"][0] ^= 1
    seed_file.write_text(json.dumps(record))
    glue_table._paired(table, tmp_path)
    assert len(calls) == 10
    # A row whose seeds did not keep predictions is not compared.
    del record["run"]["predictions"]
    seed_file.write_text(json.dumps(record))
    assert glue_table._paired(table, tmp_path) == {}


def test_reruns_for_predictions_are_counted_and_a_difference_is_named(tmp_path):
    import json

    rows = {row.name: row for row in glue_table.ROWS}
    (tmp_path / "eelbert_uno_en" / "seeds").mkdir(parents=True)
    for i, same in enumerate((True, True, False)):
        first = {"validation": {"accuracy": 50.0 if same else 50.000000000001}}
        run = {"task": "rte", "seed": i, "metrics": {"validation": {"accuracy": 50.0}},
               "rerun_of": {"same_metrics": same, "metrics": first}}
        (tmp_path / "eelbert_uno_en" / "seeds" / f"rte-seed{i}.json").write_text(json.dumps({"run": run}))
    table = [(rows["eelbert_uno_en"], None, _result(40.0)), (rows["bert_tiny_en"], None, None)]
    text = glue_table._reruns(table, tmp_path)
    assert "The 3 seeds of `eelbert_uno_en` were fine-tuned again" in text
    assert "2 gave every metric of their first run to the last digit; 1 differ, by at most 1.0e-12 points" in text
    assert glue_table._reruns([(rows["bert_tiny_en"], None, None)], tmp_path) == ""
