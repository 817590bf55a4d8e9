"""The real local copy (CIFAR10_DATA): sizes, balance, and a fast second load."""

import time

import numpy as np
import pytest

from cifar_lib.data import load_cifar10


@pytest.mark.real_data
@pytest.mark.slow
def test_real_local_copy(real_data_path):
    data = load_cifar10(real_data_path)
    assert data.x_train.shape == (50000, 32, 32, 3) and data.x_test.shape[1:] == (32, 32, 3)
    assert data.x_train.dtype == np.uint8
    assert list(np.bincount(data.y_train, minlength=10)) == [5000] * 10
    # the JPEG copy holds half of the official test set (500 per class); the official one 1,000
    per_class_test = len(data.y_test) // 10
    assert per_class_test in (500, 1000) and list(np.bincount(data.y_test, minlength=10)) == [per_class_test] * 10
    start = time.perf_counter()
    again = load_cifar10(real_data_path)
    print(f"second load: {time.perf_counter() - start:.2f} s")
    np.testing.assert_array_equal(again.y_train, data.y_train)
