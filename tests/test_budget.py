"""Time-budgeted runs: the frontier table, the choice, and train(budget_seconds=...)."""

import json
import os
import time

import pytest

from cifar_lib.training import budget, train

ROWS = [  # a small frontier: two tiny networks, the wider one more accurate per epoch
    {"widths": [8, 16, 16], "batch_size": 50, "epochs": 1, "accuracy": 0.30},
    {"widths": [8, 16, 16], "batch_size": 50, "epochs": 3, "accuracy": 0.50},
    {"widths": [16, 32, 32], "batch_size": 50, "epochs": 2, "accuracy": 0.55},
]


@pytest.mark.parametrize("text, seconds", [(600, 600), ("600", 600), ("600s", 600), ("10m", 600), ("1.5h", 5400)])
def test_budget_strings(text, seconds):
    assert budget.parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["ten minutes", "10 min", "-5m", "0"])
def test_bad_budget_is_a_clear_error(text):
    with pytest.raises(ValueError, match="budget"):
        budget.parse_budget(text)


def test_expected_accuracy_interpolates_within_the_measured_range_only():
    assert budget.expected_accuracy(ROWS, (8, 16, 16), 50, 2) == pytest.approx(0.40)
    assert budget.expected_accuracy(ROWS, (8, 16, 16), 50, 4) is None  # no extrapolation
    assert budget.expected_accuracy(ROWS, (8, 16, 16), 100, 2) is None  # another batch is another configuration


def test_choose_takes_the_most_accurate_configuration_that_fits():
    speeds = {((8, 16, 16), 50): 1000.0, ((16, 32, 32), 50): 500.0}  # images/s
    n_train, n_val = 10_000, 2_000
    per_epoch = {w: budget.predicted_seconds(s, 1, n_train, n_val) for (w, _), s in speeds.items()}
    # (10,000 + 2,000 / 2) images at 1,000 images/s, planned at SPEED_MARGIN of the timed speed
    assert per_epoch[(8, 16, 16)] == pytest.approx(11.0 / budget.SPEED_MARGIN)
    roomy = budget.choose(ROWS, speeds, n_train, n_val, seconds_left=100)
    assert roomy[:3] == ((16, 32, 32), 50, 2)  # 52 s: the wider net's 55% beats 3 epochs of the narrow one (50%)
    tight = budget.choose(ROWS, speeds, n_train, n_val, seconds_left=30)
    assert tight[:3] == ((8, 16, 16), 50, 2) and tight[3] == pytest.approx(0.40)  # 26 s of 27.9 usable
    assert budget.choose(ROWS, speeds, n_train, n_val, seconds_left=10) is None


def test_the_packaged_frontier_is_the_records_table():
    """cifar_lib/training/frontier.json is what benchmarks/frontier.py makes of the records today."""
    import importlib.util

    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "frontier.py")
    spec = importlib.util.spec_from_file_location("frontier", path)
    frontier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frontier)
    assert budget.load_frontier() == frontier.table(frontier.complete_runs())


@pytest.fixture
def tiny_frontier(monkeypatch):
    monkeypatch.setattr(budget, "load_frontier", lambda: ROWS)


def test_budgeted_run_prints_and_records_its_choice(learnable_data, tmp_path, capsys, tiny_frontier):
    out = tmp_path / "run"
    started = time.perf_counter()
    result = train("quick", learnable_data, str(out), verbose=0, budget_seconds="5m")
    call_seconds = time.perf_counter() - started
    line = capsys.readouterr().out
    info = result.run_info
    choice = info["budget"]
    assert f"{choice['epochs']} epochs fit in 5 minutes" in line and "images/s" in line
    assert (tuple(info["recipe"]["widths"]), info["recipe"]["epochs"]) == ((16, 32, 32), 2)  # plenty of time: the best
    assert info["epochs"] == 2 and set(choice["speeds"]) == {"8/16/16@50", "16/32/32@50"}
    assert 0 < choice["measure_seconds"] <= info["budget_seconds_used"] <= call_seconds  # measuring counted once
    assert json.loads((out / "budget.json").read_text())["choice"] == choice


def test_a_resumed_budgeted_run_keeps_its_first_choice(learnable_data, tmp_path, capsys, tiny_frontier):
    """A budget.json in the folder is the interrupted run's choice: no new measuring, no new choice."""
    from cifar_lib.training import engine, resolve_recipe

    out = tmp_path / "run"
    out.mkdir()
    choice = budget.Choice(
        budget_seconds=300.0,
        widths=(8, 16, 16),
        batch_size=50,
        epochs=1,
        images_per_second=1.0,
        predicted_seconds=1.0,
        measure_seconds=1.0,
        expected_accuracy=0.3,
        speeds={},
    )
    base = resolve_recipe("quick").to_dict()
    (out / engine.BUDGET_JSON).write_text(
        json.dumps({"budget_seconds": 300.0, "base_recipe": base, "choice": choice.to_dict()})
    )
    result = train("quick", learnable_data, str(out), verbose=0, budget_seconds=300)
    assert "this folder's budget choice (budget.json)" in capsys.readouterr().out
    assert result.run_info["epochs"] == 1 and tuple(result.run_info["recipe"]["widths"]) == (8, 16, 16)


def test_budget_refuses_what_it_would_choose_and_too_short_budgets(learnable_data, tmp_path, tiny_frontier):
    with pytest.raises(ValueError, match="do not also set epochs"):
        train("quick", learnable_data, str(tmp_path / "a"), budget_seconds=600, epochs=3)
    with pytest.raises(ValueError, match="recipe 'baseline' has none"):
        train("baseline", learnable_data, str(tmp_path / "b"), budget_seconds=600)
    with pytest.raises(ValueError, match="too short for this machine"):
        train("quick", learnable_data, str(tmp_path / "c"), verbose=0, budget_seconds=0.01)
