"""Common corruptions of test images at five severities, in the spirit of CIFAR-10-C.

Hendrycks & Dietterich (ICLR 2019) published CIFAR-10-C: the test set under 15 corruptions at
5 severities, plus 4 extra ones. It cannot be downloaded here, so six of them (five of the 15
and the extra Gaussian blur) are regenerated from the test images with the severity constants
of their CIFAR generation code (32x32 images), in NumPy, SciPy, Pillow and matplotlib's colour
conversion. Every function takes uint8 images (N, 32, 32, 3)
and returns uint8 images; the random ones take a seed.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from matplotlib.colors import hsv_to_rgb, rgb_to_hsv
from PIL import Image
from scipy.ndimage import gaussian_filter

SEVERITIES = (1, 2, 3, 4, 5)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """Floats in 0..1 to uint8 pixels (rounded, clipped)."""
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def gaussian_noise(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation 0.04..0.10 (in units of the 0..1 pixel range)."""
    scale = (0.04, 0.06, 0.08, 0.09, 0.10)[severity - 1]
    x = images / 255.0
    return _to_uint8(x + np.random.default_rng(seed).normal(scale=scale, size=x.shape))


def gaussian_blur(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Blur each channel with a Gaussian of sigma 0.4..1 pixels."""
    sigma = (0.4, 0.6, 0.7, 0.8, 1.0)[severity - 1]
    return _to_uint8(gaussian_filter(images / 255.0, sigma=(0, sigma, sigma, 0), mode="nearest"))


def contrast(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Pull every pixel towards its image's mean colour, keeping 0.75..0.15 of the difference."""
    keep = (0.75, 0.5, 0.4, 0.3, 0.15)[severity - 1]
    x = images / 255.0
    means = x.mean(axis=(1, 2), keepdims=True)
    return _to_uint8((x - means) * keep + means)


def brightness(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Raise the HSV value (brightness) of every pixel by 0.05..0.3."""
    lift = (0.05, 0.1, 0.15, 0.2, 0.3)[severity - 1]
    hsv = rgb_to_hsv(images / 255.0)
    hsv[..., 2] = np.clip(hsv[..., 2] + lift, 0, 1)
    return _to_uint8(hsv_to_rgb(hsv))


def jpeg(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Re-encode every image as a JPEG of quality 80..40 (Pillow, its default 4:2:0 chroma)."""
    quality = (80, 65, 58, 50, 40)[severity - 1]
    out = np.empty_like(images)
    for i, image in enumerate(images):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality)
        out[i] = np.asarray(Image.open(buffer).convert("RGB"))
    return out


def pixelate(images: np.ndarray, severity: int, seed: int = 0) -> np.ndarray:
    """Shrink to 0.95..0.65 of the side (box filter) and enlarge back to 32x32: coarser pixels."""
    factor = (0.95, 0.9, 0.85, 0.75, 0.65)[severity - 1]
    side = int(32 * factor)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        small = Image.fromarray(image).resize((side, side), Image.BOX)
        out[i] = np.asarray(small.resize((32, 32), Image.BOX))
    return out


CORRUPTIONS: dict[str, Callable[..., np.ndarray]] = {
    "gaussian noise": gaussian_noise,
    "gaussian blur": gaussian_blur,
    "contrast": contrast,
    "brightness": brightness,
    "jpeg": jpeg,
    "pixelate": pixelate,
}


def corrupt(images: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """``images`` under corruption ``name`` (a key of CORRUPTIONS) at ``severity`` 1..5."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; known: {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 images of shape (N, H, W, 3), got {images.dtype} {images.shape}")
    return CORRUPTIONS[name](images, severity, seed)
