"""Data augmentation for both recipes, run on whole batches inside tf.data.

- seed: the original ImageDataGenerator settings rebuilt from Keras 3 preprocessing layers
  (ImageDataGenerator is gone from Keras 3).
- fast: airbench's 2-pixel reflect-padded random crop and "alternating flip".
"""

from __future__ import annotations

import keras
import tensorflow as tf

ROTATION_DEGREES = 15
SHIFT_FRACTION = 0.1


def baseline_augmentation(seed: int | None = None) -> keras.Sequential:
    """Rotation up to 15 degrees, shifts up to 10%, random horizontal flip (fill 'nearest', as before)."""
    return keras.Sequential(
        [
            keras.layers.RandomRotation(ROTATION_DEGREES / 360, fill_mode="nearest", seed=seed),
            keras.layers.RandomTranslation(SHIFT_FRACTION, SHIFT_FRACTION, fill_mode="nearest", seed=seed),
            keras.layers.RandomFlip("horizontal", seed=seed),
        ],
        name="baseline_augmentation",
    )


def random_translate(images: tf.Tensor, pad: int = 2, seed: tf.Tensor | None = None) -> tf.Tensor:
    """Shift each image by up to ``pad`` pixels: reflect-pad, then a random crop per image.

    ``seed``: optional stateless seed, shape (2,) int32/int64, for reproducible draws.
    """
    images = tf.convert_to_tensor(images)
    n, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    if seed is None:
        offsets = tf.random.uniform((n, 2), 0, 2 * pad + 1, dtype=tf.int32)
    else:
        offsets = tf.random.stateless_uniform((n, 2), seed, 0, 2 * pad + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(h)[None, :]
    cols = offsets[:, 1:] + tf.range(w)[None, :]
    cropped = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(cropped, cols, axis=2, batch_dims=1)


def mirror(images: tf.Tensor) -> tf.Tensor:
    """Left-right flip of an NHWC batch."""
    return tf.reverse(images, axis=[2])


def alternating_flip(images: tf.Tensor, flip_bits: tf.Tensor, epoch) -> tf.Tensor:
    """Flip image i when ``flip_bits[i] XOR (epoch is odd)``.

    Epoch 0 flips a random half; every odd epoch flips the whole set relative to that, so
    each image is seen both ways in every pair of epochs (less redundancy than coin flips).
    """
    odd = tf.cast(tf.math.floormod(tf.cast(epoch, tf.int64), 2), tf.bool)
    flip = tf.math.logical_xor(tf.cast(flip_bits, tf.bool), odd)
    return tf.where(flip[:, None, None, None], mirror(images), images)


def fast_augment(images: tf.Tensor, flip_bits: tf.Tensor, epoch, pad: int = 2, seed: tf.Tensor | None = None) -> tf.Tensor:
    """The fast recipe's augmentation of one batch: alternating flip, then random translate."""
    return random_translate(alternating_flip(images, flip_bits, epoch), pad=pad, seed=seed)
