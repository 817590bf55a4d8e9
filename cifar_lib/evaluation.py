"""Prediction with test-time augmentation (TTA) and accuracy.

TTA levels (airbench): "none"; "mirror" averages the image and its mirror; "mirror_translate"
adds the 1-pixel shifts up-left and down-right (each with its mirror): 6 views, weights 0.5
for the unshifted pair and 0.25 for each shifted pair. Views are averaged as logits (or
log-probabilities for a softmax model: the same thing up to a per-image constant).
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from cifar_lib.augment import mirror  # the same flip as in training (notebook 5 uses evaluation.mirror)

TTA_LEVELS = ("none", "mirror", "mirror_translate")


def load_model(path: str) -> keras.Model:
    """Load a saved model (``.keras``) for inference, without its optimizer (custom layers: cifar_lib.models)."""
    import cifar_lib.models  # noqa: F401  (registers Whitening, DiracInit)

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - a truncated zip, a foreign file, a missing custom layer...
        raise ValueError(f"{path}: not a readable Keras model ({type(exc).__name__}: {exc})") from None


def translate(images: tf.Tensor, dy: int, dx: int) -> tf.Tensor:
    """Shift an NHWC batch by (dy, dx) pixels (positive: down/right), filling from a reflect pad."""
    pad = max(abs(dy), abs(dx))
    h, w = images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    return padded[:, pad - dy : pad - dy + h, pad - dx : pad - dx + w, :]


def _check_tta(tta: str) -> None:
    if tta not in TTA_LEVELS:
        raise ValueError(f"unknown tta level {tta!r}; choose one of {TTA_LEVELS}")


def tta_views(images: tf.Tensor, tta: str = "none") -> list[tuple[tf.Tensor, float]]:
    """The (view, weight) pairs that level ``tta`` averages; weights sum to 1."""
    _check_tta(tta)
    if tta == "none":
        return [(images, 1.0)]
    views = [(images, 0.5), (mirror(images), 0.5)]
    if tta == "mirror":
        return views
    shifted = []
    for dy, dx in ((-1, -1), (1, 1)):
        moved = translate(images, dy, dx)
        shifted += [(moved, 0.125), (mirror(moved), 0.125)]
    return [(view, 0.25) for view, _ in views] + shifted


def predict(model: keras.Model, images: np.ndarray, tta: str = "none", batch_size: int = 500) -> np.ndarray:
    """Class probabilities (N, 10) for uint8 or 0..255 float images, averaged over the TTA views."""
    from cifar_lib.models import outputs_logits

    logits_model = outputs_logits(model)
    out = []
    for start in range(0, len(images), batch_size):
        batch = tf.convert_to_tensor(images[start : start + batch_size], tf.float32)
        total = 0.0
        for view, weight in tta_views(batch, tta):
            y = model(view, training=False)
            total += weight * (y if logits_model else tf.math.log(tf.maximum(y, 1e-12)))
        out.append(tf.nn.softmax(total).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.output_shape[-1]), "float32")


def evaluate(
    model: keras.Model, images: np.ndarray, labels: np.ndarray, tta: str = "none", batch_size: int = 500
) -> dict:
    """Accuracy (and the predictions behind it) of ``model`` on labelled images."""
    images, labels = np.asarray(images), np.asarray(labels)
    _check_tta(tta)
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise ValueError(f"images must have shape (N, 32, 32, 3), got {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"{len(images)} images but labels of shape {labels.shape}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    probabilities = predict(model, images, tta=tta, batch_size=batch_size)
    predicted = probabilities.argmax(axis=1)
    return {
        "accuracy": float(np.mean(predicted == np.asarray(labels))),
        "n": int(len(labels)),
        "tta": tta,
        "predicted": predicted,
        "probabilities": probabilities,
    }
