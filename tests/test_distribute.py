"""tf.distribute: the quick recipe under MirroredStrategy on two logical CPU devices equals one
device; a resumed mirrored run equals a straight one; two workers of a MultiWorkerMirroredStrategy
on localhost train in step. Each check runs tests/distributed_check.py in processes of its own."""

import json
import os
import socket
import subprocess
import sys

import pytest

CHECK = os.path.join(os.path.dirname(__file__), "distributed_check.py")
LOSS_TOLERANCE = 1e-5  # float32 sums in another order (all-reduce of two halves instead of one batch)
WEIGHT_TOLERANCE = 1e-3  # after 8 steps at airbench's learning rates (batch-norm biases learn 64x faster)


def check(mode: str, out, env: dict | None = None, timeout: int = 600) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, CHECK, mode, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def result(process: subprocess.Popen, timeout: int = 600) -> dict:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_mirrored_on_two_devices_equals_one_device(tmp_path):
    r = result(check("mirrored", tmp_path))
    assert r["replicas"] == 2
    assert r["max_loss_difference"] < LOSS_TOLERANCE, r
    assert r["max_weight_difference"] < WEIGHT_TOLERANCE, r
    assert r["test_accuracy"][0] == r["test_accuracy"][1]


@pytest.mark.slow
def test_resumed_mirrored_run_equals_an_uninterrupted_one(tmp_path):
    r = result(check("resume", tmp_path))
    assert r["interrupted"] == "TrainingInterrupted" and r["epochs"] == [1, 2]
    assert r["max_loss_difference"] < LOSS_TOLERANCE, r
    assert r["max_weight_difference"] < WEIGHT_TOLERANCE, r


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_on_localhost_train_in_step(tmp_path):
    """Two processes, one MultiWorkerMirroredStrategy (TF_CONFIG), each its own run folder: after one
    epoch both hold the same weights and logged the same loss."""
    workers = [f"localhost:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(check("worker", tmp_path / f"worker{index}", {"TF_CONFIG": json.dumps(tf_config)}))
    first, second = (result(p) for p in processes)
    assert {first["task"], second["task"]} == {0, 1} and first["replicas"] == second["replicas"] == 2
    assert first["loss"] == pytest.approx(second["loss"], abs=LOSS_TOLERANCE)
    assert first["weight_checksum"] == pytest.approx(second["weight_checksum"], rel=1e-6)
