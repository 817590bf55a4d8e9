"""Readers for the three local layouts: official tar.gz, extracted batches folder, image tree.

Each reader returns {"train": (x, y), "test": (x, y)} with uint8 images and int64 labels, or
raises DatasetError naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tarfile
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from cifar_lib.data.dataset import CLASS_NAMES, IMAGE_SHAPE, NUM_CLASSES, empty_split
from cifar_lib.data.errors import DatasetError

ARCHIVE_NAME = "cifar-10-python.tar.gz"
BATCHES_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
SPLITS = ("train", "test")

Splits = dict[str, tuple[np.ndarray, np.ndarray]]


def detect_layout(path: str) -> tuple[str, str]:
    """("archive" | "batches" | "tree", the path to read) for a source path, or DatasetError."""
    if not os.path.exists(path):
        raise DatasetError(f"{path}: no such file or folder (set CIFAR10_DATA or pass the path of a CIFAR-10 copy)")
    if os.path.isfile(path):
        if tarfile.is_tarfile(path) or path.endswith((".tar.gz", ".tgz")):
            return "archive", path
        raise DatasetError(f"{path}: unknown layout: a file that is not a CIFAR-10 tar.gz archive")
    for candidate in (path, os.path.join(path, BATCHES_DIR)):
        if os.path.isfile(os.path.join(candidate, "data_batch_1")) or os.path.isfile(
            os.path.join(candidate, TEST_BATCH)
        ):
            return "batches", candidate
    if os.path.isfile(os.path.join(path, ARCHIVE_NAME)):
        return "archive", os.path.join(path, ARCHIVE_NAME)
    if any(os.path.isdir(os.path.join(path, s)) for s in SPLITS):
        return "tree", path
    raise DatasetError(
        f"{path}: unknown layout: expected {ARCHIVE_NAME}, a {BATCHES_DIR}/ folder, "
        "or train/<class>/ and test/<class>/ folders of images"
    )


def _unpickle(raw: bytes, where: str) -> dict:
    try:
        return pickle.loads(raw, encoding="bytes")
    except Exception as exc:  # any unpickling failure means a corrupt batch
        raise DatasetError(f"{where}: corrupt batch file ({type(exc).__name__}: {exc})") from None


def _batch_arrays(batch: dict, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except KeyError as exc:
        raise DatasetError(f"{where}: batch has no {exc.args[0]!r} entry") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise DatasetError(
            f"{where}: expected data of shape (N, 3072) and N labels, got {data.shape} and {len(labels)}"
        )
    bad = labels[(labels < 0) | (labels >= NUM_CLASSES)]
    if len(bad):
        raise DatasetError(f"{where}: labels out of range 0..9 (found {int(bad[0])})")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels


def _join(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def read_archive(path: str) -> Splits:
    """The official ``cifar-10-python.tar.gz``."""
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = os.path.basename(member.name)
                if member.isfile() and name in (*TRAIN_BATCHES, TEST_BATCH):
                    raw = tar.extractfile(member).read()
                    found[name] = _batch_arrays(_unpickle(raw, f"{path}:{member.name}"), f"{path}:{member.name}")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DatasetError(f"{path}: corrupt or truncated archive ({type(exc).__name__}: {exc})") from None
    return _assemble(found, path)


def read_batches_dir(path: str) -> Splits:
    """An extracted ``cifar-10-batches-py/`` folder."""
    found = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        file = os.path.join(path, name)
        if os.path.isfile(file):
            with open(file, "rb") as f:
                found[name] = _batch_arrays(_unpickle(f.read(), file), file)
    return _assemble(found, path)


def _assemble(found: dict, path: str) -> Splits:
    missing = [n for n in (*TRAIN_BATCHES, TEST_BATCH) if n not in found]
    if missing:
        raise DatasetError(f"{path}: incomplete CIFAR-10 batches, missing {', '.join(missing)}")
    return {"train": _join([found[n] for n in TRAIN_BATCHES]), "test": found[TEST_BATCH]}


def _visible(names) -> list[str]:
    return sorted(n for n in names if not n.startswith("."))


def tree_files(root: str, allow_partial: bool = False) -> dict[str, list[tuple[str, int]]]:
    """(file path, label) per split of an image tree, checked for layout; no decoding."""
    out: dict[str, list[tuple[str, int]]] = {}
    by_lower = {name: i for i, name in enumerate(CLASS_NAMES)}
    for split in SPLITS:
        split_dir = os.path.join(root, split)
        if not os.path.isdir(split_dir):
            if allow_partial:
                continue
            raise DatasetError(
                f"{split_dir}: missing split folder (the tree needs train/ and test/; "
                "pass allow_partial=True to load what exists)"
            )
        files, seen = [], set()
        for folder in _visible(os.listdir(split_dir)):
            class_dir = os.path.join(split_dir, folder)
            if not os.path.isdir(class_dir):
                continue
            label = by_lower.get(folder.lower())
            if label is None:
                raise DatasetError(f"{class_dir}: unknown class folder (expected one of {', '.join(CLASS_NAMES)})")
            names = [n for n in _visible(os.listdir(class_dir)) if os.path.isfile(os.path.join(class_dir, n))]
            if not names:
                raise DatasetError(f"{class_dir}: empty class folder")
            seen.add(label)
            files += [(os.path.join(class_dir, n), label) for n in names]
        missing = [CLASS_NAMES[i] for i in range(NUM_CLASSES) if i not in seen]
        if missing and not allow_partial:
            raise DatasetError(
                f"{split_dir}: missing class folders {', '.join(missing)} (pass allow_partial=True to load what exists)"
            )
        out[split] = sorted(files, key=lambda item: (item[1], item[0]))
    if not out:
        raise DatasetError(f"{root}: no train/ or test/ folder")
    return out


def decode_image(path: str) -> np.ndarray:
    """One 32x32 RGB image file as uint8 (32, 32, 3); DatasetError naming the file otherwise."""
    try:
        with Image.open(path) as img:
            img.load()
            mode, size = img.mode, img.size
            if mode != "RGB":
                raise DatasetError(f"{path}: image mode is {mode}, expected RGB (32x32 colour)")
            if size != IMAGE_SHAPE[:2]:
                raise DatasetError(f"{path}: image is {size[0]}x{size[1]}, expected 32x32")
            return np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from None


def read_tree(root: str, allow_partial: bool = False) -> Splits:
    """A ``train/<class>/*`` + ``test/<class>/*`` tree of image files (any format Pillow reads)."""
    listing = tree_files(root, allow_partial)
    out: Splits = {}
    for split in SPLITS:
        if split not in listing:
            out[split] = empty_split()
            continue
        files = listing[split]
        images = np.empty((len(files), *IMAGE_SHAPE), np.uint8)
        progress = tqdm(
            files, desc=f"decoding {split}", unit="img", file=sys.stderr, mininterval=1.0, disable=len(files) < 2000
        )
        for i, (path, _) in enumerate(progress):
            images[i] = decode_image(path)
        out[split] = (images, np.array([label for _, label in files], np.int64))
    return out


def fingerprint(layout: str, path: str) -> tuple[str, dict[str, int]]:
    """A digest of what identifies the source's content cheaply (names, sizes and modification
    times), and, for an image tree, how many images each split holds as ``tree_files`` counts them
    (visible files in visible class folders); an archive gives no counts.

    For folders every file is stat-ed (about 0.2 s for 55,000 files), so adding, removing or
    overwriting any image invalidates the cache; the counts come from the same walk.
    """
    digest = hashlib.sha1()
    counts = dict.fromkeys(SPLITS, 0) if layout == "tree" else {}

    def visit(folder: str, rel: str) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        parts = rel.split("/")[:-1]  # "train/cat/" -> ["train", "cat"]
        in_class_folder = len(parts) == 2 and parts[0] in counts and not any(p.startswith(".") for p in parts)
        for entry in entries:
            if entry.is_dir():
                visit(entry.path, f"{rel}{entry.name}/")
            else:
                st = entry.stat()
                digest.update(f"{rel}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                if in_class_folder and not entry.name.startswith("."):
                    counts[parts[0]] += 1

    if layout == "archive":
        st = os.stat(path)
        digest.update(f"{os.path.basename(path)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    else:
        visit(path, "")
    return digest.hexdigest(), counts


READERS = {"archive": read_archive, "batches": read_batches_dir}
