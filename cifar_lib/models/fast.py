"""The fast ("airbench94"-style) network, in Keras.

Frozen 2x2 whitening conv -> GELU -> three conv groups (64, 256, 256) -> maxpool 3 ->
dense 10 without bias -> x 1/9. Source: Keller Jordan, airbench (2024), github.com/KellerJordan/cifar10-airbench;
the hyperparameters are listed in docs/airbench94.md.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from cifar_lib.data.dataset import CIFAR_MEAN, CIFAR_STD, IMAGE_SHAPE

WIDTHS = (64, 256, 256)


def torch_default_init() -> keras.initializers.Initializer:
    """PyTorch's default conv/linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    return keras.initializers.VarianceScaling(scale=1.0 / 3, mode="fan_in", distribution="uniform")


@keras.saving.register_keras_serializable(package="cifar_lib")
class DiracInit(keras.initializers.Initializer):
    """Default init, then an identity (Dirac) kernel in the first ``in_channels`` filters."""

    def __init__(self, seed: int | None = None):
        del seed  # unused; accepted because the published models' configs carry it

    def __call__(self, shape, dtype=None):
        kh, kw, cin, cout = shape
        base = keras.ops.convert_to_numpy(torch_default_init()(shape, dtype="float32"))
        n = min(cin, cout)
        base[:, :, :, :n] = 0.0
        base[kh // 2, kw // 2, np.arange(n), np.arange(n)] = 1.0
        return keras.ops.convert_to_tensor(base, dtype=dtype or "float32")

    def get_config(self) -> dict:
        return {}


@keras.saving.register_keras_serializable(package="cifar_lib")
class Whitening(layers.Layer):
    """2x2 conv whose kernel whitens image patches; kernel frozen, bias trainable.

    ``init_from_images`` sets the kernel from the eigenvectors of the patch covariance.
    """

    is_convolution = True

    def __init__(self, kernel_size: int = 2, eps: float = 5e-4, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.eps = eps

    def build(self, input_shape):
        k, cin = self.kernel_size, input_shape[-1]
        filters = 2 * k * k * cin
        self.kernel = self.add_weight(name="kernel", shape=(k, k, cin, filters), initializer="zeros", trainable=False)
        self.bias = self.add_weight(name="bias", shape=(filters,), initializer="zeros", trainable=True)

    def call(self, x):
        return ops.conv(x, self.kernel, padding="valid") + self.bias

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        k = self.kernel_size
        return (n, None if h is None else h - k + 1, None if w is None else w - k + 1, self.kernel.shape[-1])

    def init_from_images(self, images: np.ndarray) -> None:
        """Set the kernel from normalized NHWC float images (a few thousand are enough)."""
        patches = patch_matrix(images, self.kernel_size)
        eigenvalues, eigenvectors = np.linalg.eigh(patches.T @ patches / len(patches))
        scaled = eigenvectors / np.sqrt(eigenvalues + self.eps)  # column i: i-th eigen-filter
        k, cin = self.kernel_size, images.shape[-1]
        filters = scaled.T[::-1].reshape(-1, k, k, cin).transpose(1, 2, 3, 0)  # largest first
        self.kernel.assign(np.concatenate([filters, -filters], axis=-1).astype("float32"))

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_size": self.kernel_size, "eps": self.eps}


def patch_matrix(images: np.ndarray, k: int) -> np.ndarray:
    """All k x k patches of NHWC images as rows, flattened in (row, col, channel) order."""
    n, h, w, c = images.shape
    windows = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))  # n,h',w',c,k,k
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * c).astype("float64")


def _batch_norm(name: str, momentum: float, epsilon: float) -> layers.BatchNormalization:
    # built under a tf.distribute strategy with several replicas, the statistics are those of the
    # global batch (all-reduced), as on one device; on one device nothing changes
    return layers.BatchNormalization(
        momentum=momentum,
        epsilon=epsilon,
        scale=False,
        name=name,
        synchronized=tf.distribute.get_strategy().num_replicas_in_sync > 1,
    )


def _conv(filters: int, name: str) -> layers.Conv2D:
    return layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=DiracInit(), name=name)


def _conv_group(x, filters: int, index: int, **norm):
    x = _conv(filters, f"group{index}_conv1")(x)
    x = layers.MaxPooling2D(2, name=f"group{index}_pool")(x)
    x = _batch_norm(f"group{index}_norm1", **norm)(x)
    x = layers.Activation("gelu", name=f"group{index}_gelu1")(x)
    x = _conv(filters, f"group{index}_conv2")(x)
    x = _batch_norm(f"group{index}_norm2", **norm)(x)
    return layers.Activation("gelu", name=f"group{index}_gelu2")(x)


def build_fast_model(
    num_classes: int = 10,
    widths: tuple[int, int, int] = WIDTHS,
    whiten_kernel: int = 2,
    whiten_eps: float = 5e-4,
    bn_momentum: float = 0.6,
    bn_epsilon: float = 1e-12,
    logit_scale: float = 1 / 9,
) -> keras.Model:
    """The airbench94 network; call ``whitening_layer(model).init_from_images`` before training.

    The defaults are airbench94's; a run takes them from its recipe (``Recipe.model_options``).
    """
    inputs = keras.Input(shape=IMAGE_SHAPE)
    mean = np.array(CIFAR_MEAN) * 255
    std = np.array(CIFAR_STD) * 255
    x = layers.Normalization(mean=mean, variance=std**2, name="normalize")(inputs)
    x = Whitening(whiten_kernel, whiten_eps, name="whiten")(x)
    x = layers.Activation("gelu", name="whiten_gelu")(x)
    for index, width in enumerate(widths, start=1):
        x = _conv_group(x, width, index, momentum=bn_momentum, epsilon=bn_epsilon)
    x = layers.MaxPooling2D(3, name="head_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, use_bias=False, kernel_initializer=torch_default_init(), name="head")(x)
    outputs = layers.Rescaling(logit_scale, name="logits", dtype="float32")(x)  # float32 logits under mixed precision
    return keras.Model(inputs, outputs, name="fast")


def whitening_layer(model: keras.Model) -> Whitening:
    """The model's whitening layer."""
    return model.get_layer("whiten")
