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
