"""Writing files so that a crash never leaves half of one: write beside it, then rename onto it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """A temporary path in ``path``'s folder, renamed onto ``path`` when the block succeeds.

    On an error (or an interrupt) the temporary file is removed and ``path`` keeps its old
    content. The temporary name ends like ``path`` (Keras checks ``.weights.h5``, NumPy ``.npz``).
    """
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(
        dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-", suffix=os.path.basename(path)
    )
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace ``path``'s content with ``text`` in one step."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)
