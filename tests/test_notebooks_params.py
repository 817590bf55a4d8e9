"""Static checks of the committed notebooks: papermill parameters, nbval checks, lessons."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_data_exploration.ipynb",
    "02_augmentation_preview.ipynb",
    "03_model_building.ipynb",
    "04_training.ipynb",
    "05_evaluation.ipynb",
    "06_trust.ipynb",
    "07_use.ipynb",
]
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"


def read(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request) -> tuple[Path, nbformat.NotebookNode]:
    return request.param, read(request.param)


def test_first_code_cell_is_the_only_parameters_cell(notebook):
    _, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], f"parameters cell(s) at code cell(s) {tagged}; expected exactly the first"


def test_declares_the_common_parameters(notebook):
    path, _ = notebook
    declared = papermill.inspect_notebook(str(path))
    for name in ("PROFILE", "DATA", "RUN_DIR", "FIGURES_DIR", "SEED"):
        assert name in declared, f"{path.name} does not declare {name}"
    assert declared["PROFILE"]["default"] == "None"  # None: the profile comes from $CIFAR_PROFILE
    assert declared["DATA"]["default"] == "None"


def test_no_injected_parameters_are_committed(notebook):
    path, nb = notebook
    for cell in nb.cells:
        assert "injected-parameters" not in cell.metadata.get("tags", []), (
            f"{path.name} carries papermill's injected parameters: refresh it with `make notebooks`"
        )


def test_has_checked_cells(notebook):
    path, nb = notebook
    checked = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(CHECK_MARKER)]
    assert len(checked) >= 2, f"{path.name}: {len(checked)} cell(s) start with {CHECK_MARKER}, need >= 2"


def test_checked_cells_have_outputs_if_the_notebook_was_executed(notebook):
    """nbval compares checked cells with their committed outputs: an executed notebook needs them."""
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not any(c.get("outputs") for c in code):
        pytest.skip(f"{path.name} has not been executed yet (make notebooks)")
    for cell in code:
        if cell.source.startswith(CHECK_MARKER):
            assert cell.get("outputs"), f"{path.name}: a checked cell has no output:\n{cell.source[:200]}"
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            assert not errors, f"{path.name}: a checked cell failed when the notebook was executed"


def test_is_a_lesson(notebook):
    path, nb = notebook
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert len(markdown) >= 4, f"{path.name} has {len(markdown)} markdown cells"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "starts with a title"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


def test_figures_go_through_the_lessons_figure_folder(notebook):
    path, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code" and ("savefig(" in cell.source or "save_to=" in cell.source):
            assert "lesson.figure(" in cell.source, f"{path.name} saves a figure outside the figure folder"


def test_setup_is_one_short_cell_after_the_parameters(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    lines = [line for line in code[1].source.splitlines() if line.strip()]
    assert "setup(" in code[1].source and len(lines) <= 5, code[1].source


def test_each_notebook_is_in_sync_with_its_jupytext_source(notebook):
    """notebooks/NN_name.py (percent format) is the source; the .ipynb must hold the same cells."""
    import jupytext

    path, nb = notebook
    source = path.with_suffix(".py")
    assert source.exists(), (
        f"{source.name} is missing: pair it with `jupytext --set-formats ipynb,py:percent {path.name}`"
    )
    text = jupytext.read(str(source))

    def cells(book):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in book.cells]

    assert cells(text) == cells(nb), f"{path.name} and {source.name} differ: run `make sync-notebooks`"


def test_pairing_is_declared_for_the_project():
    config = (NOTEBOOKS_DIR.parent / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config


def test_exercises_have_hints_empty_cells_and_executed_solutions(notebook):
    """Each exercise: a task with a hint, an empty code cell for the learner, and a solution cell
    (tagged "solution") that runs with the notebook, so nbval and papermill execute it."""
    import re

    path, nb = notebook
    sources = [c.source for c in nb.cells]
    empty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and re.fullmatch(r"# Exercise \d+: your code here", c.source.strip())
    ]
    solutions = [c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    assert len(empty) >= 3, f"{path.name}: {len(empty)} empty exercise cells"
    for i in empty:
        task = sources[i - 1]
        assert nb.cells[i - 1].cell_type == "markdown" and "*Hint:*" in task, f"{path.name}: no hint before cell {i}"
    assert len(solutions) >= len(empty), f"{path.name}: {len(solutions)} solution cells for {len(empty)} exercises"
    heading = next(i for i, s in enumerate(sources) if s.lstrip().startswith("## Solutions"))
    assert all(nb.cells.index(c) > heading for c in solutions), "solutions come after the Solutions heading"
    assert not any("<details>" in s for s in sources), f"{path.name}: a solution hidden in markdown"


def test_the_source_shown_in_each_committed_notebook_is_the_librarys_code_today(notebook):
    """Every ``show_source`` rendering in the committed outputs ("# from <module>" then the code)
    is, line for line, a block of that module's current source: an edit of the library without
    re-executing the notebook fails here."""
    import importlib
    import inspect
    import re
    import textwrap

    path, nb = notebook
    shown = [
        output["data"]["text/markdown"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "text/markdown" in output.get("data", {})
    ]
    blocks = [
        b for text in shown for b in re.findall(r"```python\n(.*?)\n```", text, flags=re.S) if b.startswith("# from ")
    ]
    for block in blocks:
        for part in re.split(r"\n\n\n(?=# from )", block):
            header, _, code = part.partition("\n")
            module = importlib.import_module(header.removeprefix("# from ").strip())
            lines = inspect.getsource(module).splitlines()
            first, count = code.splitlines()[0].strip(), len(code.splitlines())
            starts = [i for i, line in enumerate(lines) if line.strip() == first]
            assert any(textwrap.dedent("\n".join(lines[i : i + count])) == code for i in starts), (
                f"{path.name}: the source shown from {module.__name__} (starting {first!r}) is not the library's "
                "code today: re-execute the notebook (make notebooks)"
            )
