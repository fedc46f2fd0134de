"""Checkpoints you can trust: written atomically, verified when read.

A checkpoint is a folder `ckpt-<step>` holding `model.weights.h5`,
`optimizer.npz` (every optimizer variable, by name) and `state.json` (step,
sequences consumed, wall time so far, the run's config fingerprint, and the
sha256 of both files). It is written under a temporary name and renamed into
place; then the `latest` pointer file is replaced atomically. A kill at any
moment leaves the previous checkpoint and pointer intact. Reading checks the
checksums and the fingerprint, and refuses a corrupt or mismatched checkpoint
with `CheckpointError` naming the file.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import numpy as np

from eelbert_tf.io_utils import file_sha256

LATEST = "latest"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message names it and says why."""


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(directory, model, optimizer, state: dict, keep: int = 2) -> pathlib.Path:
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"ckpt-{state['step']:08d}"
    final = directory / name
    tmp = directory / f".{name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    model.save_weights(tmp / "model.weights.h5")
    np.savez(tmp / "optimizer.npz", **{_var_key(i, v): np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)})
    state = dict(state)
    state["files"] = {f: file_sha256(tmp / f) for f in ("model.weights.h5", "optimizer.npz")}
    (tmp / "state.json").write_text(json.dumps(state, indent=2))
    for f in tmp.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    pointer_tmp = directory / f".{LATEST}.tmp-{os.getpid()}"
    pointer_tmp.write_text(name + "\n")
    os.replace(pointer_tmp, directory / LATEST)
    _fsync_dir(directory)
    for old in sorted(directory.glob("ckpt-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _var_key(index, variable):
    return f"{index:04d}:{variable.path}"


def latest_checkpoint(directory) -> pathlib.Path | None:
    directory = pathlib.Path(directory)
    pointer = directory / LATEST
    if not pointer.exists():
        return None
    path = directory / pointer.read_text().strip()
    if not path.is_dir():
        raise CheckpointError(f"{pointer} names {path.name}, which does not exist.")
    return path


def read_state(path, fingerprint: str) -> dict:
    """The verified state of a checkpoint; CheckpointError if corrupt or from another run."""
    path = pathlib.Path(path)
    state_file = path / "state.json"
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError) as e:
        raise CheckpointError(f"Checkpoint {path}: state.json is unreadable ({e}).") from None
    for f, digest in state.get("files", {}).items():
        if not (path / f).is_file():
            raise CheckpointError(f"Checkpoint {path}: {f} is missing.")
        if file_sha256(path / f) != digest:
            raise CheckpointError(f"Checkpoint {path}: {f} is corrupt (sha256 differs from state.json).")
    if state.get("fingerprint") != fingerprint:
        raise CheckpointError(
            f"Checkpoint {path} belongs to a run with another config (fingerprint "
            f"{state.get('fingerprint')} != {fingerprint}); resume with the same settings or a new --out."
        )
    return state


def restore(path, model, optimizer):
    """Loads verified weights and optimizer variables (call `read_state` first)."""
    path = pathlib.Path(path)
    try:
        model.load_weights(path / "model.weights.h5")
    except Exception as e:  # Keras raises several types for a mismatched file
        raise CheckpointError(f"Checkpoint {path}: model.weights.h5 does not fit this model ({e}).") from None
    optimizer.build(model.trainable_variables)
    saved = np.load(path / "optimizer.npz")
    keys = sorted(saved.files)
    if len(keys) != len(optimizer.variables):
        raise CheckpointError(
            f"Checkpoint {path}: optimizer.npz has {len(keys)} variables, the optimizer {len(optimizer.variables)}."
        )
    def unprefixed(variable_path):  # the optimizer's own name gets a suffix per instance in one process
        return variable_path.split("/", 1)[-1]

    for key, variable in zip(keys, optimizer.variables):
        value = saved[key]
        if (unprefixed(key.split(":", 1)[1]) != unprefixed(variable.path)
                or tuple(value.shape) != tuple(variable.shape)):
            raise CheckpointError(f"Checkpoint {path}: optimizer variable {key} does not fit {variable.path}.")
        variable.assign(value)
