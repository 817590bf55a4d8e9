"""Resume state: after each finished epoch, ``checkpoint/epoch-NNNN.weights.h5`` + ``epoch-NNNN.json``.

Weights (model and optimizer) are written first, the JSON (epochs done, config, history) last,
each to a temporary name and renamed into place: a JSON file exists only when its weights are
complete. The newest two epochs are kept, so a checkpoint damaged later (a truncated copy, a
bad disk) still leaves the one before it to resume from. A write that fails (disk full) removes
its temporary files and leaves the previous epoch's state as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil

import keras

from cifar_lib.errors import CheckpointCorrupted, CheckpointWriteError
from cifar_lib.files import atomic_path, atomic_write_text

STATE_DIR = "checkpoint"
KEEP = 2
_NAME = re.compile(r"^epoch-(\d{4,})\.json$")


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One epoch's resume state on disk."""

    epochs_done: int
    json_path: str
    weights_path: str


def folder(out_dir: str) -> str:
    return os.path.join(out_dir, STATE_DIR)


def _paths(out_dir: str, epochs_done: int) -> Checkpoint:
    stem = os.path.join(folder(out_dir), f"epoch-{epochs_done:04d}")
    return Checkpoint(epochs_done, f"{stem}.json", f"{stem}.weights.h5")


def find(out_dir: str) -> list[Checkpoint]:
    """The run's checkpoints, newest first (empty when there are none)."""
    if not os.path.isdir(folder(out_dir)):
        return []
    epochs = sorted((int(m.group(1)) for m in map(_NAME.match, os.listdir(folder(out_dir))) if m), reverse=True)
    return [_paths(out_dir, n) for n in epochs]


def save(out_dir: str, epochs_done: int, model: keras.Model, state: dict) -> Checkpoint:
    """Write epoch ``epochs_done``'s weights and ``state`` (JSON-able); drop all but the newest KEEP."""
    os.makedirs(folder(out_dir), exist_ok=True)
    cp = _paths(out_dir, epochs_done)
    try:
        with atomic_path(cp.weights_path) as tmp:
            model.save_weights(tmp)
        atomic_write_text(cp.json_path, json.dumps(dict(state, epochs_done=epochs_done), indent=1))
    except OSError as exc:
        with contextlib.suppress(OSError):  # weights without their JSON are not a checkpoint
            os.remove(cp.weights_path)
        previous = find(out_dir)
        kept = (
            f"the checkpoint of epoch {previous[0].epochs_done} is intact"
            if previous
            else "no earlier checkpoint exists"
        )
        raise CheckpointWriteError(
            f"could not write the checkpoint of epoch {epochs_done} in {folder(out_dir)} "
            f"({exc.strerror or exc}); {kept}: free some space, then run again to resume"
        ) from None
    for old in find(out_dir)[KEEP:]:
        for path in (old.json_path, old.weights_path):
            with contextlib.suppress(OSError):
                os.remove(path)
    return cp


def read_state(cp: Checkpoint) -> dict:
    """The JSON state of a checkpoint; CheckpointCorrupted naming the file when it is unreadable."""
    try:
        with open(cp.json_path) as f:
            state = json.load(f)
        if not isinstance(state, dict) or not {"epochs_done", "config", "history"} <= state.keys():
            raise ValueError("missing epochs_done, config or history")
    except (OSError, ValueError) as exc:
        raise CheckpointCorrupted(f"{cp.json_path}: unreadable ({type(exc).__name__}: {exc})") from None
    if not os.path.isfile(cp.weights_path):
        raise CheckpointCorrupted(f"{cp.weights_path}: missing (its state file {cp.json_path} exists)")
    return state


def load_weights(cp: Checkpoint, model: keras.Model) -> None:
    """Load a checkpoint's weights into ``model``; CheckpointCorrupted naming the file when they do not load."""
    try:
        model.load_weights(cp.weights_path)
    except Exception as exc:  # noqa: BLE001 - h5py and Keras raise many kinds for a damaged file
        raise CheckpointCorrupted(f"{cp.weights_path}: unreadable ({type(exc).__name__}: {exc})") from None


def discard(cp: Checkpoint) -> None:
    """Delete one checkpoint (both files)."""
    for path in (cp.json_path, cp.weights_path):
        with contextlib.suppress(OSError):
            os.remove(path)


def remove_all(out_dir: str) -> None:
    """Delete the resume state (a finished run, or a fresh start)."""
    shutil.rmtree(folder(out_dir), ignore_errors=True)
