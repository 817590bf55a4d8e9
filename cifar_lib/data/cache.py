"""Decoded-array cache: one .npz per source, keyed by its path and a content fingerprint.

Written to a temporary file and renamed into place, so an interrupted or failed load never
leaves a half-written cache file; a source's older cache files are removed when a new one lands.
A cache file that cannot be read, or whose arrays do not match the source (keys, shapes, dtypes,
labels, image counts), is a miss: it is reported, deleted and rebuilt, never served.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from cifar_lib.config import cache_dir
from cifar_lib.files import atomic_path

FORMAT_VERSION = 1
KEYS = ("x_train", "y_train", "x_test", "y_test")


def cache_path(source_path: str, fingerprint: list | str) -> str:
    """Where the decoded arrays of this source (with this fingerprint) live."""
    path_key = hashlib.sha1(os.path.realpath(source_path).encode()).hexdigest()[:16]
    content = json.dumps([FORMAT_VERSION, fingerprint], separators=(",", ":")).encode()
    content_key = hashlib.sha1(content).hexdigest()[:16]
    return os.path.join(cache_dir(), f"cifar10-{path_key}-{content_key}.npz")


def load(path: str, expected_counts: dict[str, int]) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None (a miss) when there is no cache file or it is unusable.

    ``expected_counts``: images per split ("train", "test") that the source holds. An unusable
    file (truncated, corrupt, wrong arrays) is reported, deleted and treated as a miss.
    """
    if not os.path.exists(path):
        return None
    try:
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        problem = _problem(arrays, expected_counts)
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib, pickle, OS errors: any of them means "unusable"
        problem = f"unreadable ({type(exc).__name__}: {exc})"
    if problem is None:
        return arrays
    print(f"decode cache {path} is {problem}: deleting it and decoding the data again")
    try:
        os.remove(path)
    except OSError:
        pass
    return None


def _problem(arrays: dict[str, np.ndarray], expected_counts: dict[str, int]) -> str | None:
    """What is wrong with cached arrays (None when they match what the source holds)."""
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        return f"missing arrays {', '.join(missing)}"
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (32, 32, 3):
            return f"inconsistent: x_{split} is {x.dtype} {x.shape}, expected uint8 (N, 32, 32, 3)"
        if y.shape != (len(x),) or y.dtype != np.int64:
            return f"inconsistent: y_{split} is {y.dtype} {y.shape} for {len(x)} images"
        if len(y) and (y.min() < 0 or y.max() > 9):
            return f"inconsistent: y_{split} has labels outside 0..9"
        if split in expected_counts and len(x) != expected_counts[split]:
            return f"out of date: {len(x)} {split} images cached, the source has {expected_counts[split]}"
    return None


def save(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays atomically and drop older cache files of the same source."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
    prefix = os.path.basename(path).rsplit("-", 1)[0] + "-"
    for name in os.listdir(folder):
        if name.startswith(prefix) and name != os.path.basename(path):
            os.remove(os.path.join(folder, name))
