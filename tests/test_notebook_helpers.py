"""The notebooks' setup helper, paths shown to readers, and the CPU facts behind the benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cifar_lib import notebook
from cifar_lib.hardware import cpu_facts

CPUINFO = """processor\t: 0
model name\t: Example CPU
cpu MHz\t\t: 2450.000
flags\t\t: fpu sse avx avx2 fma
processor\t: 1
model name\t: Example CPU
cpu MHz\t\t: 2450.000
flags\t\t: fpu sse avx avx2 fma
"""


def throughput_benchmark():
    import importlib.util

    path = Path(__file__).parent.parent / "benchmarks" / "throughput.py"
    spec = importlib.util.spec_from_file_location("throughput", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_facts_and_peak_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    facts = cpu_facts(str(path))
    assert facts.model == "Example CPU" and facts.vector_isa == "avx2" and facts.ghz == pytest.approx(2.45)
    # cores x GHz x 8 lanes x 2 (FMA) x 2 pipes
    throughput = throughput_benchmark()
    assert throughput.peak_gflops(facts) == pytest.approx(facts.cores * 2.45 * 8 * 2 * 2)
    assert "8 fp32 lanes (avx2)" in throughput.peak_formula(facts)


def test_cpu_facts_without_cpuinfo(tmp_path):
    facts = cpu_facts(str(tmp_path / "missing"))
    assert facts.ghz is None and throughput_benchmark().peak_gflops(facts) is None and facts.cores >= 1


def test_display_path_hides_machine_folders(tmp_path, monkeypatch):
    data = tmp_path / "shared" / "cifar10"
    data.mkdir(parents=True)
    monkeypatch.setenv("CIFAR10_DATA", str(data))
    root = tmp_path / "project"
    (root / "runs" / "x").mkdir(parents=True)
    assert notebook.display_path(data, root) == "$CIFAR10_DATA"
    assert notebook.display_path(data / "train", root) == "$CIFAR10_DATA/train"
    assert notebook.display_path(root / "runs" / "x", root) == "runs/x"
    assert notebook.display_path(tmp_path / "elsewhere" / "model.keras", root) == "model.keras"


def test_setup_resolves_profile_folders_and_refuses_unknown_profiles(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lesson = notebook.setup("ci", run_dir=tmp_path / "run", seed=3)
    out = capsys.readouterr().out
    assert lesson.profile.name == "ci" and lesson.seed == 3
    assert lesson.figures_dir == tmp_path / "run" / "figures" and lesson.figures_dir.is_dir()
    assert "TensorFlow" in out and "device:" in out and "profile ci, seed 3" in out
    assert np.random.get_state()[1][0] == np.random.RandomState(3).get_state()[1][0]  # seeded
    with pytest.raises(ValueError, match="PROFILE must be one of full, ci, got 'quick'"):
        notebook.setup("quick")


def test_ci_prepare_run_shrink_and_clear_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lesson = notebook.setup("ci", run_dir=tmp_path / "run", verbose=False)
    (lesson.run_dir / "run.json").write_text("{}")
    (lesson.run_dir / "checkpoint").mkdir()
    (lesson.run_dir / "tensorboard").mkdir()
    overrides = lesson.prepare_run("quick", epochs=None, subset=None, batch_size=None)
    assert overrides == {"epochs": 1, "batch_size": 256}
    assert not (lesson.run_dir / "run.json").exists() and not (lesson.run_dir / "checkpoint").exists()
    assert not (lesson.run_dir / "tensorboard").exists()
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        lesson.prepare_run("quick", epochs=-1)
    with pytest.raises(ValueError, match="unknown recipe 'turbo'"):
        lesson.prepare_run("turbo")


def test_full_profile_keeps_the_recipe_and_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lesson = notebook.setup("full", run_dir=tmp_path / "run", figures_dir=tmp_path / "figs", verbose=False)
    (lesson.run_dir / "run.json").write_text("{}")
    assert lesson.prepare_run("quick", epochs=None) == {}
    assert (lesson.run_dir / "run.json").exists()
    assert lesson.figure("a.png") == Path(tmp_path / "figs" / "a.png")


def test_show_source_shows_the_library_code():
    from cifar_lib.training.schedules import PiecewiseLinear

    shown = notebook.show_source(PiecewiseLinear.multiplier).data
    assert shown.startswith("```python\n# from cifar_lib.training.schedules\ndef multiplier(self, step):")


def test_find_model_prefers_the_run_then_the_published_model(tmp_path):
    import json

    root = Path(__file__).resolve().parent.parent
    lesson = notebook.Lesson(notebook.PROFILES["ci"], root, tmp_path / "run", tmp_path / "figures", 0)
    path, record = lesson.find_model()
    assert path == root / "models" / "cifar10_quick.keras" and record["recipe"]["name"] == "quick"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.keras").write_bytes(b"")
    (tmp_path / "run" / "run.json").write_text(json.dumps({"monitored": "validation"}))
    assert lesson.find_model() == (tmp_path / "run" / "model.keras", {"monitored": "validation"})
    with pytest.raises(FileNotFoundError, match="nowhere.keras"):
        lesson.find_model(tmp_path / "nowhere.keras")


def test_a_notebook_setting_that_the_budget_would_choose_switches_the_budget_off(tmp_path, monkeypatch, capsys):
    from cifar_lib.notebook import setup

    monkeypatch.delenv("CIFAR_PROFILE", raising=False)
    lesson = setup("full", run_dir=tmp_path / "run", figures_dir=tmp_path / "figures", verbose=False)
    assert lesson.time_budget("10m", "quick", {}) == "10m"
    assert lesson.time_budget("10m", "quick", {"epochs": 2}) is None
    assert "epochs set: no time budget" in capsys.readouterr().out
    assert lesson.time_budget("10m", "baseline", {}) is None
    ci = setup("ci", run_dir=tmp_path / "ci", figures_dir=tmp_path / "figures", verbose=False)
    assert ci.time_budget("10m", "quick", {}) is None
