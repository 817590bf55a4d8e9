"""tf.data input streams for training: the seed project's (Keras layers) and the fast recipe's."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from cifar_lib.augment import fast_augment, baseline_augmentation
from cifar_lib.data import make_dataset


def fast_train_stream(
    images: np.ndarray, labels: np.ndarray, batch_size: int, start_epoch: int, epochs: int, seed: int = 0
) -> tf.data.Dataset:
    """Epochs ``start_epoch..epochs-1`` of shuffled, alternating-flipped, translated batches.

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
            return fast_augment(tf.cast(x, tf.float32), flips, epoch, seed=stateless_seed), y

        return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)

    stream = one_epoch(start_epoch)
    for epoch in range(start_epoch + 1, epochs):
        stream = stream.concatenate(one_epoch(epoch))
    return stream.prefetch(tf.data.AUTOTUNE)


def baseline_train_stream(
    images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int = 0, drop_remainder: bool = False
) -> tf.data.Dataset:
    """Reshuffled every epoch, augmented by the seed project's Keras layers, one epoch per iteration."""
    return make_dataset(
        images, labels, batch_size, shuffle=True, seed=seed, augment=baseline_augmentation(seed),
        one_hot=False, drop_remainder=drop_remainder,
    )


def plain_stream(images: np.ndarray, labels: np.ndarray, batch_size: int, drop_remainder: bool = False) -> tf.data.Dataset:
    """Unaugmented, unshuffled batches (also for evaluation)."""
    return make_dataset(images, labels, batch_size, shuffle=False, one_hot=False, drop_remainder=drop_remainder)
