"""Model registry: ``build_model(name)`` returns a fresh Keras model.

Every model takes float images in 0..255 of shape (32, 32, 3) and normalizes them
inside itself, so a saved model is self-contained: feed it pixels, get predictions.
"""

from __future__ import annotations

from collections.abc import Callable

from cifar_lib.models.baseline import build_baseline_model
from cifar_lib.models.fast import build_fast_model

_REGISTRY: dict[str, Callable[..., object]] = {
    "baseline": build_baseline_model,
    "fast": build_fast_model,
}
MODEL_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def build_model(name: str, **kwargs):
    """Build the model called ``name`` ("baseline" or "fast"); kwargs go to its builder."""
    try:
        builder = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))}") from None
    return builder(**kwargs)


def outputs_logits(model) -> bool:
    """True when the model ends in logits, False when it ends in a softmax."""
    import keras

    activation = getattr(model.layers[-1], "activation", None)
    return activation is not keras.activations.softmax


def flops_per_image(model) -> int:
    """Rough forward-pass FLOPs per image (2 x multiply-adds of conv and dense layers)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) or getattr(layer, "is_convolution", False):
            kernel = layer.kernel if hasattr(layer, "kernel") else layer.weights[0]
            kh, kw, cin, cout = kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * cin * cout
        elif isinstance(layer, keras.layers.Dense):
            cin, cout = layer.kernel.shape
            total += 2 * cin * cout
    return int(total)


__all__ = ["MODEL_NAMES", "build_model", "outputs_logits", "flops_per_image"]
