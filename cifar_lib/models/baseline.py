"""The baseline CNN, the seed project's network layer for layer: 7,281,802 parameters, softmax output."""

from __future__ import annotations

import keras
from keras import layers, regularizers

from cifar_lib.data.dataset import IMAGE_SHAPE

L2 = 1e-4


def _conv(filters: int) -> layers.Conv2D:
    return layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_regularizer=regularizers.l2(L2))


def build_baseline_model(num_classes: int = 10) -> keras.Model:
    """The seed project's Sequential CNN; a Rescaling(1/255) in front does its /255 normalization."""
    return keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            layers.Rescaling(1.0 / 255, name="normalize"),
            _conv(128),
            layers.MaxPooling2D(2),
            layers.Dropout(0.3),
            _conv(256),
            layers.MaxPooling2D(2),
            layers.Dropout(0.3),
            _conv(512),
            _conv(512),
            _conv(256),
            layers.MaxPooling2D(2),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax", name="probabilities", dtype="float32"),
        ],
        name="baseline",
    )
