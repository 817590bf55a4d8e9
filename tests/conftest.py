"""Shared fixtures: tiny CIFAR-10 sources written by the tests themselves, and the real-data switch."""

import os
import tarfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import fakes
import numpy as np
import pytest
from fakes import random_images, write_batches
from PIL import Image

from cifar_lib.data import CLASS_NAMES, CifarData


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own decode cache, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("CIFAR_LIB_CACHE", str(folder))
    return folder


@pytest.fixture
def tiny_arrays():
    """20 train / 10 test random images, two and one per class."""
    return random_images(20, 1), np.arange(20) % 10, random_images(10, 2), np.arange(10) % 10


@pytest.fixture
def tiny_batches_dir(tmp_path, tiny_arrays):
    folder = tmp_path / "cifar-10-batches-py"
    write_batches(folder, *tiny_arrays)
    return folder


@pytest.fixture
def tiny_archive(tmp_path, tiny_batches_dir):
    """A cifar-10-python.tar.gz in the official layout."""
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tiny_batches_dir, arcname="cifar-10-batches-py")
    return path


@pytest.fixture
def tiny_image_tree(tmp_path):
    """train/<class>/ (3 PNG per class) and test/<class>/ (1 JPEG per class)."""
    root = tmp_path / "tree"
    rng = np.random.default_rng(3)
    for split, count, ext in (("train", 3, "png"), ("test", 1, "jpg")):
        for name in CLASS_NAMES:
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(folder / f"{i:04d}.{ext}")
    return root


@pytest.fixture
def tiny_data():
    """An in-memory CifarData: 200 train / 50 test random images, every class present."""
    return CifarData(
        random_images(200, 4), np.arange(200) % 10, random_images(50, 5), np.arange(50) % 10, CLASS_NAMES, "synthetic"
    )


@pytest.fixture(scope="session")
def learnable_data():
    """A learnable tiny CIFAR-shaped set: each class has its own colour, plus noise (400 train, 100 test)."""
    return fakes.learnable_data(400, 100)


@pytest.fixture(scope="session")
def real_data_path():
    """The real CIFAR-10 copy named by CIFAR10_DATA; the test is skipped (and says why) without it."""
    path = os.environ.get("CIFAR10_DATA")
    if not path:
        pytest.skip("CIFAR10_DATA not set: real-data test skipped (set it to a local CIFAR-10 copy)")
    return path
