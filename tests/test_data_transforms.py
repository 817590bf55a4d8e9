"""Normalization, one-hot, the stratified split and subset, and tf.data pipelines."""

import numpy as np
import pytest

from cifar_lib.data import (
    CIFAR_MEAN,
    CIFAR_STD,
    normalize_unit,
    one_hot,
    standardize,
    stratified_subset,
    train_val_split,
)


def test_normalizations():
    x = np.array([[[[0, 255, 51]]]], np.uint8)
    np.testing.assert_allclose(normalize_unit(x), [[[[0, 1, 0.2]]]])
    z = standardize(x)
    expected = (np.array([0, 1, 0.2]) - np.array(CIFAR_MEAN)) / np.array(CIFAR_STD)
    np.testing.assert_allclose(z[0, 0, 0], expected, rtol=1e-6)
    assert z.dtype == np.float32


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([0, 9])), np.eye(10, dtype=np.float32)[[0, 9]])
    with pytest.raises(ValueError, match="labels must be in 0..9"):
        one_hot(np.array([10]))


def test_split_is_80_20_stratified_and_seeded():
    y = np.repeat(np.arange(10), 50)
    x = np.arange(500)
    x_tr, y_tr, x_val, y_val = train_val_split(x, y)
    assert (len(x_tr), len(x_val)) == (400, 100)
    assert list(np.bincount(y_val)) == [10] * 10 and list(np.bincount(y_tr)) == [40] * 10
    assert not set(x_tr) & set(x_val)
    again = train_val_split(x, y)
    np.testing.assert_array_equal(again[2], x_val)
    assert not np.array_equal(train_val_split(x, y, seed=1)[2], x_val)


def test_full_size_split_gives_40000_10000():
    y = np.repeat(np.arange(10), 5000)
    _, y_tr, _, y_val = train_val_split(np.zeros(50000), y)
    assert (len(y_tr), len(y_val)) == (40000, 10000)


def test_stratified_subset_keeps_balance():
    y = np.repeat(np.arange(10), 30)
    x_sub, y_sub = stratified_subset(np.arange(300), y, 50)
    assert len(x_sub) == 50 and list(np.bincount(y_sub)) == [5] * 10
    assert len(stratified_subset(np.arange(300), y, 1000)[0]) == 300
    with pytest.raises(ValueError, match="at least one image per class"):
        stratified_subset(np.arange(300), y, 5)


def test_make_dataset_shapes_dtypes_and_augment(tiny_data):
    from cifar_lib.training.streams import make_dataset

    ds = make_dataset(tiny_data.x_train, one_hot(tiny_data.y_train), 64, shuffle=True, seed=1)
    x, y = next(iter(ds))
    assert x.shape == (64, 32, 32, 3) and x.dtype.name == "float32" and y.shape == (64, 10)
    assert float(x.numpy().max()) > 1.0  # 0..255 scale: models normalize inside
    batches = list(make_dataset(tiny_data.x_train, tiny_data.y_train, 64, drop_remainder=True))
    assert len(batches) == 3 and batches[0][1].shape == (64,)
    flipped = next(iter(make_dataset(tiny_data.x_train, tiny_data.y_train, 8, augment=lambda im: im[:, :, ::-1])))
    np.testing.assert_array_equal(flipped[0].numpy(), tiny_data.x_train[:8, :, ::-1].astype("float32"))
