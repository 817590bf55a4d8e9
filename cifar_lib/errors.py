"""What can go wrong in a training run, as exceptions whose message says what happened and what to do.

The CLI prints the message as one line (exit status 2, or 130 for an interrupt); a notebook
shows it without a traceback (``_render_traceback_`` is IPython's hook for that).
"""

from __future__ import annotations


class RunError(RuntimeError):
    """A run could not start or go on; nothing that was saved is lost."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class TrainingDiverged(RunError):
    """The loss became NaN or infinite."""


class RunFolderBusy(RunError):
    """Another process is training in the same run folder."""


class CheckpointCorrupted(RunError):
    """The newest resume state cannot be read; the message names the file and the choices."""


class CheckpointWriteError(RunError):
    """An epoch's resume state could not be written (disk full, ...); the previous one is intact."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl+C, Kernel > Interrupt); the last finished epoch is saved."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]
