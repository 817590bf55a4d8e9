"""Your own photos through a CIFAR-10 model: any image file -> the 32x32 input it sees -> its top classes.

A photo becomes the model's input in three steps: RGB (a transparent background becomes
white), the largest centred square (the model was trained on square images; squashing a
wide photo would distort its shapes), then 32x32 pixels by area averaging (Pillow's BOX
filter: each output pixel is the mean of the input pixels it covers, so nothing is skipped).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cifar_lib.data import CLASS_NAMES

INPUT_SIZE = 32
WHITE = (255, 255, 255)


def to_model_input(image: Image.Image) -> np.ndarray:
    """The (32, 32, 3) uint8 array the model sees: upright, RGB on white, centre square, area-averaged to 32x32."""
    image = ImageOps.exif_transpose(image)  # a phone photo stored sideways, turned the way it is shown
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, WHITE + (255,)), rgba)
    image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return np.asarray(square.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BOX), dtype=np.uint8)


def _image_files(folder: Path) -> list[Path]:
    """A folder's image files by name (suffixes Pillow knows), not its subfolders."""
    known = Image.registered_extensions()
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in known and not p.name.startswith(".")
    )


def _read(path: str) -> np.ndarray:
    """One file as the model's input; OSError or ValueError with the reason when it is not a readable image."""
    with Image.open(path) as image:
        return to_model_input(image)


def _expand(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, np.ndarray | None, str | None]]:
    """(path, array, None) or (path, None, error) per file, in the order given, folders expanded."""
    if isinstance(paths, (str, os.PathLike)):  # one path, not its characters
        paths = [paths]
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _image_files(path)
            if not files:
                yield str(path), None, f"{path}: no image files"
            for file in files:
                yield _attempt(str(file))
        elif not path.exists():
            yield str(path), None, f"{path}: no such file or folder"
        else:
            yield _attempt(str(path))


def _attempt(path: str) -> tuple[str, np.ndarray | None, str | None]:
    try:
        return path, _read(path), None
    except UnidentifiedImageError:
        return path, None, f"{path}: not an image (Pillow cannot identify the file's format)"
    except PermissionError as exc:
        return path, None, f"{path}: cannot be read ({exc.strerror})"
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:  # truncated, damaged, huge
        return path, None, f"{path}: not an image ({exc})"


def load_images(paths: Iterable[str | os.PathLike]) -> tuple[list[tuple[str, np.ndarray]], list[tuple[str, str]]]:
    """Files and folders (their image files, sorted, not recursive) -> ([(path, 32x32x3 array)], [(path, error)])."""
    images, errors = [], []
    for path, array, error in _expand(paths):
        if error is None:
            images.append((path, array))
        else:
            errors.append((path, error))
    return images, errors


def check_top(top: int) -> None:
    """``top`` must be 1..10 (CIFAR-10 has 10 classes)."""
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= len(CLASS_NAMES):
        raise ValueError(f"top must be a whole number from 1 to {len(CLASS_NAMES)}, got {top!r}")


def predict_images(model, paths: Iterable[str | os.PathLike], tta: str = "none", top: int = 3) -> list[dict]:
    """Per file, in order: {"path", "top": [{"class", "probability"}, ...]}, or {"path", "error"} when unreadable."""
    from cifar_lib.evaluation import TTA_LEVELS, predict

    if tta not in TTA_LEVELS:
        raise ValueError(f"unknown tta level {tta!r}; choose one of {TTA_LEVELS}")
    check_top(top)
    if model.output_shape[-1] != len(CLASS_NAMES):
        raise ValueError(f"the model has {model.output_shape[-1]} outputs; a CIFAR-10 model has {len(CLASS_NAMES)}")
    entries = list(_expand(paths))
    readable = [array for _, array, error in entries if error is None]
    probabilities = iter(predict(model, np.stack(readable), tta=tta)) if readable else iter(())
    results = []
    for path, _, error in entries:
        if error is not None:
            results.append({"path": path, "error": error})
            continue
        p = next(probabilities)
        best = np.argsort(-p, kind="stable")[:top]
        results.append({"path": path, "top": [{"class": CLASS_NAMES[i], "probability": float(p[i])} for i in best]})
    return results


def format_result(result: dict) -> str:
    """One line: "photo.jpg: cat 71.2%, dog 20.1%, deer 3.0%" (or the file's error)."""
    if "error" in result:
        return result["error"]
    return f"{result['path']}: " + ", ".join(f"{t['class']} {t['probability']:.1%}" for t in result["top"])
