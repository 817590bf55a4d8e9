"""Augmentations keep shape, dtype and range, change images, and are the claimed transforms."""

import numpy as np
import pytest
import tensorflow as tf

from cifar_lib.augment import alternating_flip, baseline_augmentation, fast_augment, random_translate


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (16, 32, 32, 3)).astype("float32")


def test_seed_augmentation_keeps_shape_dtype_range_and_changes_images(batch):
    out = baseline_augmentation(seed=1)(batch, training=True).numpy()
    assert out.shape == batch.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255
    assert not np.allclose(out, batch)
    assert np.allclose(baseline_augmentation(seed=1)(batch, training=False).numpy(), batch)


def test_random_translate_is_a_shift_of_at_most_pad_pixels(batch):
    out = random_translate(batch, pad=2, seed=tf.constant([1, 2])).numpy()
    assert out.shape == batch.shape and out.dtype == np.float32
    padded = np.pad(batch, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
    for img, src in zip(out, padded):
        matches = [
            (dy, dx) for dy in range(5) for dx in range(5) if np.array_equal(img, src[dy : dy + 32, dx : dx + 32])
        ]
        assert matches, "every output is a 32x32 window of the reflect-padded image"
    assert not np.allclose(out, batch)


def test_alternating_flip_flips_each_image_once_per_pair_of_epochs(batch):
    bits = np.array([True, False] * 8)
    even = alternating_flip(batch, bits, 0).numpy()
    odd = alternating_flip(batch, bits, 1).numpy()
    mirrored = batch[:, :, ::-1, :]
    np.testing.assert_array_equal(even[bits], mirrored[bits])
    np.testing.assert_array_equal(even[~bits], batch[~bits])
    np.testing.assert_array_equal(odd[bits], batch[bits])
    np.testing.assert_array_equal(odd[~bits], mirrored[~bits])


def test_fast_augment_is_deterministic_for_a_seed(batch):
    bits = np.zeros(16, bool)
    a = fast_augment(batch, bits, 3, seed=tf.constant([5, 6])).numpy()
    b = fast_augment(batch, bits, 3, seed=tf.constant([5, 6])).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == batch.shape


def test_baseline_flip_does_not_follow_the_rotation():
    """Each random layer has its own seed: with one shared seed the flip came out exactly when the angle was <= 0."""
    from cifar_lib.augment import geometric_augmentation

    layers = geometric_augmentation(15, 0.1, True, seed=0).layers
    seeds = [layer.seed for layer in layers]
    assert len(set(seeds)) == 3
