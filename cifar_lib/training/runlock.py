"""One process per run folder: ``hold(out_dir)`` locks it while a run reads and writes there.

The lock is an operating-system lock on ``out_dir/.lock`` (the ``filelock`` library), so it is
released when the process ends in any way, killed included: a crashed run never leaves a stale
lock behind. ``.lock.owner`` names the holder for the message a second run gets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections.abc import Iterator

import filelock

from cifar_lib.errors import RunFolderBusy

LOCK_FILE = ".lock"
OWNER_FILE = ".lock.owner"


@contextlib.contextmanager
def hold(out_dir: str) -> Iterator[None]:
    """Own ``out_dir`` for the duration of the block; RunFolderBusy when another process owns it."""
    lock = filelock.FileLock(os.path.join(out_dir, LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise RunFolderBusy(
            f"{out_dir} is in use by another run ({_holder(out_dir)}); wait for it to finish, "
            "or choose another output folder"
        ) from None
    owner = os.path.join(out_dir, OWNER_FILE)
    started = dt.datetime.now().isoformat(timespec="seconds")
    with open(owner, "w") as f:
        f.write(f"process {os.getpid()} on {socket.gethostname()}, since {started}\n")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(owner)
        lock.release()


def _holder(out_dir: str) -> str:
    try:
        with open(os.path.join(out_dir, OWNER_FILE)) as f:
            return f.read().strip() or "holder unknown"
    except OSError:
        return "holder unknown"
