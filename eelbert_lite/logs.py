"""Keeping the runtimes' start-up lines off stderr: what TensorFlow and LiteRT write from C++ before (or
without) reading TF_CPP_MIN_LOG_LEVEL."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager

# Start-up lines TensorFlow and LiteRT write from C++ straight to file descriptor 2, before (or without) reading
# TF_CPP_MIN_LOG_LEVEL: absl's notice, oneDNN's, the CUDA stub's, `E0000 ... failed call to cuInit` on a machine
# without a GPU, CPU instruction notes, oneDNN's `E0000 ... supports DT_INT64 only on platforms with AVX-512` (once
# a process, at its first int64 op: the `eelbert` command provokes it, `cli.quiet_int64_notice`), and LiteRT's XNNPACK
# delegate notice.
RUNTIME_NOISE = re.compile(r"absl::InitializeLog|oneDNN custom operations are on|Could not find cuda drivers|"
                           r"oneDNN supports DT_INT64 only on platforms with AVX-512|"
                           r"failed call to cuInit|Unable to register cu(DNN|FFT|BLAS) factory|"
                           r"This TensorFlow binary is optimized|To enable the following instructions|"
                           r"Created TensorFlow Lite XNNPACK delegate")


@contextmanager
def quiet_runtime_logs(noise=RUNTIME_NOISE):
    """Keeps `noise` lines off stderr while the block runs (caught at the file descriptor, so C++ lines too);
    every other line is written back when it ends. EELBERT_TF_LOGS=1, or a stderr without a file descriptor,
    leaves stderr alone."""
    try:
        if os.environ.get("EELBERT_TF_LOGS"):
            raise OSError
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode("utf-8", "replace").splitlines()
                    if line.strip() and not noise.search(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
