"""Shared by the benchmarks: machine description and writing one section of BENCHMARKS.md."""

from __future__ import annotations

import pathlib
import re

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\nEvery figure here was written by a script under `bench/`; each section names "
    "the command that reproduces it, the machine and the date.\n"
)


def machine() -> str:
    from eelbert_tf.io_utils import machine as describe

    return describe()


def commit() -> str:
    from eelbert_tf.io_utils import git_commit

    head = git_commit()
    if head is None:
        return "unknown"
    return head[:7] + (" + uncommitted changes to the code" if head.endswith("+dirty") else "")


def now() -> str:
    from eelbert_tf.io_utils import utc_now

    return utc_now()


def write_section(name: str, body: str, command: str, measured: dict | None = None) -> None:
    """Replaces (or appends) the section `name` of BENCHMARKS.md. Its header names this machine,
    now and HEAD, or, for a section rendered from saved measurements, `measured`'s
    "machine", "date" and "commit"."""
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    measured = measured or {"machine": machine(), "date": now(), "commit": commit()}
    section = (
        f"<!-- section:{name} -->\n## {name}\n\n"
        f"Command: `{command}`  \nMachine: {measured['machine']}  \n"
        f"Date: {measured['date']}, commit {measured['commit']}\n\n"
        f"{body.strip()}\n<!-- /section:{name} -->\n"
    )
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->\n",
                         re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    BENCHMARKS.write_text(text)


TRAIN_LOSS_NOTE = (
    "† Final train loss as Keras logged it for runs from before `MaskedLMLoss` took the mean per masked token: "
    "the mean over all 20 prediction slots of a sequence, padded ones counted as 0, about 5% below the "
    "per-token loss. Held-out figures are always per masked token."
)


def train_loss_cell(record: dict) -> str:
    """A record's final training loss, marked † when it is Keras's mean over all prediction slots."""
    per_token = record.get("train_loss_reduction") == "mean_with_sample_weight"
    return f"{record['final_train_loss']:.3f}" + ("" if per_token else "†")


def commit_cell(record: dict) -> str:
    """The commit(s) that trained a run: each session with the step it started from when it was resumed,
    else the short commit (with "+dirty" when the code differed from it)."""
    sessions = record.get("sessions")
    if sessions and len(sessions) > 1:
        return ", ".join(f"{s['commit'][:7]} (from step {s['start_step']:,})" for s in sessions)
    return record["commit"][:7] + ("+dirty" if record["commit"].endswith("+dirty") else "")
