"""Pretraining under tf.distribute with real workers: two `eelbert pretrain --strategy multi-worker`
processes on 127.0.0.1 (TF_CONFIG, free ports, one CPU thread each) against one process with the
same global batch; a worker killed with SIGKILL and both resumed; bad settings refused by name."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from eelbert_tf.pretraining.distribute import (DistributeError, check_global_batch, free_local_ports,
                                               local_tf_config, parse_tf_config)

SEQ, BATCH, STEPS = 32, 8, 80
TIMEOUT = 240  # seconds for any one run; every process is killed when a test ends
LOSS_TOLERANCE = 1e-3  # two workers against one process: float summation order (measured: 3e-4 after 160 steps)


def _args(out, corpus_file, cache, *extra):
    return [sys.executable, "-m", "eelbert_tf", "pretrain", "--preset", "eelbert_uno",
            "--tokens", str(SEQ * BATCH * STEPS), "--out", str(out), "--corpus", str(corpus_file),
            "--cache-dir", str(cache), "--batch-size", str(BATCH), "--sequence-length", str(SEQ),
            "--validation-sequences", "32", "--checkpoint-every", "20", "--log-every", "1", "--threads", "1",
            # No dropout: its random draws differ between one process and two (the rest is the same).
            "--backbone-arg", "dropout=0.0", *extra]


class Workers:
    """Worker processes of one run; all killed on exit."""

    def __init__(self, out, corpus_file, cache, ports, extra=()):
        self.processes = []
        for index in range(len(ports)):
            env = {**os.environ, "TF_CONFIG": local_tf_config(ports, index), "TF_CPP_MIN_LOG_LEVEL": "2"}
            self.processes.append(subprocess.Popen(
                _args(out, corpus_file, cache, "--strategy", "multi-worker", "--worker-timeout", "60", *extra),
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True))

    def wait(self):
        outputs = [p.communicate(timeout=TIMEOUT)[0] for p in self.processes]
        for p, output in zip(self.processes, outputs):
            assert p.returncode == 0, output[-3000:]
        return outputs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _losses(run):
    return [json.loads(line)["loss"] for line in (run / "train_log.jsonl").read_text().splitlines()]


def _weights(path):
    import h5py

    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return arrays


@pytest.fixture(scope="module")
def runs(tmp_path_factory, corpus_file):
    """One process, and two workers, on the same cache, seed and global batch."""
    root = tmp_path_factory.mktemp("distribute")
    cache = root / "cache"
    single = subprocess.run(_args(root / "single", corpus_file, cache), capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert single.returncode == 0, single.stderr[-3000:]
    with Workers(root / "two", corpus_file, cache, free_local_ports(2)) as workers:
        workers.wait()
    return root, cache


@pytest.mark.slow
def test_two_workers_train_as_one_process(runs):
    root, _ = runs
    single, two = _losses(root / "single"), _losses(root / "two")
    assert len(single) == len(two) == STEPS
    np.testing.assert_allclose(two, single, atol=LOSS_TOLERANCE, rtol=0)
    assert single[-1] < single[0] - 0.3  # it trains
    a, b = (json.loads((root / r / "record.json").read_text()) for r in ("single", "two"))
    assert abs(a["heldout_mlm_loss"] - b["heldout_mlm_loss"]) < LOSS_TOLERANCE
    assert a["data"]["order"] == b["data"]["order"] and a["tokens_seen"] == b["tokens_seen"]


@pytest.mark.slow
def test_only_the_chief_writes(runs):
    root, _ = runs
    two = root / "two"
    kept = sorted(p.name for p in (two / "checkpoints").glob("ckpt-*"))
    assert kept and kept[-1] == f"ckpt-{STEPS:08d}"
    assert set(kept) <= {f"ckpt-{s:08d}" for s in range(20, STEPS + 1, 20)}
    sessions = [json.loads(line) for line in (two / "sessions.jsonl").read_text().splitlines()]
    assert len(sessions) == 1 and sessions[0]["replicas"] == 2 and sessions[0]["strategy"] == "multi-worker"
    steps = [json.loads(line)["step"] for line in (two / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, STEPS + 1))  # one line per step: one writer
    assert not list(two.glob("*.tmp*")) and not list((two / "checkpoints").glob("*.tmp*"))


@pytest.mark.slow
def test_a_killed_worker_then_resume_ends_at_the_uninterrupted_weights(runs, corpus_file):
    root, cache = runs
    out = root / "killed"
    ports = free_local_ports(2)
    with Workers(out, corpus_file, cache, ports) as workers:
        deadline = time.time() + TIMEOUT
        while not (out / "checkpoints" / "ckpt-00000040").exists():
            assert time.time() < deadline and workers.processes[0].poll() is None, "no checkpoint was written"
            time.sleep(0.05)
        os.killpg(workers.processes[1].pid, signal.SIGKILL)  # worker 1 dies mid-run
        # The chief would fail its next collective after --worker-timeout (60 s); a job manager restarts the whole
        # job when one task dies, so the chief gets a moment, then is killed too (on leaving the block).
        try:
            workers.processes[0].wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    assert not (out / "record.json").exists(), "the run finished before the kill"
    with Workers(out, corpus_file, cache, free_local_ports(2), extra=("--resume",)) as workers:
        workers.wait()
    sessions = [json.loads(line) for line in (out / "sessions.jsonl").read_text().splitlines()]
    assert len(sessions) == 2 and sessions[1]["start_step"] >= 40
    resumed, uninterrupted = _weights(out / "masked_lm.weights.h5"), _weights(root / "two" / "masked_lm.weights.h5")
    assert resumed.keys() == uninterrupted.keys()
    for name in resumed:
        np.testing.assert_allclose(resumed[name], uninterrupted[name], atol=1e-6, err_msg=name)


@pytest.mark.parametrize("tf_config, message", [
    (None, "needs TF_CONFIG"),
    ("{not json", "not valid JSON"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}}', "TF_CONFIG task"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}', "TF_CONFIG task"),
    ('{"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}', "is not \"host:port\""),
    ('{"cluster": {"ps": ["a:1"], "worker": ["a:2"]}, "task": {"type": "worker", "index": 0}}', "unexpected job"),
])
def test_malformed_tf_config_is_named(tf_config, message):
    with pytest.raises(DistributeError, match=message):
        parse_tf_config(tf_config)


def test_global_batch_must_divide_among_replicas():
    class TwoReplicas:
        num_replicas_in_sync = 2

    check_global_batch(8, TwoReplicas())
    with pytest.raises(DistributeError, match="--batch-size 7 .* divisible by the 2 replicas"):
        check_global_batch(7, TwoReplicas())


@pytest.mark.parametrize("case", ["unreachable", "bad_tf_config", "tpu", "batch"])
def test_bad_settings_exit_2_with_one_line_and_write_nothing(case, tmp_path, corpus_file):
    out = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    extra = ["--strategy", "multi-worker", "--worker-timeout", "3"]
    if case == "unreachable":
        env["TF_CONFIG"] = local_tf_config(free_local_ports(2), 0)  # worker 1 never starts
        expected = "could not be reached within 3 s"
    elif case == "bad_tf_config":
        env["TF_CONFIG"] = '{"cluster": {"worker": []}, "task": {"type": "worker", "index": 0}}'
        expected = "TF_CONFIG cluster.worker"
    elif case == "tpu":
        extra, expected = ["--strategy", "tpu"], "--strategy tpu: no TPU found"
    else:
        env["TF_CONFIG"] = local_tf_config(free_local_ports(1), 0)
        extra = ["--strategy", "mirrored", "--batch-size", "7"]  # mirrored on this CPU: one replica, 7 is fine
        expected = None
    args = _args(out, corpus_file, tmp_path / "cache", *extra)
    if case == "batch":
        args[args.index("--tokens") + 1] = str(SEQ * 7 * 2)
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    if expected is None:  # one replica divides any batch: it runs
        assert result.returncode == 0, result.stderr[-2000:]
        return
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("eelbert pretrain: error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not out.exists()
