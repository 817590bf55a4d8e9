"""Training progress that a headless run can see: each line to stdout, and to the process's own
stderr when ``$CIFAR_PROGRESS`` names the running notebook.

A notebook run by papermill sends its cell outputs to the executed notebook only; the pipeline
sets ``CIFAR_PROGRESS`` so that the lines that say how a run goes (the time estimate, one line
per epoch) also reach the terminal the pipeline runs in, prefixed with the notebook's name.
"""

from __future__ import annotations

import os
import sys

PROGRESS_ENV_VAR = "CIFAR_PROGRESS"


def report(line: str) -> None:
    """Print ``line``; in a pipeline run, also to the kernel process's stderr (the pipeline's terminal)."""
    print(line, flush=True)
    name = os.environ.get(PROGRESS_ENV_VAR)
    if name and sys.__stderr__ is not None and sys.stderr is not sys.__stderr__:
        print(f"  [{name}] {line}", file=sys.__stderr__, flush=True)
