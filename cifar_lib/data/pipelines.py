"""tf.data input pipelines: whole-batch work only, no Python per image."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from cifar_lib.data.dataset import NUM_CLASSES


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    augment: Callable | None = None,
    one_hot: bool = True,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches of (float32 images in 0..255, labels): shuffled each epoch, augmented per batch, prefetched.

    ``augment`` is called on whole float batches (a Keras layer gets ``training=True``).
    ``one_hot`` turns integer labels into one-hot rows; labels that are already rows pass through.
    """
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def prepare(images, labels):
        images = tf.cast(images, tf.float32)
        if one_hot and labels.shape.rank == 1:
            labels = tf.one_hot(tf.cast(labels, tf.int32), NUM_CLASSES)
        return images, labels

    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        call = (lambda im: augment(im, training=True)) if hasattr(augment, "built") else augment
        ds = ds.map(lambda im, lb: (call(im), lb), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
