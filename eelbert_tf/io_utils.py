"""Small file and provenance helpers shared by the pretraining and GLUE code and the benchmarks: one home each."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import platform
import shutil
import subprocess


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


def replace_folder(tmp, target) -> pathlib.Path:
    """Puts the finished folder `tmp` in place of `target`, whole: a former `target` is moved aside first and
    removed after, so a kill leaves the former folder or the new one under `target`, never half of each."""
    tmp, target = pathlib.Path(tmp), pathlib.Path(target)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def write_json_atomically(path, value) -> None:
    """Writes JSON to a temporary sibling, then renames it over `path` (a kill leaves the old file)."""
    path = pathlib.Path(path)
    write_atomically(lambda tmp: tmp.write_text(json.dumps(value, indent=2) + "\n"), path,
                     path.with_name(f".{path.name}.tmp-{os.getpid()}"))


def git_commit() -> str | None:
    """HEAD of the checkout the package runs from, "+dirty" when the code differs from it (the package or the
    benchmarks that drive it; edited docs or tables do not change what a run computes); None outside git."""
    try:
        root = pathlib.Path(__file__).resolve().parents[1]
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                "eelbert_tf", "bench"], capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else None
    except OSError:
        return None


def machine() -> str:
    """This machine in one line (CPU model, cores, memory, OS, Python, TensorFlow), for records and benchmarks."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    import tensorflow as tf

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()}, "
            f"Python {platform.python_version()}, TensorFlow {tf.__version__}")


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


