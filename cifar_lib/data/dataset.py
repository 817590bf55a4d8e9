"""What a loaded CIFAR-10 looks like, and its constants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASS_NAMES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SHAPE = (32, 32, 3)
# per-channel statistics of the training set on the [0, 1] scale (airbench's values)
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


@dataclass(frozen=True)
class CifarData:
    """Train and test images (uint8, N x 32 x 32 x 3), integer labels 0..9, class names, source."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str


def empty_split() -> tuple[np.ndarray, np.ndarray]:
    """A split with no images (for partial sources)."""
    return np.zeros((0, *IMAGE_SHAPE), np.uint8), np.zeros((0,), np.int64)
