"""Decoded-array cache: one .npz per source, keyed by its path and a content fingerprint.

Written to a temporary file and renamed into place, so an interrupted or failed load never
leaves a half-written cache file; a source's older cache files are removed when a new one lands.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile

import numpy as np

from cifar_lib.config import cache_dir

FORMAT_VERSION = 1


def cache_path(source_path: str, fingerprint: list | str) -> str:
    """Where the decoded arrays of this source (with this fingerprint) live."""
    path_key = hashlib.sha1(os.path.realpath(source_path).encode()).hexdigest()[:16]
    content = json.dumps([FORMAT_VERSION, fingerprint], separators=(",", ":")).encode()
    content_key = hashlib.sha1(content).hexdigest()[:16]
    return os.path.join(cache_dir(), f"cifar10-{path_key}-{content_key}.npz")


def load(path: str) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when there is no (readable) cache file."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError):  # unreadable cache: decode again and overwrite it
        return None


def save(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays atomically and drop older cache files of the same source."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    prefix = os.path.basename(path).rsplit("-", 1)[0] + "-"
    for name in os.listdir(folder):
        if name.startswith(prefix) and name != os.path.basename(path):
            os.remove(os.path.join(folder, name))
