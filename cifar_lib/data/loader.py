"""``load_cifar10``: CIFAR-10 from a local copy (any of three layouts) or the official download."""

from __future__ import annotations

import logging
import os

import numpy as np

from cifar_lib.config import DATA_ENV_VAR
from cifar_lib.data import cache, sources
from cifar_lib.data.dataset import CLASS_NAMES, CifarData
from cifar_lib.data.errors import DatasetError

log = logging.getLogger(__name__)


def resolve_source(source: str | os.PathLike | None = None) -> str | None:
    """The source to read, as an absolute path: the argument, else ``$CIFAR10_DATA``, else None (download).

    Absolute, so that the same copy named from another folder is the same source (cache, run records).
    """
    path = os.fspath(source) if source is not None else os.environ.get(DATA_ENV_VAR) or None
    return os.path.abspath(os.path.expanduser(path)) if path else None


def load_cifar10(
    source: str | os.PathLike | None = None, *, allow_partial: bool = False, use_cache: bool = True
) -> CifarData:
    """Load CIFAR-10 as uint8 images (N, 32, 32, 3) and int64 labels 0..9, class names in official order.

    ``source``: a ``cifar-10-python.tar.gz``, an extracted ``cifar-10-batches-py/`` folder, or a
    ``train/<class>/`` + ``test/<class>/`` tree of image files. Without it, ``$CIFAR10_DATA``, else
    the official download through Keras. A tree with missing splits or classes is an error
    unless ``allow_partial``. Decoded arrays are cached (see ``cifar_lib.data.cache``).
    """
    path = resolve_source(source)
    if path is None:
        return _download()
    layout, read_path = sources.detect_layout(path)
    digest, counts = sources.fingerprint(layout, read_path)  # counts: images per split of a tree ({} otherwise)
    cached_file = cache.cache_path(read_path, [layout, allow_partial, digest])
    arrays = cache.load(cached_file, counts) if use_cache else None
    if arrays is None:
        if layout == "tree":
            splits = sources.read_tree(read_path, allow_partial)
        else:
            splits = sources.READERS[layout](read_path)
        arrays = {f"{kind}_{split}": splits[split][i] for split in ("train", "test") for i, kind in enumerate("xy")}
        if use_cache:
            cache.save(cached_file, arrays)
    else:
        log.info("loaded %s from cache %s", read_path, cached_file)
    return CifarData(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], CLASS_NAMES, read_path)


def _download() -> CifarData:
    """The official archive through Keras (downloaded once into the Keras cache)."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as exc:  # no network, proxy, corrupt download...
        raise DatasetError(
            f"keras.datasets.cifar10: could not download CIFAR-10 ({type(exc).__name__}: {exc}). "
            f"On a machine without internet set {DATA_ENV_VAR} to a local copy."
        ) from None
    return CifarData(
        x_train,
        y_train.reshape(-1).astype(np.int64),
        x_test,
        y_test.reshape(-1).astype(np.int64),
        CLASS_NAMES,
        "keras.datasets.cifar10",
    )
