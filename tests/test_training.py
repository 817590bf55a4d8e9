"""The training engine: a short run learns and writes every artifact; interrupted runs resume."""

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest
from fakes import stop_after, tensorboard_steps

from cifar_lib.training import BASELINE, FAST, TrainingDiverged, TrainingInterrupted, checkpoints, get_recipe, train
from cifar_lib.training.schedules import PiecewiseLinear, adam_time_decay

ARTIFACTS = {"model.keras", "best.keras", "history.csv", "run.json"}
# small, fast settings for tests: the tiny seed model run and the fast recipe at a small batch
BASELINE_TINY = {"epochs": 2, "batch_size": 32}
FAST_TINY = {"epochs": 2, "batch_size": 50}


def test_seed_recipe_is_the_original():
    assert (BASELINE.model, BASELINE.optimizer, BASELINE.learning_rate, BASELINE.lr_time_decay) == (
        "baseline",
        "adam",
        3e-4,
        1e-6,
    )
    assert (BASELINE.batch_size, BASELINE.epochs, BASELINE.val_fraction, BASELINE.augmentation) == (
        64,
        100,
        0.2,
        "baseline",
    )
    schedule = adam_time_decay()
    assert float(schedule(0)) == pytest.approx(3e-4)
    assert float(schedule(1_000_000)) == pytest.approx(3e-4 / 2)


def test_fast_schedule_shape():
    s = PiecewiseLinear(1.0, total_steps=100)
    values = [float(s(step)) for step in (0, 23, 100)]
    assert values == pytest.approx([0.2, 1.0, 0.07], abs=1e-6)
    assert float(s(11)) == pytest.approx(0.2 + 0.8 * 11 / 23, abs=1e-5)  # linear warm-up
    assert float(s(60)) == pytest.approx(1.0 - 0.93 * (60 - 23) / 77, abs=1e-5)  # linear decay
    assert max(float(s(i)) for i in range(101)) == pytest.approx(1.0, abs=1e-6)


def test_bad_overrides_are_clear_errors(learnable_data, tmp_path):
    with pytest.raises(ValueError, match="unknown recipe 'nope'"):
        train("nope", learnable_data, str(tmp_path))
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        train("baseline", learnable_data, str(tmp_path), epochs=-1)
    with pytest.raises(ValueError, match=r"unknown recipe setting\(s\) \['epoch'\]"):
        train("baseline", learnable_data, str(tmp_path), epoch=3)
    with pytest.raises(ValueError, match="subset must be"):
        train("baseline", learnable_data, str(tmp_path), subset=-5)
    assert not os.listdir(tmp_path), "nothing is written before the settings are checked"


@pytest.mark.slow
def test_baseline_recipe_two_epochs_lowers_loss_and_writes_artifacts(learnable_data, tmp_path):
    out = str(tmp_path / "run")
    result = train("baseline", learnable_data, out, verbose=0, **BASELINE_TINY)
    assert ARTIFACTS <= set(os.listdir(out))
    assert not os.path.exists(checkpoints.folder(out)), "resume state is removed when done"
    history = pd.read_csv(os.path.join(out, "history.csv"))
    assert list(history["epoch"]) == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(history.columns)
    assert history["loss"].iloc[1] < history["loss"].iloc[0]
    info = json.load(open(os.path.join(out, "run.json")))
    assert info["status"] == "complete" and info["epochs"] == 2 and info["monitored"] == "validation"
    assert info["recipe"]["name"] == "baseline" and info["overrides"]["batch_size"] == 32
    assert {"tensorflow", "keras", "python"} <= set(info["versions"])
    assert info["device"]["device"]
    assert info["n_val"] == pytest.approx(0.2 * len(learnable_data.x_train), abs=2)
    assert result.model.count_params() == 7_281_802


@pytest.mark.slow
def test_finished_run_is_loaded_not_retrained(learnable_data, tmp_path, capsys):
    out = str(tmp_path / "run")
    train("fast", learnable_data, out, verbose=0, **FAST_TINY)
    before = os.path.getmtime(os.path.join(out, "model.keras"))
    again = train("fast", learnable_data, out, verbose=0, **FAST_TINY)
    assert "finished run" in capsys.readouterr().out
    assert os.path.getmtime(os.path.join(out, "model.keras")) == before
    assert len(again.history) == 2
    with pytest.raises(ValueError, match="different configuration"):
        train("fast", learnable_data, out, verbose=0, epochs=3, batch_size=50)


@pytest.mark.slow
def test_interrupted_run_resumes_at_the_right_epoch(learnable_data, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "run")
    from cifar_lib.training import engine

    original = engine._callbacks
    monkeypatch.setattr(engine, "_callbacks", lambda *a: original(*a) + [stop_after(2)])
    with pytest.raises(TrainingInterrupted, match="interrupted during epoch 3 of 3; 2 finished epochs saved in"):
        train("fast", learnable_data, out, verbose=0, epochs=3, batch_size=50)
    newest = checkpoints.find(out)[0]
    assert checkpoints.read_state(newest)["epochs_done"] == 2 and not os.path.exists(os.path.join(out, "run.json"))
    monkeypatch.setattr(engine, "_callbacks", original)
    result = train("fast", learnable_data, out, verbose=0, epochs=3, batch_size=50)
    assert "Resuming from epoch 2 of 3" in capsys.readouterr().out
    assert list(result.history["epoch"]) == [1, 2, 3]
    assert tensorboard_steps(out)["test/epoch_accuracy"] == [1, 2, 3]  # no epoch missing or twice
    assert result.run_info["epochs"] == 3


@pytest.mark.slow
def test_resumed_run_matches_an_uninterrupted_one(learnable_data, tmp_path, monkeypatch):
    from cifar_lib.training import engine

    straight = train("fast", learnable_data, str(tmp_path / "a"), verbose=0, epochs=2, batch_size=50)
    original = engine._callbacks
    monkeypatch.setattr(engine, "_callbacks", lambda *a: original(*a) + [stop_after(1)])
    with pytest.raises(KeyboardInterrupt):
        train("fast", learnable_data, str(tmp_path / "b"), verbose=0, epochs=2, batch_size=50)
    monkeypatch.setattr(engine, "_callbacks", original)
    resumed = train("fast", learnable_data, str(tmp_path / "b"), verbose=0, epochs=2, batch_size=50)
    np.testing.assert_allclose(resumed.history["loss"], straight.history["loss"], rtol=1e-4)
    for a, b in zip(resumed.model.weights, straight.model.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-4)


@pytest.mark.slow
def test_nan_loss_stops_with_a_clear_message(learnable_data, tmp_path):
    with pytest.raises(TrainingDiverged, match="loss is nan"):
        train("baseline", learnable_data, str(tmp_path / "run"), verbose=0, epochs=2, batch_size=32, learning_rate=1e12)


@pytest.mark.slow
def test_fast_recipe_short_run_beats_chance(learnable_data, tmp_path):
    result = train("fast", learnable_data, str(tmp_path / "run"), verbose=0, epochs=4, batch_size=50)
    assert result.run_info["monitored"] == "test" and "val_accuracy" not in result.history
    assert "best_val_accuracy" not in result.run_info and not os.path.exists(os.path.join(result.out_dir, "best.keras"))
    assert result.history["test_accuracy"].iloc[-1] > 0.2  # chance is 0.1


def test_recipe_dataclass_validation():
    assert get_recipe("fast") is FAST
    with pytest.raises(ValueError, match="batch_size"):
        FAST.replace(batch_size=0)
    with pytest.raises(ValueError, match="val_fraction"):
        FAST.replace(val_fraction=1.5)


def test_whitening_sample_mixes_classes_of_a_class_sorted_copy():
    from cifar_lib.training.loop import whitening_sample

    labels = np.repeat(np.arange(10), 1000)  # an image-folder copy is sorted by class
    images = labels[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    sample = whitening_sample(images, 500, seed=0)
    assert len(sample) == 500
    assert len(np.unique(sample[:, 0, 0, 0])) == 10  # every class, not 500 airplanes
    np.testing.assert_array_equal(sample, whitening_sample(images, 500, seed=0))  # seeded
    assert len(whitening_sample(images[:100], 500, seed=0)) == 100  # fewer images: all of them


def test_seconds_to_thresholds_counts_float32_accuracy_as_reached():
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "time_to_accuracy.py")
    spec = importlib.util.spec_from_file_location("time_to_accuracy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    history = pd.DataFrame({"train_seconds": [10.0, 10.0, 10.0], "test_accuracy": [0.5, float(np.float32(0.9)), 0.95]})
    assert module.seconds_to_thresholds(history, (0.9, 0.94, 0.99)) == {"0.90": 20.0, "0.94": 30.0, "0.99": None}


def test_lookahead_decay_follows_airbench():
    from cifar_lib.training.lookahead import lookahead_decay

    assert lookahead_decay(0, 100) == 0.0
    assert lookahead_decay(100, 100, every=5) == pytest.approx(0.95**5)
    assert lookahead_decay(50, 100, every=10) == pytest.approx(0.95**10 * 0.125)


def test_quick_recipe_is_the_fast_recipe_cut_to_a_cpu_budget():
    from cifar_lib.training import QUICK

    changed = {k for k, v in QUICK.to_dict().items() if v != FAST.to_dict()[k]}
    assert changed == {"name", "widths", "epochs", "batch_size"}
    assert QUICK.model_options()["widths"] == QUICK.widths and "widths" not in FAST.model_options()
    assert get_recipe("baseline").model_options() == {}


def test_the_recipe_sets_the_networks_and_lookaheads_constants():
    """Every hyperparameter is a recipe field read by the code that uses it, not a constant elsewhere."""
    from cifar_lib.models import build_model
    from cifar_lib.training import loop

    recipe = get_recipe("quick").replace(
        widths=(8, 16, 16), whiten_kernel=3, whiten_eps=1e-3, bn_momentum=0.9, bn_epsilon=1e-5, logit_scale=0.5
    )
    model = build_model(recipe.model, **recipe.model_options())
    whiten, norm = model.get_layer("whiten"), model.get_layer("group1_norm1")
    assert (whiten.kernel_size, whiten.eps) == (3, 1e-3) and whiten.kernel.shape == (3, 3, 3, 54)
    assert (norm.momentum, norm.epsilon) == (0.9, 1e-5) and model.get_layer("logits").scale == 0.5
    callbacks = loop.recipe_callbacks(recipe.replace(ema_decay=0.9, ema_every=4), steps_per_epoch=10)
    lookahead = next(c for c in callbacks if type(c).__name__ == "Lookahead")
    assert (lookahead.decay, lookahead.every, lookahead.total_steps) == (0.9, 4, 10 * recipe.epochs)


@pytest.mark.slow
def test_one_line_per_epoch_names_the_monitored_set(learnable_data, tmp_path, capsys):
    train("fast", learnable_data, str(tmp_path / "run"), verbose=2, **FAST_TINY)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == FAST_TINY["epochs"]
    assert "test accuracy" in lines[0] and "s training" in lines[0] and "\x1b" not in lines[0]
    assert not (tmp_path / "run" / "best.keras").exists(), "no model is chosen on the test set"


@pytest.mark.slow
def test_fit_recipe_is_the_whole_loop(learnable_data):
    """The loop notebook 4 shows trains on its own: no run folder, a model that learned."""
    from cifar_lib.evaluation import evaluate
    from cifar_lib.training import loop

    recipe = get_recipe("quick").replace(epochs=3, batch_size=50)
    d = learnable_data
    model = loop.fit_recipe(recipe, d.x_train, d.y_train, d.x_test, d.y_test)
    assert model.optimizer.iterations.numpy() == 3 * loop.steps_in_epoch(len(d.x_train), recipe)
    assert evaluate(model, d.x_test, d.y_test)["accuracy"] > 0.3  # chance is 0.1


def test_seconds_per_step_times_real_steps(learnable_data):
    from cifar_lib.training import loop

    recipe = get_recipe("quick").replace(batch_size=16, widths=(8, 16, 16))
    seconds = loop.seconds_per_step(recipe, learnable_data.x_train, learnable_data.y_train, steps=3)
    assert 0 < seconds < 60


@pytest.mark.slow
def test_mixed_precision_run_trains_with_float32_weights_and_logits(learnable_data, tmp_path):
    """What a GPU gets by default (precision "auto" there): float16 math, float32 weights, the gate still works."""
    result = train(
        "quick",
        learnable_data,
        str(tmp_path / "run"),
        verbose=0,
        epochs=2,
        batch_size=50,
        widths=(8, 16, 16),
        precision="mixed_float16",
    )
    assert result.run_info["precision"] == "mixed_float16"
    assert all(str(w.dtype) == "float32" for w in result.model.weights if "float" in str(w.dtype))
    assert result.model.layers[-1].compute_dtype == "float32"  # logits for the loss in float32
    assert np.isfinite(result.history["loss"]).all() and result.history["test_accuracy"].iloc[-1] > 0.2


def test_precision_auto_is_float32_without_a_gpu():
    from cifar_lib.training import loop

    assert loop.precision(get_recipe("quick")) == "float32"
    with pytest.raises(ValueError, match="precision must be"):
        get_recipe("quick").replace(precision="float16")
