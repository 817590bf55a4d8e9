"""What does the network look at? Grad-CAM (Selvaraju et al., ICCV 2017) in a few lines of GradientTape.

For a class c and a convolutional layer with feature maps A_k: the weight of map k is the mean
over positions of d(logit_c)/d(A_k); the map is ReLU(sum_k weight_k * A_k), at the layer's
resolution, scaled to 0..1 per image and enlarged to 32x32 for display. Positive values mark
where the layer's features raised the class's logit.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def grad_cam(
    model: keras.Model, images: np.ndarray, classes: np.ndarray | None = None, layer: str = "group2_gelu2"
) -> np.ndarray:
    """Grad-CAM maps (N, 32, 32) in 0..1 for uint8 or 0..255 images, for ``classes`` (default:
    the predicted class of each image), computed at ``layer`` (its name in the model)."""
    try:
        target = model.get_layer(layer)
    except ValueError:
        names = [layer.name for layer in model.layers if len(layer.output.shape) == 4]
        raise ValueError(f"no layer {layer!r} in the model; layers with feature maps: {', '.join(names)}") from None
    probe = keras.Model(model.inputs, [target.output, model.outputs[0]])
    x = tf.convert_to_tensor(np.asarray(images), tf.float32)
    with tf.GradientTape() as tape:
        features, logits = probe(x, training=False)
        chosen = tf.argmax(logits, axis=1) if classes is None else tf.convert_to_tensor(classes, tf.int64)
        score = tf.gather(logits, chosen, axis=1, batch_dims=1)
    grads = tape.gradient(score, features)  # d score / d A, shape (N, h, w, k)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1, keepdims=True))
    cam = tf.image.resize(cam, x.shape[1:3], method="bilinear")[..., 0].numpy()
    peak = cam.reshape(len(cam), -1).max(axis=1)[:, None, None]
    return np.divide(cam, peak, out=np.zeros_like(cam), where=peak > 0)


def cover(images: np.ndarray, maps: np.ndarray, share: float = 0.25, most: bool = True, seed: int = 0) -> np.ndarray:
    """``images`` with ``share`` of each image's pixels replaced by its mean colour: the pixels its map
    marks most (``most``) or least. Exactly that many pixels per image; ties (for example the zeros
    after Grad-CAM's ReLU) are broken at random, so no region is favoured."""
    flat = maps.reshape(len(maps), -1).astype(float)
    jitter = np.random.default_rng(seed).random(flat.shape) * 1e-9
    order = np.argsort(-(flat + jitter) if most else flat + jitter, axis=1)
    k = int(round(share * flat.shape[1]))
    pick = np.zeros(flat.shape, dtype=bool)
    np.put_along_axis(pick, order[:, :k], True, axis=1)
    images = np.asarray(images, dtype=np.float32)
    return np.where(pick.reshape(maps.shape)[..., None], images.mean(axis=(1, 2), keepdims=True), images)
