"""Exports that run without Keras or cifar_lib: a TensorFlow SavedModel, LiteRT (.tflite) and ONNX, and their runtimes.

    export_model(model, "litert", "quick.tflite")   # Keras' own model.export, checked in its runtime
    run = load_exported("quick.tflite")             # LiteRT's interpreter; no TensorFlow, no custom layers
    logits = run(images)                            # float32 NHWC 0..255 in, the model's outputs out

The ONNX export calls tf2onnx itself: Keras' own ONNX export (tf2onnx 1.17) leaves the exact
GELU's ``Erfc`` op unconverted and feeds the normalization constants as extra model inputs,
which onnxruntime refuses. ``tf2onnx.convert.from_keras`` with a handler that writes
Erfc(x) as 1 - Erf(x) (ONNX has Erf) gives a model with one input that onnxruntime runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

FORMATS = ("saved_model", "litert", "onnx")
_KERAS_FORMATS = {"saved_model": "tf_saved_model", "litert": "litert"}
_SUFFIXES = {"litert": ".tflite", "onnx": ".onnx"}
_RUNTIMES = {"saved_model": "TensorFlow", "litert": "LiteRT", "onnx": "onnxruntime"}
_PACKAGES = {"ai_edge_litert": "ai-edge-litert", "onnxruntime": "onnxruntime", "tf2onnx": "tf2onnx", "onnx": "onnx"}
CHECK_IMAGES = 4


class ExportError(ValueError):
    """A format cannot be produced for this model; the message says which format and why."""


def export_format(path: str | os.PathLike) -> str:
    """The format of an export on disk: a SavedModel folder, a .tflite or an .onnx file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return "saved_model"
    for fmt, suffix in _SUFFIXES.items():
        if path.is_file() and path.suffix.lower() == suffix:
            return fmt
    raise ValueError(f"{path}: not an export (a SavedModel folder, a .tflite or an .onnx file)")


def size_on_disk(path: str | os.PathLike) -> int:
    """Bytes of a file, or of all files in a folder (a SavedModel)."""
    path = Path(path)
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def check_destination(fmt: str, out: str | os.PathLike) -> None:
    """Refuse an unknown format, a wrong file name, or a destination that is something else (before any work)."""
    out = Path(out)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in _SUFFIXES and out.suffix.lower() != _SUFFIXES[fmt]:
        raise ValueError(f"{out}: the {fmt} format writes one file named *{_SUFFIXES[fmt]}")
    if fmt == "saved_model" and out.is_file():
        raise ValueError(f"{out}: exists and is not a folder")
    if fmt == "saved_model" and out.is_dir() and any(out.iterdir()) and not (out / "saved_model.pb").is_file():
        raise ValueError(f"{out}: exists and is not a SavedModel folder; choose a new name")
    if fmt in _SUFFIXES and out.is_dir():
        raise ValueError(f"{out}: exists and is a folder")


def _erfc_as_one_minus_erf(ctx, node, name, args) -> None:
    """tf2onnx handler: TensorFlow's Erfc(x) (in the exact GELU) as 1 - Erf(x), ONNX having Erf."""
    from tf2onnx import utils

    node.type = "Erf"
    dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.output[0]))
    one = ctx.make_const(utils.make_name(f"{name}_one"), np.array(1, dtype=dtype))
    ctx.insert_new_node_on_output("Sub", node.output[0], inputs=[one.output[0], node.output[0]])


def _write(model, fmt: str, path: Path) -> None:
    if fmt == "onnx":
        import tensorflow as tf
        import tf2onnx

        signature = [tf.TensorSpec((None, *model.input_shape[1:]), tf.float32, name="images")]
        tf2onnx.convert.from_keras(
            model,
            input_signature=signature,
            output_path=str(path),
            custom_op_handlers={"Erfc": (_erfc_as_one_minus_erf, [])},
        )
    else:
        model.export(str(path), format=_KERAS_FORMATS[fmt], verbose=False)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _missing(fmt: str, exc: ImportError) -> ExportError:
    package = _PACKAGES.get((exc.name or "").split(".")[0], exc.name)
    return ExportError(f"{fmt}: needs the {package} package (pip install {package})")


def check_export(model, path: str | os.PathLike, n: int = CHECK_IMAGES) -> float:
    """Run an export in its own runtime on ``n`` random images; its largest |difference| from the Keras outputs."""
    fmt = export_format(path)
    shape = tuple(d or 32 for d in model.input_shape[1:])
    images = np.random.default_rng(0).integers(0, 256, (n, *shape)).astype("float32")
    try:
        got = np.asarray(_RUNNERS[fmt](os.fspath(path))(images))  # the runtime's own words when it refuses
    except ImportError as exc:
        raise _missing(fmt, exc) from None
    except Exception as exc:  # noqa: BLE001 - whatever the runtime refuses, said in one line
        raise ExportError(f"{fmt}: the export does not run in {_RUNTIMES[fmt]} ({_first_line(exc)})") from None
    expected = np.asarray(model(images, training=False))
    if got.shape != expected.shape:
        raise ExportError(f"{fmt}: the export gives outputs of shape {got.shape}, Keras {expected.shape}")
    diff = float(np.max(np.abs(got - expected)))
    if not diff <= 1e-3 * max(1.0, float(np.max(np.abs(expected)))):
        raise ExportError(f"{fmt}: the export's outputs differ from Keras' by up to {diff:.3g}")
    return diff


def _produce(model, fmt: str, path: Path) -> None:
    try:
        _write(model, fmt, path)
    except ImportError as exc:
        raise _missing(fmt, exc) from None
    except Exception as exc:  # noqa: BLE001 - a converter's failure, as one line
        raise ExportError(f"{fmt}: the model cannot be exported ({_first_line(exc)})") from None
    check_export(model, path)


def export_model(model, fmt: str, out: str | os.PathLike) -> Path:
    """Export ``model`` as ``fmt`` (one of FORMATS) to ``out``, checked in its runtime; replaces an existing export."""
    out = Path(out)
    check_destination(fmt, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.stem}.partial-{os.getpid()}{out.suffix}")  # nothing half-written under `out`
    _remove(partial)
    try:
        _produce(model, fmt, partial)
    except BaseException:
        _remove(partial)
        raise
    _remove(out)
    os.replace(partial, out)
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _saved_model_runner(path: str) -> Callable[[np.ndarray], np.ndarray]:
    import tensorflow as tf

    loaded = tf.saved_model.load(path)  # kept by `run`: its variables die with it
    signature = None if hasattr(loaded, "serve") else loaded.signatures["serving_default"]  # not Keras': one output

    def run(x: np.ndarray) -> np.ndarray:
        if signature is None:
            return loaded.serve(tf.constant(x)).numpy()
        return next(iter(signature(tf.constant(x)).values())).numpy()

    return run


def _litert_runner(path: str) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    interpreter = Interpreter(model_path=path, num_threads=cores)  # all cores, as TensorFlow and onnxruntime use
    inp, outp = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    shape: list[tuple[int, ...]] = [()]

    def run(x: np.ndarray) -> np.ndarray:
        if x.shape != shape[0]:  # the batch size changed: resize the input and plan the memory again
            interpreter.resize_tensor_input(inp, x.shape, strict=True)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        return interpreter.get_tensor(outp)

    return run


def _onnx_runner(path: str) -> Callable[[np.ndarray], np.ndarray]:
    import onnxruntime

    runtime = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputs = runtime.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise ValueError(f"{path}: the ONNX model wants {len(inputs)} inputs ({names}), not one")
    name = inputs[0].name
    return lambda x: runtime.run(None, {name: x})[0]


_RUNNERS = {"saved_model": _saved_model_runner, "litert": _litert_runner, "onnx": _onnx_runner}


def load_exported(path: str | os.PathLike) -> Callable[[np.ndarray], np.ndarray]:
    """A function running the export in its own runtime: float32 NHWC 0..255 images -> the model's outputs."""
    fmt = export_format(path)
    try:
        runner = _RUNNERS[fmt](os.fspath(path))
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
        raise ValueError(f"{path}: not a readable {fmt} export ({_first_line(exc)})") from None

    def run(images: np.ndarray) -> np.ndarray:
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim != 4:
            raise ValueError(f"images must be a batch (N, height, width, channels), got shape {images.shape}")
        return np.asarray(runner(images))

    return run
