"""tf.data input streams, the project's only tf.data code: the baseline's, the fast recipes', plain batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from cifar_lib.augment import baseline_augmentation, fast_augment


def fast_train_stream(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    start_epoch: int,
    epochs: int,
    seed: int = 0,
    pad: int = 2,
) -> tf.data.Dataset:
    """Epochs ``start_epoch..epochs-1`` of shuffled, alternating-flipped batches, shifted up to ``pad`` pixels.

    The flip bits and every random draw derive from ``seed`` and the epoch number, so a
    resumed run sees exactly the batches an uninterrupted run would have seen.
    """
    n = len(images)
    flip_bits = np.random.default_rng(seed).integers(0, 2, n).astype(bool)
    base = tf.data.Dataset.from_tensor_slices((images, labels, flip_bits))

    def one_epoch(epoch: int) -> tf.data.Dataset:
        epoch_seed = seed * 1000 + epoch  # one seed per (run seed, epoch): the shuffle and the crops
        ds = base.shuffle(n, seed=epoch_seed, reshuffle_each_iteration=False)
        ds = ds.batch(batch_size, drop_remainder=True).enumerate()

        def augment(step, batch):
            x, y, flips = batch
            stateless_seed = tf.stack([tf.constant(epoch_seed, tf.int64), step])
            return fast_augment(tf.cast(x, tf.float32), flips, epoch, pad=pad, seed=stateless_seed), y

        return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)

    stream = one_epoch(start_epoch)
    for epoch in range(start_epoch + 1, epochs):
        stream = stream.concatenate(one_epoch(epoch))
    return stream.prefetch(tf.data.AUTOTUNE)


def baseline_train_stream(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    seed: int = 0,
    drop_remainder: bool = False,
    rotation_degrees: float = 15,
    shift_fraction: float = 0.1,
) -> tf.data.Dataset:
    """Reshuffled every epoch, augmented by the seed project's Keras layers, one epoch per iteration."""
    augment = baseline_augmentation(seed, rotation_degrees, shift_fraction)
    return make_dataset(
        images, labels, batch_size, shuffle=True, seed=seed, augment=augment, drop_remainder=drop_remainder
    )


def plain_stream(
    images: np.ndarray, labels: np.ndarray, batch_size: int, drop_remainder: bool = False
) -> tf.data.Dataset:
    """Unaugmented, unshuffled batches (also for evaluation)."""
    return make_dataset(images, labels, batch_size, shuffle=False, drop_remainder=drop_remainder)


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    augment: Callable | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches of (float32 images in 0..255, labels as given): reshuffled each epoch, augmented per batch, prefetched.

    ``augment`` is called on whole float batches (a Keras layer gets ``training=True``).
    """
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda im, lb: (tf.cast(im, tf.float32), lb), num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        call = (lambda im: augment(im, training=True)) if hasattr(augment, "built") else augment
        ds = ds.map(lambda im, lb: (call(im), lb), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
