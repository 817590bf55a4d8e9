"""The command line: help, evaluate on a tiny saved model, train, and clear errors for bad input."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from cifar_lib.cli import main


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "cifar_lib", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for command in ("train", "evaluate"):
        assert command in out.stdout


@pytest.fixture
def tiny_model_path(tmp_path):
    """A tiny saved model whose prediction is the brightest channel's class index (0..2)."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = keras.layers.Dense(10, use_bias=False)(x)
    model = keras.Model(inputs, outputs)
    weights = np.zeros((3, 10), "float32")
    weights[0, 0] = weights[1, 1] = weights[2, 2] = 1.0
    model.layers[-1].set_weights([weights])
    path = tmp_path / "tiny.keras"
    model.save(path)
    return path


def test_evaluate_prints_accuracy_and_per_class_table(tiny_model_path, tiny_archive, capsys):
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(tiny_archive)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "airplane" in out and "truck" in out


def test_evaluate_json_with_tta(tiny_model_path, tiny_archive, capsys):
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(tiny_archive), "--tta", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tta"] == "mirror_translate" and result["n"] == 10
    assert 0.0 <= result["accuracy"] <= 1.0 and set(result["per_class"]) == {
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    }


@pytest.mark.slow
def test_train_command_writes_a_run(tiny_archive, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--recipe",
            "fast",
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "10",
            "--data",
            str(tiny_archive),
            "--verbose",
            "0",
        ]
    )
    assert code == 0
    assert {"model.keras", "history.csv", "run.json"} <= set(os.listdir(out))
    assert "done: 1 epochs" in capsys.readouterr().out


@pytest.mark.slow
def test_train_command_with_a_validation_split(tiny_archive, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--recipe",
            "quick",
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--val-fraction",
            "0.5",
            "--data",
            str(tiny_archive),
            "--verbose",
            "0",
        ]
    )
    assert code == 0
    info = json.loads((out / "run.json").read_text())
    assert info["monitored"] == "validation" and info["n_train"] == 10 and info["n_val"] == 10
    assert info["recipe"]["val_fraction"] == 0.5
    assert "val_accuracy" in (out / "history.csv").read_text().splitlines()[0]
    assert "validation accuracy" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--recipe", "quick", "--out", "x", "--val-fraction", "1.5"], "val_fraction must be in [0, 1)"),
        (["train", "--recipe", "nope", "--out", "x"], "unknown recipe 'nope'"),
        (["train", "--recipe", "baseline", "--out", "x", "--epochs", "-3"], "epochs must be a positive integer"),
        (["evaluate", "--model", "missing.keras"], "missing.keras"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message, tiny_archive, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_DATA", str(tiny_archive))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--recipe", "turbo"], "unknown recipe 'turbo'"),
        (["--epochs", "0"], "epochs must be a positive integer, got 0"),
    ],
)
def test_bad_settings_are_refused_before_any_data_is_loaded(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CIFAR10_DATA", raising=False)  # a data load would try the network
    monkeypatch.setattr("cifar_lib.data.load_cifar10", lambda *a, **k: pytest.fail("data loaded before the check"))
    assert main(["train", "--out", str(tmp_path / "r"), *argv]) == 2
    assert message in capsys.readouterr().err


QUICK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "cifar10_quick.keras")


@pytest.fixture
def photos(tmp_path):
    """Two readable images (a wide RGB JPEG, an RGBA PNG) and a text file named .jpg."""
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)).save(folder / "wide.jpg")
    Image.fromarray(rng.integers(0, 256, (40, 40, 4), dtype=np.uint8), "RGBA").save(folder / "clear.png")
    (folder / "fake.jpg").write_text("not a picture")
    return folder


def test_predict_prints_one_line_per_image_and_each_bad_file_on_stderr(tiny_model_path, photos, capsys):
    assert main(["predict", "--model", str(tiny_model_path), str(photos)]) == 1  # some failed
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [str(photos / "clear.png"), str(photos / "wide.jpg")]
    assert all(line.count("%") == 3 and line.count(",") == 2 for line in lines)
    assert (
        captured.err.strip() == f"error: {photos / 'fake.jpg'}: not an image (Pillow cannot identify the file's format)"
    )


def test_predict_json_tta_and_top_with_the_published_model(photos, capsys):
    good = [str(photos / "wide.jpg"), str(photos / "clear.png")]
    assert (
        main(["predict", "--model", QUICK, "--tta", *good, "--top", "2", "--json"]) == 0
    )  # --tta IMAGE: the default level
    result = json.loads(capsys.readouterr().out)
    assert result["tta"] == "mirror_translate" and [p["path"] for p in result["predictions"]] == good
    assert all(len(p["top"]) == 2 for p in result["predictions"])
    assert main(["predict", "--model", QUICK, "--tta", "mirror", good[0]]) == 0
    assert capsys.readouterr().out.startswith(f"{good[0]}: ")


def exit_status(argv: list[str]) -> int:
    """main()'s status, also when argparse itself refuses (it exits with status 2)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--tta", "sideways", "x.jpg"], "argument --tta: invalid choice: 'sideways'"),
        (["--top", "0", "x.jpg"], "error: top must be a whole number from 1 to 10, got 0"),
        ([], "error: no images given"),
    ],
)
def test_predict_refuses_bad_settings_before_loading_the_model(argv, message, capsys, monkeypatch):
    monkeypatch.setattr("cifar_lib.evaluation.load_model", lambda *a: pytest.fail("model loaded before the check"))
    assert exit_status(["predict", "--model", "any.keras", *argv]) == 2
    assert message in capsys.readouterr().err


def test_predict_exit_2_for_a_model_that_is_no_model_or_no_usable_input(tiny_model_path, photos, tmp_path, capsys):
    assert main(["predict", "--model", str(photos / "fake.jpg"), str(photos / "wide.jpg")]) == 2
    assert "fake.jpg: not a readable Keras model" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["predict", "--model", str(tiny_model_path), str(empty), str(photos / "fake.jpg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {empty}: no image files",
        f"error: {photos / 'fake.jpg'}: not an image (Pillow cannot identify the file's format)",
    ]


def test_export_writes_a_checked_export(tiny_model_path, tmp_path, capsys):
    out = tmp_path / "tiny.tflite"
    assert main(["export", "--model", str(tiny_model_path), "--format", "litert", "--out", str(out)]) == 0
    assert out.is_file() and capsys.readouterr().out.startswith(f"{out}: litert export of {tiny_model_path}")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--format", "onnx", "--out", "m.tflite"], "error: m.tflite: the onnx format writes one file named *.onnx"),
        (["--format", "onnx", "--out", "m.onnx"], "error: onnx: needs the tf2onnx package (pip install tf2onnx)"),
    ],
)
def test_export_that_cannot_be_produced_is_one_line(argv, message, tiny_model_path, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if tf2onnx were not installed
    assert main(["export", "--model", str(tiny_model_path), *argv]) == 2
    assert capsys.readouterr().err.strip() == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.keras"]


def test_help_lists_predict_and_export():
    from cifar_lib.cli import build_parser

    text = build_parser().format_help()
    assert "predict" in text and "export" in text


def test_the_cli_names_the_tta_levels_of_evaluation():
    from cifar_lib import cli, evaluation

    assert cli.TTA_LEVELS == evaluation.TTA_LEVELS
