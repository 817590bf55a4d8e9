"""The papermill pipeline runner, on tiny throwaway notebooks (no TensorFlow involved)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import nbformat
import pytest

from cifar_lib import pipeline
from cifar_lib.pipeline import PipelineError, PipelineUsageError, run_pipeline

PARAMETERS = 'PROFILE = "full"\nDATA = None\nRUN_DIR = None\nFIGURES_DIR = None\n'


def write_notebook(folder: Path, name: str, *code: str, parameters: str | None = PARAMETERS) -> Path:
    """A notebook with an optional ``parameters`` cell, then ``code`` cells (each logs its notebook)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {name}"))
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    record = (
        "import json, os, sys\n"
        f"with open(os.path.join(RUN_DIR, 'order.txt'), 'a') as f:\n"
        f"    f.write({name!r} + '\\n')\n"
    )
    nb.cells.append(nbformat.v4.new_code_cell(record))
    nb.cells.extend(nbformat.v4.new_code_cell(c) for c in code)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """notebooks/01_a, 02_b (declares ALPHA), 03_c (declares BETA) in a throwaway folder."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks, "01_a")
    write_notebook(
        notebooks,
        "02_b",
        "with open(os.path.join(RUN_DIR, 'alpha.json'), 'w') as f:\n    json.dump(ALPHA, f)",
        parameters=PARAMETERS + "ALPHA = 1  # a knob\n",
    )
    write_notebook(
        notebooks,
        "03_c",
        "with open(os.path.join(RUN_DIR, 'env.json'), 'w') as f:\n"
        "    json.dump({'executable': sys.executable, 'profile': PROFILE,\n"
        "               'env_profile': os.environ.get('CIFAR_PROFILE'), 'cwd': os.getcwd()}, f)",
        parameters=PARAMETERS + "BETA = 'x'\n",
    )
    return notebooks


def run(project: Path, out: Path, **kwargs):
    return run_pipeline(notebooks_dir=project, out=out, progress_bar=False, **kwargs)


def order(out: Path) -> list[str]:
    return (out / "order.txt").read_text().split()


# ----------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", 3),
        ("0.5", 0.5),
        ("None", None),
        ("none", None),
        ("true", True),
        ("False", False),
        ("fast", "fast"),
        ("'baseline'", "baseline"),
        ("[1, 2]", [1, 2]),
        ("/tmp/x", "/tmp/x"),
    ],
)
def test_parse_value(text, value):
    assert pipeline.parse_value(text) == value


def test_parse_overrides_and_errors():
    assert pipeline.parse_overrides(["EPOCHS=3", "RECIPE=baseline"]) == {"EPOCHS": 3, "RECIPE": "baseline"}
    with pytest.raises(PipelineUsageError, match="NAME=VALUE"):
        pipeline.parse_overrides(["EPOCHS"])
    with pytest.raises(PipelineUsageError, match="parameter name"):
        pipeline.parse_overrides(["1X=2"])


def test_select_notebooks_keeps_pipeline_order(project):
    found = pipeline.discover_notebooks(project)
    assert [p.stem for p in found] == ["01_a", "02_b", "03_c"]
    assert [p.stem for p in pipeline.select_notebooks(found, "03,01")] == ["01_a", "03_c"]
    assert [p.stem for p in pipeline.select_notebooks(found, ["02_b"])] == ["02_b"]
    with pytest.raises(PipelineUsageError, match="no notebook '07'.*01_a, 02_b, 03_c"):
        pipeline.select_notebooks(found, "07")


def test_notebook_parameters_lists_the_parameters_cell(project):
    assert list(pipeline.notebook_parameters(project / "02_b.ipynb")) == [
        "PROFILE",
        "DATA",
        "RUN_DIR",
        "FIGURES_DIR",
        "ALPHA",
    ]


def test_resolve_profile(monkeypatch):
    monkeypatch.delenv("CIFAR_PROFILE", raising=False)
    assert pipeline.resolve_profile() == "full"
    monkeypatch.setenv("CIFAR_PROFILE", "ci")
    assert pipeline.resolve_profile() == "ci"
    assert pipeline.resolve_profile("full") == "full"
    with pytest.raises(PipelineUsageError, match="'fastest'"):
        pipeline.resolve_profile("fastest")


# ----------------------------------------------------------------------------- fail fast on parameters


def test_unknown_parameter_fails_before_anything_runs(project, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(PipelineUsageError) as info:
        run(project, out, overrides=["GAMMA=1"])
    message = str(info.value)
    assert "'GAMMA'" in message
    assert "02_b: PROFILE, DATA, RUN_DIR, FIGURES_DIR, ALPHA" in message
    assert not list(out.glob("*.ipynb"))  # no notebook ran (a missing folder has none either)


def test_parameter_of_an_unselected_notebook_is_unknown(project, tmp_path):
    with pytest.raises(PipelineUsageError, match="'ALPHA'"):
        run(project, tmp_path / "out", only="01,03", overrides=["ALPHA=2"])


# ----------------------------------------------------------------------------- running


def test_runs_in_order_passes_parameters_and_environment(project, tmp_path, monkeypatch):
    monkeypatch.delenv("CIFAR_PROFILE", raising=False)
    out = tmp_path / "out"
    runs = run(project, out, profile="ci", overrides=["ALPHA=5"])
    assert [r.stem for r in runs] == ["01_a", "02_b", "03_c"]
    assert order(out) == ["01_a", "02_b", "03_c"]
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"]
    assert json.loads((out / "alpha.json").read_text()) == 5
    env = json.loads((out / "env.json").read_text())
    assert env["profile"] == "ci" and env["env_profile"] == "ci"
    assert Path(env["executable"]).resolve() == Path(sys.executable).resolve()  # python3 kernel = this venv
    assert Path(env["cwd"]).resolve() == project.resolve()  # notebooks run where they live
    import os

    assert os.environ.get("CIFAR_PROFILE") is None  # restored


def test_only_runs_the_selected_notebooks(project, tmp_path):
    out = tmp_path / "out"
    run(project, out, only="01,03")
    assert order(out) == ["01_a", "03_c"]
    assert not (out / "02_b.ipynb").exists()


def test_failure_names_notebook_cell_and_error_and_stops(project, tmp_path):
    write_notebook(project, "02_b", "x = 1", "raise ValueError('boom in the second cell')")
    out = tmp_path / "out"
    with pytest.raises(PipelineError) as info:
        run(project, out)
    message = str(info.value)
    assert "02_b.ipynb" in message
    assert "In [5]" in message  # parameters, injected parameters, record, x = 1, raise
    assert "ValueError: boom in the second cell" in message
    assert order(out) == ["01_a", "02_b"]  # stopped: 03 never ran


def test_run_from_args_exit_codes_and_messages(project, tmp_path, caplog):
    parser = pipeline.add_arguments(argparse.ArgumentParser())
    base = ["--notebooks", str(project), "--no-progress"]
    caplog.set_level(logging.INFO, logger="cifar_lib.pipeline")

    args = parser.parse_args(base + ["--out", str(tmp_path / "a"), "-p", "NOPE=1"])
    assert pipeline.run_from_args(args) == pipeline.EXIT_USAGE
    assert "'NOPE'" in caplog.text

    write_notebook(project, "03_c", "1 / 0")
    args = parser.parse_args(base + ["--out", str(tmp_path / "b"), "--only", "03"])
    assert pipeline.run_from_args(args) == pipeline.EXIT_FAILED
    assert "03_c.ipynb failed" in caplog.text and "ZeroDivisionError" in caplog.text

    args = parser.parse_args(base + ["--out", str(tmp_path / "c"), "--only", "01"])
    assert pipeline.run_from_args(args) == pipeline.EXIT_OK
    assert "01_a.ipynb done in" in caplog.text


def test_in_place_injects_nothing_and_tidies_outputs(project, tmp_path, monkeypatch):
    # in place, RUN_DIR is the notebook's own default: make it a real folder for the record cell
    write_notebook(
        project,
        "01_a",
        "print('a\\rb'); print('c')",
        "print('d')",
        parameters=f"PROFILE = 'full'\nRUN_DIR = {str(tmp_path)!r}\n",
    )
    monkeypatch.setattr(pipeline, "find_project_root", lambda start=None: tmp_path)
    run_pipeline(notebooks_dir=project, only="01", in_place=True, progress_bar=False)
    nb = nbformat.read(str(project / "01_a.ipynb"), as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert ["injected-parameters"] not in tags
    assert "papermill" not in nb.metadata
    assert all("papermill" not in c.metadata and "execution" not in c.metadata for c in nb.cells)
    streams = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert [o.text for o in streams] == ["b\nc\n", "d\n"]  # merged per cell, \r rendered
    assert order(tmp_path) == ["01_a"]
    with pytest.raises(PipelineUsageError, match="exclude"):
        run_pipeline(notebooks_dir=project, in_place=True, out=tmp_path / "x", progress_bar=False)


def test_training_progress_reaches_the_pipelines_terminal(project, tmp_path, capfd):
    """A notebook's progress lines (cifar_lib.progress.report) reach the stderr the pipeline runs with,
    named by the notebook, and stay in the executed notebook's output too."""
    write_notebook(project, "02_b", "from cifar_lib.progress import report\nreport('epoch   1/2  loss 2.0')")
    out = tmp_path / "out"
    run(project, out, only="02")
    assert "  [02_b] epoch   1/2  loss 2.0" in capfd.readouterr().err
    nb = nbformat.read(str(out / "02_b.ipynb"), as_version=4)
    texts = [o.get("text") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert "epoch   1/2  loss 2.0\n" in texts
    assert not any("[02_b]" in (t or "") for t in texts)  # the terminal's copy is not kept in the notebook
