"""Small file helpers shared by the pretraining and GLUE code: one home each."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib


def file_sha256(path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def write_atomically(write, path, tmp) -> pathlib.Path:
    """`write(tmp)`, then rename `tmp` over `path`: a failed or killed write leaves `path` as it was."""
    path, tmp = pathlib.Path(path), pathlib.Path(tmp)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_json_atomically(path, value) -> None:
    """Writes JSON to a temporary sibling, then renames it over `path` (a kill leaves the old file)."""
    path = pathlib.Path(path)
    write_atomically(lambda tmp: tmp.write_text(json.dumps(value, indent=2) + "\n"), path,
                     path.with_name(f".{path.name}.tmp-{os.getpid()}"))
