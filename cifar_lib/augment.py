"""Data augmentation for both recipes, run on whole batches inside tf.data.

- baseline: the original ImageDataGenerator settings rebuilt from Keras 3 preprocessing layers
  (ImageDataGenerator is gone from Keras 3).
- fast: airbench's 2-pixel reflect-padded random crop and "alternating flip".
"""

from __future__ import annotations

import keras
import tensorflow as tf


def baseline_augmentation(
    seed: int | None = None, rotation_degrees: float = 15, shift_fraction: float = 0.1
) -> keras.Sequential:
    """The seed project's: rotation up to 15 degrees, shifts up to 10%, random horizontal flip (fill 'nearest').

    A run takes the two strengths from its recipe (``rotation_degrees``, ``shift_fraction``).
    """
    return geometric_augmentation(rotation_degrees, shift_fraction, flip=True, seed=seed, name="baseline_augmentation")


def geometric_augmentation(
    rotation_degrees: float,
    shift_fraction: float,
    flip: bool,
    seed: int | None = None,
    name: str = "geometric_augmentation",
) -> keras.Sequential:
    """Random rotation up to ``rotation_degrees``, shifts up to ``shift_fraction`` of the image, and a
    random horizontal flip when ``flip``; empty corners take the nearest edge pixel. A strength of 0
    leaves that transform out. The baseline recipe's augmentation is (15, 0.1, True)."""
    # one seed per layer: layers given the same seed draw in step (the flip would follow the angle's sign)
    seeds = (None, None, None) if seed is None else (seed, seed + 1, seed + 2)
    layers = []
    if rotation_degrees:
        layers.append(keras.layers.RandomRotation(rotation_degrees / 360, fill_mode="nearest", seed=seeds[0]))
    if shift_fraction:
        layers.append(
            keras.layers.RandomTranslation(shift_fraction, shift_fraction, fill_mode="nearest", seed=seeds[1])
        )
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seeds[2]))
    return keras.Sequential(layers, name=name)


def preview_draws(
    images,
    draws: int,
    rotation_degrees: float = 0.0,
    shift_fraction: float = 0.0,
    flip: bool = False,
    pad: int = 0,
    seed: int = 0,
) -> list:
    """``draws`` augmented versions of ``images`` (NumPy, 0..255 floats) for a preview.

    The geometric transforms first, then (``pad`` > 0) the fast recipe's reflect-padded random
    crop. The same ``seed`` gives the same random draws, so changing one strength changes only
    what that strength does: notebook 2's sliders redraw the same images this way.
    """
    geometric = geometric_augmentation(rotation_degrees, shift_fraction, flip, seed=seed)
    out = []
    for k in range(draws):
        batch = geometric(images, training=True) if geometric.layers else tf.convert_to_tensor(images)
        if pad:
            batch = random_translate(batch, pad=pad, seed=tf.constant([seed, k]))
        out.append(keras.ops.convert_to_numpy(batch))
    return out


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


def fast_augment(
    images: tf.Tensor, flip_bits: tf.Tensor, epoch, pad: int = 2, seed: tf.Tensor | None = None
) -> tf.Tensor:
    """The fast recipe's augmentation of one batch: alternating flip, then random translate."""
    return random_translate(alternating_flip(images, flip_bits, epoch), pad=pad, seed=seed)
