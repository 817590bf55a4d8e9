"""Exports of the published quick model run in their own runtimes and agree with Keras; refusals are one line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import softmax

from cifar_lib import evaluation
from cifar_lib.export import FORMATS, ExportError, check_destination, check_export, export_model, load_exported

QUICK = Path(__file__).resolve().parent.parent / "models" / "cifar10_quick.keras"
NAMES = {"saved_model": "quick_saved_model", "litert": "quick.tflite", "onnx": "quick.onnx"}
REAL_SAMPLE = 1000


@pytest.fixture(scope="module")
def quick_model():
    return evaluation.load_model(str(QUICK))


@pytest.fixture(scope="module")
def exports(quick_model, tmp_path_factory):
    """The quick model exported once in every format (a few seconds each)."""
    folder = tmp_path_factory.mktemp("exports")
    return {fmt: export_model(quick_model, fmt, folder / NAMES[fmt]) for fmt in FORMATS}


def run_in_batches(run, images: np.ndarray, batch: int = 250) -> np.ndarray:
    return np.concatenate([run(images[i : i + batch].astype("float32")) for i in range(0, len(images), batch)])


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_gives_the_keras_outputs_on_random_images(fmt, exports, quick_model):
    images = np.random.default_rng(1).integers(0, 256, (8, 32, 32, 3)).astype("float32")
    logits = load_exported(exports[fmt])(images)
    assert logits.shape == (8, 10)  # the quick model ends in logits; so does every export
    expected = evaluation.predict(quick_model, images)
    np.testing.assert_array_equal(softmax(logits, axis=1).argmax(axis=1), expected.argmax(axis=1))
    assert np.abs(softmax(logits, axis=1) - expected).max() < 1e-4
    assert load_exported(exports[fmt])(images[:1]).shape == (1, 10)  # another batch size: resized, not refused


@pytest.fixture(scope="module")
def real_test_sample(real_data_path, tmp_path_factory):
    """1,000 class-balanced test images (the copy is sorted by class), decoded once into this module's own cache."""
    from cifar_lib.data import load_cifar10, stratified_subset

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CIFAR_LIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        data = load_cifar10(real_data_path)
    return stratified_subset(data.x_test, data.y_test, REAL_SAMPLE, seed=0)


@pytest.mark.real_data
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_agrees_with_keras_on_real_test_images(fmt, exports, quick_model, real_test_sample):
    x, y = real_test_sample
    assert len(x) == REAL_SAMPLE and list(np.bincount(y, minlength=10)) == [REAL_SAMPLE // 10] * 10
    keras_probs = evaluation.predict(quick_model, x)
    probs = softmax(run_in_batches(load_exported(exports[fmt]), x), axis=1)
    agreement = np.mean(probs.argmax(axis=1) == keras_probs.argmax(axis=1))
    largest = np.abs(probs - keras_probs).max()
    print(
        f"\n{fmt}: same top class as Keras on {agreement:.2%} of {len(x)} test images; "
        f"largest |probability difference| {largest:.2e}; accuracy {np.mean(probs.argmax(axis=1) == y):.2%} "
        f"(Keras {np.mean(keras_probs.argmax(axis=1) == y):.2%})"
    )
    assert agreement >= 0.999 and largest < 1e-3


def test_the_runtimes_need_neither_cifar_lib_models_nor_keras(exports):
    """Each export loads in a fresh process that never imports the custom layers (LiteRT and ONNX: nor TensorFlow)."""
    code = """
import json, sys
import numpy as np
from cifar_lib.export import load_exported
x = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype("float32")
seen = {}
for fmt, path in json.loads(sys.argv[1]):
    load_exported(path)(x)
    seen[fmt] = sorted(m for m in ("cifar_lib.models", "keras", "tensorflow") if m in sys.modules)
print(json.dumps(seen))
"""
    order = [(fmt, str(exports[fmt])) for fmt in ("litert", "onnx", "saved_model")]
    out = subprocess.run([sys.executable, "-c", code, json.dumps(order)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["litert"] == [] and seen["onnx"] == [], seen
    assert "cifar_lib.models" not in seen["saved_model"], seen


def test_keras_own_onnx_export_is_what_onnxruntime_refuses(quick_model, tmp_path):
    """Why export.py calls tf2onnx itself: Keras' ONNX export leaves Erfc unconverted (and wants extra inputs)."""
    path = tmp_path / "keras.onnx"
    quick_model.export(str(path), format="onnx", verbose=False)
    with pytest.raises(ExportError, match="onnx: the export does not run in onnxruntime"):
        check_export(quick_model, path)


@pytest.mark.parametrize(
    "fmt, name, message",
    [
        ("tflite", "m.tflite", "unknown export format 'tflite'; choose one of saved_model, litert, onnx"),
        ("litert", "m.onnx", "m.onnx: the litert format writes one file named \\*.tflite"),
        ("onnx", "m", "m: the onnx format writes one file named \\*.onnx"),
        ("saved_model", "a_file", "a_file: exists and is not a folder"),
        ("saved_model", "a_folder", "a_folder: exists and is not a SavedModel folder"),
    ],
)
def test_a_wrong_destination_is_refused_before_any_work(fmt, name, message, tmp_path):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_folder" / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=message):
        check_destination(fmt, tmp_path / name)
    assert (tmp_path / "a_folder" / "keep.txt").read_text() == "mine"


def test_a_missing_converter_is_one_line_and_leaves_nothing(quick_model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if tf2onnx were not installed
    with pytest.raises(ExportError, match=r"^onnx: needs the tf2onnx package \(pip install tf2onnx\)$"):
        export_model(quick_model, "onnx", tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_export_its_runtime_refuses_is_one_line_and_leaves_nothing(quick_model, tmp_path, monkeypatch):
    monkeypatch.setattr("cifar_lib.export._write", lambda model, fmt, path: Path(path).write_bytes(b"\0" * 64))
    with pytest.raises(ExportError, match="^onnx: the export does not run in onnxruntime") as caught:
        export_model(quick_model, "onnx", tmp_path / "m.onnx")
    assert "\n" not in str(caught.value) and list(tmp_path.iterdir()) == []


def test_load_exported_names_a_file_that_is_no_export(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.onnx: no such file or folder"):
        load_exported(tmp_path / "nowhere.onnx")
    (tmp_path / "model.keras").write_text("x")
    with pytest.raises(ValueError, match="model.keras: not an export"):
        load_exported(tmp_path / "model.keras")
    (tmp_path / "broken.tflite").write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match="broken.tflite: not a readable litert export"):
        load_exported(tmp_path / "broken.tflite")


def test_the_readme_lines_that_load_each_export_run(quick_model, tmp_path, monkeypatch):
    """The README's three ways to load and run an export, executed as written there."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("Loading and running each", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    names = {"saved_model": "quick_savedmodel", "litert": "quick.tflite", "onnx": "quick.onnx"}
    for fmt, name in names.items():
        assert f'"{name}"' in block, f"the README loads {name}"
        export_model(quick_model, fmt, tmp_path / name)
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype("float32")
    expected = np.asarray(quick_model(images, training=False))
    monkeypatch.chdir(tmp_path)
    for snippet in block.strip().split("\n\n"):  # one paragraph per runtime
        scope = {"images": images}
        exec(snippet, scope)
        np.testing.assert_allclose(np.asarray(scope["logits"]), expected, atol=1e-4)
