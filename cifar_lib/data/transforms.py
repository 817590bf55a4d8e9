"""Array helpers the recipes need: normalization, one-hot labels, splits and subsets."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from cifar_lib.data.dataset import CIFAR_MEAN, CIFAR_STD, NUM_CLASSES


def normalize_unit(x: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1] (the seed project's /255)."""
    return np.asarray(x, np.float32) / 255.0


def standardize(x: np.ndarray, mean=CIFAR_MEAN, std=CIFAR_STD) -> np.ndarray:
    """uint8 pixels to float32 with per-channel zero mean and unit variance (the fast recipe's)."""
    return (normalize_unit(x) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)


def one_hot(y: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Integer labels to float32 one-hot rows."""
    y = np.asarray(y)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}, found {y.min()}..{y.max()}")
    return np.eye(num_classes, dtype=np.float32)[y]


def train_val_split(x: np.ndarray, y: np.ndarray, val_fraction: float = 0.2, seed: int = 0):
    """Seeded, stratified split: (x_train, y_train, x_val, y_val); default 80/20 as in the seed."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return x_tr, y_tr, x_val, y_val


def stratified_subset(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0):
    """``n`` examples with the class balance of ``y`` kept (all of them when n >= len(y))."""
    if n >= len(y):
        return x, y
    classes = len(np.unique(y))
    if n < classes:
        raise ValueError(f"a stratified subset needs at least one image per class ({classes}), got n={n}")
    x_sub, _, y_sub, _ = train_test_split(x, y, train_size=n, random_state=seed, stratify=y)
    return x_sub, y_sub
