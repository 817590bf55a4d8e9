"""Faults a real user meets: a full disk, a damaged checkpoint, two runs on one folder, a file as --out.

Each must end in one clear message and lose no finished epoch.
"""

import errno
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from fakes import stop_after, tensorboard_steps

from cifar_lib.cli import main
from cifar_lib.training import (
    CheckpointCorrupted,
    CheckpointWriteError,
    RunFolderBusy,
    TrainingInterrupted,
    checkpoints,
    clear_run,
    runlock,
    train,
)

TINY = {"epochs": 3, "batch_size": 50, "verbose": 0}
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")  # for the CLI in a subprocess


def _interrupted_run(data, out, monkeypatch, after=2):
    from cifar_lib.training import engine

    original = engine._callbacks
    monkeypatch.setattr(engine, "_callbacks", lambda *a: original(*a) + [stop_after(after)])
    with pytest.raises(TrainingInterrupted):
        train("fast", data, out, **TINY)
    monkeypatch.setattr(engine, "_callbacks", original)


@pytest.mark.slow
def test_disk_full_while_checkpointing_keeps_the_previous_epoch(learnable_data, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "run")
    real_save = keras.Model.save_weights
    calls = []

    def save_until_the_disk_is_full(self, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 2:  # epoch 2: half a file lands, then the disk is full
            with open(filepath, "wb") as f:
                f.write(b"\x89HDF\r\n" + b"\0" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, filepath, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save_weights", save_until_the_disk_is_full)
    with pytest.raises(CheckpointWriteError, match=r"epoch 2 .*No space left on device.*epoch 1 is intact"):
        train("fast", learnable_data, out, **TINY)
    monkeypatch.setattr(keras.Model, "save_weights", real_save)

    assert sorted(os.listdir(checkpoints.folder(out))) == ["epoch-0001.json", "epoch-0001.weights.h5"]
    result = train("fast", learnable_data, out, **TINY)  # space freed: the run resumes where it stood
    assert "Resuming from epoch 1 of 3" in capsys.readouterr().out
    assert list(result.history["epoch"]) == [1, 2, 3]


@pytest.mark.slow
def test_a_corrupted_checkpoint_is_reported_with_the_choices(learnable_data, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "run")
    _interrupted_run(learnable_data, out, monkeypatch, after=2)
    newest = checkpoints.find(out)[0]
    with open(newest.weights_path, "r+b") as f:
        f.truncate(200)
    with pytest.raises(CheckpointCorrupted) as error:
        train("fast", learnable_data, out, **TINY)
    message = str(error.value)
    assert newest.weights_path in message and "resume='previous'" in message and "resume='fresh'" in message
    assert os.path.exists(newest.weights_path), "nothing is deleted until the user chooses"

    result = train("fast", learnable_data, out, resume="previous", **TINY)
    assert "Resuming from epoch 1 of 3" in capsys.readouterr().out
    assert list(result.history["epoch"]) == [1, 2, 3]
    # epoch 2 had been logged before the damage; TensorBoard still shows each epoch once
    steps = tensorboard_steps(out)
    graph = steps.pop("train/graph")
    assert set(steps) == {
        "train/epoch_loss",
        "train/epoch_accuracy",
        "train/epoch_learning_rate",
        "train/epoch_seconds",
        "test/epoch_loss",
        "test/epoch_accuracy",
    }
    assert all(s == [1, 2, 3] for s in steps.values()), steps
    assert graph[0] > 20, "the model's graph is there once, with its ops"


def test_an_unreadable_state_file_names_itself(tmp_path):
    out = str(tmp_path / "run")
    os.makedirs(checkpoints.folder(out))
    cp = checkpoints.Checkpoint(
        1,
        os.path.join(checkpoints.folder(out), "epoch-0001.json"),
        os.path.join(checkpoints.folder(out), "epoch-0001.weights.h5"),
    )
    with open(cp.json_path, "w") as f:
        f.write('{"epochs_done": 1, "conf')  # cut off mid-write by a copy tool
    assert checkpoints.find(out) == [cp]
    with pytest.raises(CheckpointCorrupted, match="epoch-0001.json: unreadable"):
        checkpoints.read_state(cp)


@pytest.mark.slow
def test_fresh_start_discards_a_damaged_run(learnable_data, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "run")
    _interrupted_run(learnable_data, out, monkeypatch, after=1)
    with open(checkpoints.find(out)[0].json_path, "w") as f:
        f.write("garbage")
    with pytest.raises(CheckpointCorrupted, match="No earlier checkpoint is kept.*resume='fresh'"):
        train("fast", learnable_data, out, **TINY)
    result = train("fast", learnable_data, out, resume="fresh", **TINY)
    assert "Resuming" not in capsys.readouterr().out
    assert list(result.history["epoch"]) == [1, 2, 3]


def test_interrupt_message_says_how_to_resume():
    error = TrainingInterrupted("Training interrupted during epoch 3 of 8; 2 finished epochs saved in r/checkpoint.")
    assert isinstance(error, KeyboardInterrupt)  # `except Exception` never swallows it
    assert error._render_traceback_() == [str(error)]  # IPython shows this line instead of a traceback


def test_a_second_holder_of_a_run_folder_is_refused(tmp_path):
    out = str(tmp_path / "run")
    os.makedirs(out)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from cifar_lib.training import runlock\n"
            "with runlock.hold(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
            out,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderBusy, match=rf"{out} is in use by another run \(process {holder.pid} on "):
            with runlock.hold(out):
                pass
        with pytest.raises(RunFolderBusy):  # clearing a folder (the ci profile's fresh run) waits its turn too
            clear_run(out)
    finally:
        holder.kill()
        holder.wait()
    with runlock.hold(out):  # a killed holder leaves no stale lock
        assert os.path.exists(os.path.join(out, runlock.OWNER_FILE))
    assert not os.path.exists(os.path.join(out, runlock.OWNER_FILE))


def _train_command(data, out, epochs: int) -> list[str]:
    """The CLI training the quick recipe on a tiny tree, one line per epoch."""
    return [
        sys.executable,
        "-m",
        "cifar_lib",
        "train",
        "--recipe",
        "quick",
        "--out",
        str(out),
        "--data",
        str(data),
        "--batch-size",
        "10",
        "--epochs",
        str(epochs),
        "--verbose",
        "2",
    ]


def _wait_for(path, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``path`` exists; fails if ``process`` ends first or the time runs out."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)


def _history_epochs(out) -> list[str]:
    return [line.split(",")[0] for line in (out / "history.csv").read_text().splitlines()[1:]]


@pytest.mark.slow
def test_two_train_commands_on_one_folder(tiny_image_tree, tmp_path):
    """The second is refused (exit 2, one line) while the first runs; the first finishes intact."""
    out = tmp_path / "run"
    command = _train_command(tiny_image_tree, out, epochs=3)
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
    try:
        _wait_for(out / runlock.OWNER_FILE, first)  # the first owns the folder now
        first.send_signal(signal.SIGSTOP)  # hold it mid-run, whatever the machine's speed
        second = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    first_output, _ = first.communicate(timeout=300)
    assert second.returncode == 2, second.stderr
    assert f"error: {out} is in use by another run (process {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.returncode == 0, first_output
    epoch_lines = [line for line in first_output.splitlines() if line.startswith("epoch ")]
    assert len(epoch_lines) == 3 and "\x1b" not in first_output  # a pipe gets one line per epoch, no progress bar
    assert (out / "history.csv").read_text().startswith("epoch,") and _history_epochs(out) == ["1", "2", "3"]


@pytest.mark.parametrize("make", ["file", "empty"])
def test_out_that_is_not_a_folder_is_one_clear_line(make, tiny_archive, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("cifar_lib.data.load_cifar10", lambda *a, **k: pytest.fail("data loaded before the check"))
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    out = str(target) if make == "file" else ""
    assert main(["train", "--out", out, "--data", str(tiny_archive)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and ("exists and is not a folder" in err or "empty" in err)


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tiny_image_tree, tmp_path):
    out = tmp_path / "run"
    command = _train_command(tiny_image_tree, out, epochs=40)
    run = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # as from a terminal
    # (a job started in the background inherits an ignored SIGINT: Python would then never see Ctrl+C)
    _wait_for(out / "history.csv", run)  # at least one epoch is saved
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr
    assert "Training interrupted during epoch" in stderr and "Run the same training again to resume" in stderr
    assert "Traceback" not in stderr
    saved = checkpoints.find(str(out))[0].epochs_done
    assert 1 <= saved < 40
    resumed = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming from epoch {saved} of 40" in resumed.stdout
    assert _history_epochs(out) == [str(e) for e in range(1, 41)]


def test_a_damaged_model_file_names_itself(tmp_path, tiny_archive, capsys):
    damaged = tmp_path / "model.keras"
    damaged.write_bytes(b"PK\x03\x04 this zip was cut off")
    assert main(["evaluate", "--model", str(damaged), "--data", str(tiny_archive)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {damaged}: not a readable Keras model") and "Traceback" not in err


@pytest.mark.parametrize(
    "images, labels, tta, message",
    [
        (np.zeros((4, 32, 32, 3)), np.zeros(4), "six", "unknown tta level 'six'"),
        (np.zeros((4, 28, 28)), np.zeros(4), "none", "images must have shape (N, 32, 32, 3)"),
        (np.zeros((4, 32, 32, 3)), np.zeros(3), "none", "4 images but labels of shape (3,)"),
    ],
)
def test_evaluate_checks_its_arguments_first(images, labels, tta, message):
    from cifar_lib.evaluation import evaluate

    class NeverCalled:
        def __call__(self, *args, **kwargs):
            raise AssertionError("the model ran before the arguments were checked")

    with pytest.raises(ValueError) as error:
        evaluate(NeverCalled(), images, labels, tta=tta)
    assert message in str(error.value)
