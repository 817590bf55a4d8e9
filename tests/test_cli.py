"""The command line: help, evaluate on a tiny saved model, train, and clear errors for bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import keras

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
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}


@pytest.mark.slow
def test_train_command_writes_a_run(tiny_archive, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--recipe", "fast", "--out", str(out), "--epochs", "1", "--batch-size", "10",
                 "--data", str(tiny_archive), "--verbose", "0"])
    assert code == 0
    assert {"model.keras", "history.csv", "run.json"} <= set(os.listdir(out))
    assert "done: 1 epochs" in capsys.readouterr().out


@pytest.mark.slow
def test_train_command_with_a_validation_split(tiny_archive, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--recipe", "quick", "--out", str(out), "--epochs", "1", "--batch-size", "4",
                 "--val-fraction", "0.5", "--data", str(tiny_archive), "--verbose", "0"])
    assert code == 0
    info = json.loads((out / "run.json").read_text())
    assert info["val_source"] == "validation" and info["n_train"] == 10 and info["n_val"] == 10
    assert info["recipe"]["val_fraction"] == 0.5
    assert "val_accuracy" in (out / "history.csv").read_text().splitlines()[0]
    assert "validation accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "--recipe", "quick", "--out", "x", "--val-fraction", "1.5"], "val_fraction must be in [0, 1)"),
    (["train", "--recipe", "nope", "--out", "x"], "unknown recipe 'nope'"),
    (["train", "--recipe", "baseline", "--out", "x", "--epochs", "-3"], "epochs must be a positive integer"),
    (["evaluate", "--model", "missing.keras"], "missing.keras"),
])
def test_bad_input_is_one_clear_line(argv, message, tiny_archive, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_DATA", str(tiny_archive))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--recipe", "turbo"], "unknown recipe 'turbo'"),
    (["--epochs", "0"], "epochs must be a positive integer, got 0"),
])
def test_bad_settings_are_refused_before_any_data_is_loaded(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CIFAR10_DATA", raising=False)  # a data load would try the network
    monkeypatch.setattr("cifar_lib.data.load_cifar10", lambda *a, **k: pytest.fail("data loaded before the check"))
    assert main(["train", "--out", str(tmp_path / "r"), *argv]) == 2
    assert message in capsys.readouterr().err
