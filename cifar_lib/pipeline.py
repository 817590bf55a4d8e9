"""Run the tutorial notebooks in order with papermill: ``python -m cifar_lib pipeline``.

Each notebook ``notebooks/NN_name.ipynb`` is executed into the profile's run folder (default
``runs/pipeline-<profile>/``, same names) with ``PROFILE``, ``DATA``, ``RUN_DIR`` and
``FIGURES_DIR`` set, plus the user's ``-p NAME=VALUE`` for every notebook that declares NAME (a
name none declares fails before anything runs). The run stops at the first failing notebook and
names it, the cell and the error. Training progress (the time estimate, a line per epoch)
reaches this terminal while a notebook runs (see ``cifar_lib.progress``).

``--in-place`` refreshes the committed notebooks: only explicit ``-p`` values are injected
(profile and data travel through the environment, so no machine's paths get committed), and the
outputs are tidied with nbconvert's CoalesceStreamsPreprocessor.
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from cifar_lib.config import DATA_ENV_VAR
from cifar_lib.notebook import (
    HEADLESS_ENV_VAR,
    PROFILE_ENV_VAR,
    PROFILES,
    find_project_root,
    profile_folders,
    profile_name,
)
from cifar_lib.progress import PROGRESS_ENV_VAR

log = logging.getLogger(__name__)
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class PipelineError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


class PipelineUsageError(ValueError):
    """Bad arguments (unknown notebook or parameter, malformed -p); raised before anything runs."""


def resolve_profile(profile: str | None = None) -> str:
    """``profile``, else ``$CIFAR_PROFILE``, else "full"; anything else than ci/full is an error."""
    value = profile_name(profile)
    if value not in PROFILES:
        raise PipelineUsageError(f"unknown profile {value!r}; choose one of: {', '.join(PROFILES)}")
    return value


def discover_notebooks(folder: str | Path | None = None) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` of ``folder`` (default: the project's), in order."""
    folder = Path(folder) if folder else find_project_root() / "notebooks"
    found = sorted(folder.glob(NOTEBOOK_GLOB))
    if not found:
        raise PipelineUsageError(f"no notebooks matching {NOTEBOOK_GLOB} in {folder}")
    return found


def select_notebooks(notebooks: Sequence[Path], only: str | Iterable[str] | None = None) -> list[Path]:
    """The notebooks named by ``only`` ("01,03", ["04_training"]; None: all), in pipeline order."""
    if only is None:
        return list(notebooks)
    keys = [k.strip() for k in (only.split(",") if isinstance(only, str) else only) if k.strip()]
    for key in keys:
        if not any(key in (p.stem, p.name, p.stem[:2]) for p in notebooks):
            raise PipelineUsageError(
                f"--only: no notebook {key!r}; the notebooks are: {', '.join(p.stem for p in notebooks)}"
            )
    return [p for p in notebooks if {p.stem, p.name, p.stem[:2]} & set(keys)]


def notebook_parameters(path: str | Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell: name -> papermill's description."""
    import papermill

    return papermill.inspect_notebook(str(path))


def parse_value(text: str):
    """A -p value as Python: numbers, None/True/False (any case), lists, quoted strings; else the text."""
    lowered = text.strip().lower()
    if lowered in ("none", "null", "true", "false"):
        return {"none": None, "null": None, "true": True, "false": False}[lowered]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_overrides(items: Iterable[str]) -> dict[str, object]:
    """``["EPOCHS=3", "RECIPE=fast"]`` -> ``{"EPOCHS": 3, "RECIPE": "fast"}``."""
    parsed = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise PipelineUsageError(f"-p {item!r}: expected NAME=VALUE with a parameter name")
        parsed[name.strip()] = parse_value(value)
    return parsed


def check_overrides(overrides: dict, declared: dict[Path, dict]) -> None:
    """PipelineUsageError naming any override no selected notebook declares, with what they do declare."""
    for name in overrides:
        if not any(name in names for names in declared.values()):
            listing = "\n  ".join(f"{p.stem}: {', '.join(names) or '(none)'}" for p, names in declared.items())
            raise PipelineUsageError(
                f"unknown parameter {name!r}: no selected notebook declares it. Parameters:\n  {listing}"
            )


def tidy(path: Path, name: str, for_commit: bool) -> None:
    """One pass over an executed notebook: drop the terminal's copies of its progress lines, and
    (``for_commit``) papermill's timings, with the streams merged and progress bars rendered.

    A kernel forwards what goes to its process's stderr into the notebook as well, so each
    ``progress.report`` line would show twice there: once as printed, once with the ``[name]``
    prefix that only the terminal needs.
    """
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    nb = nbformat.read(str(path), as_version=4)
    prefix = f"  [{name}] "
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                output.text = "".join(line for line in output.text.splitlines(True) if not line.startswith(prefix))
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and not o.text)]
        if for_commit:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
    if for_commit:
        nb.metadata.pop("papermill", None)
        nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    nbformat.write(nb, str(path))


def _failure_message(path: Path, error: Exception, output: Path) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        cell = f"In [{error.exec_count}]" if error.exec_count is not None else "a cell"
        where, what = f"{cell} (cell {error.cell_index + 1} of the notebook)", f"{error.ename}: {error.evalue}"
    else:
        where, what = "execution", f"{type(error).__name__}: {error}"
    return (
        f"notebook {path.name} failed at {where}: {what.rstrip(': ')}\n"
        f"  the executed notebook, with the traceback: {output}"
    )


def run_pipeline(
    profile: str | None = None,
    only: str | Iterable[str] | None = None,
    out: str | Path | None = None,
    in_place: bool = False,
    data: str | Path | None = None,
    figures_dir: str | Path | None = None,
    overrides: Iterable[str] | dict | None = None,
    notebooks_dir: str | Path | None = None,
    kernel_name: str = "python3",
    progress_bar: bool = True,
    log_output: bool = False,
) -> list[Path]:
    """Execute the notebooks in order; the executed notebooks' paths. PipelineUsageError / PipelineError."""
    import papermill

    profile = resolve_profile(profile)
    selected = select_notebooks(discover_notebooks(notebooks_dir), only)
    overrides = dict(overrides) if isinstance(overrides, dict) else parse_overrides(overrides or ())
    declared = {p: notebook_parameters(p) for p in selected}
    check_overrides(overrides, declared)
    if in_place and out is not None:
        raise PipelineUsageError(
            "--in-place and --out exclude each other: in place, artifacts go to the notebooks' defaults"
        )
    run_dir, figures = profile_folders(profile, find_project_root(selected[0].parent), out, figures_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    common = {
        "PROFILE": profile,
        "DATA": str(Path(data).resolve()) if data else None,
        "RUN_DIR": str(run_dir),
        "FIGURES_DIR": str(figures),
    }
    environment = {
        PROFILE_ENV_VAR: profile,
        HEADLESS_ENV_VAR: "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **({DATA_ENV_VAR: common["DATA"]} if data else {}),
    }  # the kernels inherit it
    logging.getLogger("papermill").setLevel(logging.INFO if log_output else logging.WARNING)
    log.info(
        "pipeline: %d notebook(s), profile %s, into %s", len(selected), profile, "notebooks/" if in_place else run_dir
    )
    saved, done = dict(os.environ), []
    try:
        for number, path in enumerate(selected, 1):
            mine = {k: v for k, v in overrides.items() if k in declared[path]}
            parameters = mine if in_place else {**{k: v for k, v in common.items() if k in declared[path]}, **mine}
            output = run_dir / path.name  # in place too: a failed run leaves the committed notebook as it was
            os.environ.update(environment, **{PROGRESS_ENV_VAR: path.stem})
            log.info("[%d/%d] %s ...", number, len(selected), path.name)
            started = time.monotonic()
            try:
                papermill.execute_notebook(
                    str(path),
                    str(output),
                    parameters=parameters,
                    kernel_name=kernel_name,
                    cwd=str(path.parent),
                    progress_bar=progress_bar,
                    log_output=log_output,
                )
            except Exception as error:  # PapermillExecutionError, a dead kernel, a timeout, ...
                raise PipelineError(_failure_message(path, error, output)) from error
            tidy(output, path.stem, for_commit=in_place)
            if in_place:
                shutil.copyfile(output, path)
            log.info("[%d/%d] %s done in %.1f s", number, len(selected), path.name, time.monotonic() - started)
            done.append(path if in_place else output)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return done


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the pipeline's options to ``parser`` (``python -m cifar_lib pipeline``)."""
    add = parser.add_argument
    add(
        "--profile",
        choices=PROFILES,
        help=f"full: the real thing; ci: tiny subsets, 1 epoch (default: ${PROFILE_ENV_VAR} or full)",
    )
    add("--only", metavar="NN,NN", help="run only these notebooks, e.g. --only 01,03")
    add("--out", metavar="DIR", help="run folder (default: runs/pipeline-<profile>)")
    add(
        "--in-place",
        action="store_true",
        help="write the executed notebooks back into notebooks/ (refreshes the committed outputs)",
    )
    add("--data", metavar="PATH", help=f"CIFAR-10 source (default: ${DATA_ENV_VAR} or download)")
    add("--figures", metavar="DIR", help="figures folder (default: figures/ for full, <out>/figures for ci)")
    add(
        "-p",
        "--parameter",
        dest="parameters",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="set a parameter of every notebook that declares it (repeatable)",
    )
    add("--notebooks", metavar="DIR", help="notebooks folder (default: the project's notebooks/)")
    add("--kernel", default="python3", help="Jupyter kernel name (default: python3)")
    add("--list", action="store_true", help="list the notebooks and their parameters, run nothing")
    add("--log-output", action="store_true", help="stream every cell's output to stderr")
    add("--no-progress", action="store_true", help="no cell progress bar")
    return parser


def run_from_args(args: argparse.Namespace) -> int:
    """Run the pipeline for parsed ``args``; the exit code (0 ok, 1 a notebook failed, 2 bad usage)."""
    if not logging.getLogger().handlers:  # progress lines to stderr, unless the application configured logging
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    try:
        if args.list:
            for path in select_notebooks(discover_notebooks(args.notebooks), args.only):
                print(path.name)
                for name, info in notebook_parameters(path).items():
                    print(f"    {name} = {info['default']}" + (f"  # {info['help']}" if info.get("help") else ""))
            return EXIT_OK
        run_pipeline(
            profile=args.profile,
            only=args.only,
            out=args.out,
            in_place=args.in_place,
            data=args.data,
            figures_dir=args.figures,
            overrides=args.parameters,
            notebooks_dir=args.notebooks,
            kernel_name=args.kernel,
            progress_bar=not args.no_progress,
            log_output=args.log_output,
        )
    except PipelineUsageError as error:
        log.error("pipeline: %s", error)
        return EXIT_USAGE
    except PipelineError as error:
        log.error("pipeline: %s", error)
        return EXIT_FAILED
    return EXIT_OK
