"""Reliability: a killed training process resumes, bad notebook parameters fail fast, same seed same numbers.

The bad *data* inputs (missing folder, wrong layout, truncated archive, a non-image file, a 64x64
image, a grayscale image, an empty class folder, ...) are in test_data_sources.py: each gives a
``DatasetError`` naming the file and leaves nothing in the cache.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from fakes import random_images, write_batches

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child_env(cache) -> dict:
    return dict(os.environ, CIFAR_LIB_CACHE=str(cache), TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")


def _epochs_done(out) -> int:
    path = out / "history.csv"
    try:
        return len(pd.read_csv(path)) if path.exists() else 0
    except (pd.errors.EmptyDataError, pd.errors.ParserError):  # caught mid-write: not finished yet
        return 0


@pytest.mark.slow
def test_sigterm_mid_epoch_then_restart_finishes_every_epoch(tmp_path, isolated_cache):
    data = tmp_path / "cifar-10-batches-py"
    write_batches(data, random_images(300, 1), np.arange(300) % 10, random_images(20, 2), np.arange(20) % 10)
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "cifar_lib",
        "train",
        "--recipe",
        "baseline",
        "--out",
        str(out),
        "--data",
        str(data),
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--verbose",
        "0",
    ]
    env = _child_env(isolated_cache)

    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600
    while _epochs_done(out) < 1:
        assert child.poll() is None, f"training ended early:\n{child.stdout.read()}"
        assert time.monotonic() < deadline, "epoch 1 never finished"
        time.sleep(0.2)
    time.sleep(1.0)  # inside epoch 2: an epoch (15 steps of the seed model) takes several seconds
    child.send_signal(signal.SIGTERM)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGTERM
    done_when_killed = _epochs_done(out)
    assert done_when_killed < 3, "the run finished before it was killed: nothing was tested"
    assert not (out / "run.json").exists()

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Resuming from epoch {done_when_killed} of 3" in rerun.stdout
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3], "every epoch once, none missing"
    assert {"model.keras", "best.keras", "run.json"} <= set(os.listdir(out))


@pytest.mark.slow
@pytest.mark.parametrize(
    "parameter, message",
    [
        ("EPOCHS=-1", "epochs must be a positive integer, got -1"),
        ("RECIPE=turbo", "unknown recipe 'turbo'"),
        ("PROFILE=quick", "PROFILE must be one of full, ci, got 'quick'"),
    ],
)
def test_pipeline_bad_value_fails_in_the_first_cells(parameter, message, tmp_path):
    """A bad value stops notebook 04 in its setup cell (the profile) or its recipe cell, before any data is loaded."""
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cifar_lib",
            "pipeline",
            "--only",
            "04",
            "--profile",
            "ci",
            "--no-progress",
            "--out",
            str(tmp_path / "run"),
            "-p",
            parameter,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "notebook 04_training.ipynb failed at" in result.stderr and message in result.stderr
    # In [1] parameters, [2] injected parameters, [3] setup (checks the profile), [4] the recipe and its overrides
    expected = "In [3]" if parameter.startswith("PROFILE") else "In [4]"
    assert f"failed at {expected}" in result.stderr, result.stderr
    assert time.monotonic() - started < 120


def test_pipeline_unknown_parameter_fails_before_running(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cifar_lib",
            "pipeline",
            "--profile",
            "ci",
            "--out",
            str(tmp_path / "run"),
            "-p",
            "EPOCHZ=3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "unknown parameter 'EPOCHZ'" in result.stderr
    assert not list((tmp_path / "run").glob("*.ipynb")), "no notebook ran"


@pytest.mark.slow
@pytest.mark.parametrize(
    "recipe, overrides",
    [
        ("baseline", {"batch_size": 32}),
        ("fast", {"batch_size": 50}),
    ],
)
def test_same_seed_gives_the_same_first_epoch(recipe, overrides, tmp_path):
    from cifar_lib.data import CLASS_NAMES, CifarData
    from cifar_lib.training import train

    data = CifarData(
        random_images(300, 7),
        np.arange(300) % 10,
        random_images(60, 8),
        np.arange(60) % 10,
        tuple(CLASS_NAMES),
        "synthetic",
    )
    runs = [train(recipe, data, str(tmp_path / f"run{i}"), epochs=1, seed=3, verbose=0, **overrides) for i in (1, 2)]
    columns = [c for c in runs[0].history.columns if c.endswith(("loss", "accuracy"))]  # val_* or test_*
    assert len(columns) == 4
    first, second = (r.history[columns].to_numpy() for r in runs)
    np.testing.assert_array_equal(first, second)
