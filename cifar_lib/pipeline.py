"""Run the tutorial notebooks in order with papermill: ``python -m cifar_lib pipeline``.

Each notebook ``notebooks/NN_name.ipynb`` is executed into a run folder (default
``runs/pipeline-<profile>/``; the executed notebooks keep their names), with a common set of
parameters (``PROFILE``, ``DATA``, ``RUN_DIR``, ``FIGURES_DIR``) plus the user's
``-p NAME=VALUE`` overrides. An override goes to every selected notebook that declares the
name (``-p 04:NAME=VALUE`` targets one notebook); a name no target declares fails before
anything runs, with the list of parameters the notebooks do declare. The run stops at the first
failing notebook and names it, the failing cell and the error.

``--in-place`` refreshes the committed notebooks in ``notebooks/``: nothing but explicit ``-p``
overrides is injected (profile and data travel through the environment), so the committed
notebooks stay free of machine-specific paths. Logs go to stderr.

Importing this module is cheap: papermill is imported when a notebook is inspected or run.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from cifar_lib.config import DATA_ENV_VAR
from cifar_lib.notebook import HEADLESS_ENV_VAR, PROFILE_ENV_VAR, PROFILES, find_project_root, profile_name
from cifar_lib.notebook import PROJECT_DIR as PACKAGE_PROJECT_DIR

log = logging.getLogger(__name__)

DEFAULT_KERNEL = "python3"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class PipelineError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


class PipelineUsageError(ValueError):
    """Bad arguments (unknown notebook or parameter name, malformed -p); raised before any run."""


@dataclasses.dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: its name, where the executed copy went and how long it took."""

    name: str
    output: Path
    seconds: float


# ----------------------------------------------------------------------------- paths


def default_notebooks_dir() -> Path:
    """``notebooks/`` of the project this package lives in."""
    return PACKAGE_PROJECT_DIR / "notebooks"


def resolve_profile(profile: str | None = None) -> str:
    """``profile``, else ``$CIFAR_PROFILE``, else "full"; anything else than ci/full is an error."""
    value = profile_name(profile)
    if value not in PROFILES:
        raise PipelineUsageError(f"unknown profile {value!r}; choose one of: {', '.join(PROFILES)}")
    return value


# ----------------------------------------------------------------------------- notebooks


def discover_notebooks(notebooks_dir: "str | Path | None" = None) -> list[Path]:
    """The numbered notebooks ``NN_*.ipynb`` of ``notebooks_dir``, in order."""
    folder = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    found = sorted(p for p in folder.glob(NOTEBOOK_GLOB) if p.is_file())
    if not found:
        raise PipelineUsageError(f"no notebooks matching {NOTEBOOK_GLOB} in {folder}")
    return found


def _matches(path: Path, key: str) -> bool:
    key = key.strip()
    return key in (path.stem, path.name, path.stem[:2]) or (len(key) == 1 and path.stem[:2] == f"0{key}")


def select_notebooks(notebooks: Sequence[Path], only: "str | Iterable[str] | None" = None) -> list[Path]:
    """The notebooks named by ``only`` ("01,03", ["01", "04_training"]; None: all), in pipeline order."""
    if only is None:
        return list(notebooks)
    keys = [k.strip() for k in (only.split(",") if isinstance(only, str) else only) if k.strip()]
    if not keys:
        raise PipelineUsageError("--only needs at least one notebook number, e.g. --only 01,03")
    for key in keys:
        if not any(_matches(p, key) for p in notebooks):
            names = ", ".join(p.stem for p in notebooks)
            raise PipelineUsageError(f"--only: no notebook {key!r}; the notebooks are: {names}")
    return [p for p in notebooks if any(_matches(p, k) for k in keys)]


def notebook_parameters(path: "str | Path") -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell: name -> papermill's description."""
    import papermill

    return papermill.inspect_notebook(str(path))


def _describe(path: Path, parameters: Mapping[str, dict]) -> str:
    names = ", ".join(parameters) or "(none: the notebook has no parameters cell)"
    return f"{path.stem}: {names}"


# ----------------------------------------------------------------------------- overrides


def parse_value(text: str):
    """A -p value as Python: numbers, None/True/False (any case), lists, quoted strings; else the text."""
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_overrides(items: Iterable[str]) -> list[tuple[str | None, str, object]]:
    """``["EPOCHS=3", "04:RECIPE=baseline"]`` -> ``[(None, "EPOCHS", 3), ("04", "RECIPE", "baseline")]``."""
    parsed = []
    for item in items:
        head, sep, value = item.partition("=")
        if not sep:
            raise PipelineUsageError(f"-p {item!r}: expected NAME=VALUE or NN:NAME=VALUE")
        target, _, name = head.rpartition(":")
        name = name.strip()
        if not name.isidentifier():
            raise PipelineUsageError(f"-p {item!r}: {name!r} is not a parameter name")
        parsed.append((target.strip() or None, name, parse_value(value)))
    return parsed


def plan_parameters(
    notebooks: Sequence[Path],
    overrides: "Iterable[str] | Mapping[str, object] | None",
    declared: Mapping[Path, Mapping[str, dict]],
) -> dict[Path, dict[str, object]]:
    """Which override goes to which notebook; an undeclared name raises PipelineUsageError naming it."""
    if overrides is None:
        items: list[tuple[str | None, str, object]] = []
    elif isinstance(overrides, Mapping):
        items = [(None, k, v) for k, v in overrides.items()]
    else:
        items = parse_overrides(overrides)
    plan: dict[Path, dict[str, object]] = {p: {} for p in notebooks}
    for target, name, value in items:
        if target is None:
            takers = [p for p in notebooks if name in declared[p]]
            if not takers:
                listing = "\n  ".join(_describe(p, declared[p]) for p in notebooks)
                raise PipelineUsageError(
                    f"unknown parameter {name!r}: no selected notebook declares it. Parameters:\n  {listing}"
                )
        else:
            takers = [p for p in notebooks if _matches(p, target)]
            if not takers:
                names = ", ".join(p.stem for p in notebooks)
                raise PipelineUsageError(f"-p {target}:{name}: no selected notebook {target!r} (selected: {names})")
            for p in takers:
                if name not in declared[p]:
                    raise PipelineUsageError(
                        f"unknown parameter {name!r} for notebook {p.stem}; "
                        f"its parameters are: {', '.join(declared[p]) or '(none)'}"
                    )
        for p in takers:
            plan[p][name] = value
    return plan


# ----------------------------------------------------------------------------- running


@contextlib.contextmanager
def _environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, leave alone) environment variables for the kernels; restore afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is not None:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _kernel_manager_class(stderr_log: Path):
    """A kernel manager that sends the kernel process's own stderr to ``stderr_log``.

    Cell outputs are unaffected (they travel over the Jupyter protocol); what goes to the log is
    the kernel's chatter (ipykernel warnings, native-library messages, crash reports) that would
    otherwise be interleaved with the pipeline's progress. None: use jupyter_client's default.
    """
    try:
        from jupyter_client import AsyncKernelManager
    except ImportError:  # pragma: no cover
        return None
    if not hasattr(AsyncKernelManager, "_async_launch_kernel"):  # pragma: no cover - other versions
        return None

    class LoggingKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if kw.get("stderr") is not None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(stderr_log, "ab") as log_file:  # the kernel keeps its own copy of the handle
                kw["stderr"] = log_file
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggingKernelManager


def _render_terminal_text(text: str) -> str:
    """What a terminal shows for ``text``: each line keeps what follows its last carriage return."""
    return "\n".join(line.rsplit("\r", 1)[-1].replace("\b", "") for line in text.split("\n"))


def _tidy_for_commit(path: Path) -> None:
    """Make an executed notebook fit to commit: no papermill timings, progress bars rendered.

    Removes papermill's per-cell and notebook metadata (timestamps, durations), merges
    consecutive stream outputs and keeps only the final state of progress-bar lines
    (Keras redraws them with ``\\b`` and ``\\r``), so refreshed notebooks diff cleanly.
    """
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            previous = outputs[-1] if outputs else None
            if (
                output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name
            ):
                previous.text += output.text
            else:
                outputs.append(output)
        for output in outputs:
            if output.output_type == "stream":
                output.text = _render_terminal_text(output.text)
        cell.outputs = outputs
    nbformat.write(nb, str(path))


def _failure_message(path: Path, error: Exception, output: Path, stderr_log: Path | None = None) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        cell = f"In [{error.exec_count}]" if error.exec_count is not None else "a cell"
        where = f"{cell} (cell {error.cell_index + 1} of the notebook)"
        what = f"{error.ename}: {error.evalue}".rstrip(": ")
    else:
        where, what = "execution", f"{type(error).__name__}: {error}"
    message = f"notebook {path.name} failed at {where}: {what}\n  the executed notebook, with the traceback: {output}"
    if stderr_log is not None and stderr_log.exists() and stderr_log.stat().st_size:
        message += f"\n  the kernel's own log: {stderr_log}"
    return message


def run_pipeline(
    profile: str | None = None,
    only: "str | Iterable[str] | None" = None,
    out: "str | Path | None" = None,
    in_place: bool = False,
    data: "str | Path | None" = None,
    figures_dir: "str | Path | None" = None,
    overrides: "Iterable[str] | Mapping[str, object] | None" = None,
    notebooks_dir: "str | Path | None" = None,
    kernel_name: str = DEFAULT_KERNEL,
    progress_bar: bool = True,
    log_output: bool = False,
    start_timeout: int = 120,
) -> list[NotebookRun]:
    """Execute the notebooks in order; returns what ran. Raises PipelineUsageError / PipelineError.

    profile: "full" (default, or ``$CIFAR_PROFILE``) or "ci". out: the run folder (default
    ``runs/pipeline-<profile>`` in the project). in_place: write the executed notebooks back into
    ``notebooks_dir`` (refresh the committed ones) instead of into ``out``. overrides: ``-p``
    strings ("NAME=VALUE", "NN:NAME=VALUE") or a dict for every notebook that declares the name.
    """
    import papermill

    profile = resolve_profile(profile)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    selected = select_notebooks(discover_notebooks(notebooks_dir), only)
    declared = {p: notebook_parameters(p) for p in selected}
    plan = plan_parameters(selected, overrides, declared)
    root = find_project_root(notebooks_dir)
    if in_place and out is not None:
        raise PipelineUsageError("--in-place and --out exclude each other: in place, artifacts go to the notebooks' defaults")
    run_dir = Path(out) if out is not None else root / "runs" / f"pipeline-{profile}"
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if figures_dir is None:
        figures_dir = root / "figures" if profile == "full" else run_dir / "figures"
    common = {
        "PROFILE": profile,
        "DATA": str(Path(data).resolve()) if data is not None else None,
        "RUN_DIR": str(run_dir),
        "FIGURES_DIR": str(Path(figures_dir).resolve()),
    }
    environment = {PROFILE_ENV_VAR: profile, DATA_ENV_VAR: common["DATA"], HEADLESS_ENV_VAR: "1"}

    papermill_log = logging.getLogger("papermill")
    papermill_log.setLevel(logging.INFO if log_output else logging.WARNING)
    target = "in place" if in_place else str(run_dir)
    log.info("pipeline: %d notebook(s), profile %s, into %s", len(selected), profile, target)
    runs: list[NotebookRun] = []
    with _environment(environment):
        for number, path in enumerate(selected, 1):
            if in_place:  # only explicit overrides: they become part of the committed notebook
                parameters = dict(plan[path])
                if parameters:
                    log.warning("%s: baking %s into the committed notebook", path.name, parameters)
            else:
                parameters = {k: v for k, v in common.items() if k in declared[path]}
                parameters.update(plan[path])
            output = run_dir / path.name
            stderr_log = run_dir / f"{path.stem}.kernel.log"
            stderr_log.unlink(missing_ok=True)
            manager = _kernel_manager_class(stderr_log)
            extra = {"kernel_manager_class": manager} if manager is not None else {}
            log.info("[%d/%d] %s ...", number, len(selected), path.name)
            started = time.monotonic()
            try:
                papermill.execute_notebook(
                    str(path), str(output), parameters=parameters, kernel_name=kernel_name,
                    cwd=str(path.parent), progress_bar=progress_bar, log_output=log_output,
                    start_timeout=start_timeout, **extra,
                )
            except Exception as error:  # PapermillExecutionError, dead kernel, timeout, ...
                seconds = time.monotonic() - started
                log.error("[%d/%d] %s FAILED after %.1f s", number, len(selected), path.name, seconds)
                raise PipelineError(_failure_message(path, error, output, stderr_log)) from error
            seconds = time.monotonic() - started
            if in_place:
                _tidy_for_commit(output)
                shutil.copyfile(output, path)
            log.info("[%d/%d] %s done in %.1f s", number, len(selected), path.name, seconds)
            runs.append(NotebookRun(path.stem, path if in_place else output, seconds))
    log.info("pipeline: all %d notebook(s) ran in %.1f s", len(runs), sum(r.seconds for r in runs))
    return runs


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the pipeline's options to ``parser`` (used by ``python -m cifar_lib pipeline``)."""
    parser.add_argument(
        "--profile", choices=PROFILES, default=None,
        help=f"full: the real thing; ci: tiny subsets, 1 epoch (default: ${PROFILE_ENV_VAR} or full)",
    )
    parser.add_argument("--only", metavar="NN,NN", default=None, help="run only these notebooks, e.g. --only 01,03")
    parser.add_argument("--out", metavar="DIR", default=None, help="run folder (default: runs/pipeline-<profile>)")
    parser.add_argument(
        "--in-place", action="store_true",
        help="write the executed notebooks back into notebooks/ (refreshes the committed outputs)",
    )
    parser.add_argument("--data", metavar="PATH", default=None, help=f"CIFAR-10 source (default: ${DATA_ENV_VAR} or download)")
    parser.add_argument("--figures", metavar="DIR", default=None, help="figures folder (default: figures/ for full, <out>/figures for ci)")
    parser.add_argument(
        "-p", "--parameter", dest="parameters", metavar="[NN:]NAME=VALUE", action="append", default=[],
        help="set a notebook parameter (repeatable); NN: only for that notebook",
    )
    parser.add_argument("--notebooks", metavar="DIR", default=None, help="notebooks folder (default: the project's notebooks/)")
    parser.add_argument("--kernel", default=DEFAULT_KERNEL, help="Jupyter kernel name (default: python3)")
    parser.add_argument("--list", action="store_true", help="list the notebooks and their parameters, run nothing")
    parser.add_argument("--log-output", action="store_true", help="stream the notebooks' outputs to stderr")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _configure_logging() -> None:
    """Progress lines to stderr (unless the application configured logging already)."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for name in (__name__, "papermill"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


def _list(args: argparse.Namespace) -> int:
    for path in select_notebooks(discover_notebooks(args.notebooks), args.only):
        print(path.name)
        for name, info in notebook_parameters(path).items():
            help_text = f"  # {info['help']}" if info.get("help") else ""
            print(f"    {name} = {info['default']}{help_text}")
    return EXIT_OK


def run_from_args(args: argparse.Namespace) -> int:
    """Run the pipeline for parsed command-line ``args``; returns the exit code (0 ok, 1 failed, 2 usage)."""
    _configure_logging()
    try:
        if args.list:
            return _list(args)
        run_pipeline(
            profile=args.profile, only=args.only, out=args.out, in_place=args.in_place, data=args.data,
            figures_dir=args.figures, overrides=args.parameters, notebooks_dir=args.notebooks,
            kernel_name=args.kernel, progress_bar=not args.no_progress, log_output=args.log_output,
        )
    except PipelineUsageError as error:
        log.error("pipeline: %s", error)
        return EXIT_USAGE
    except PipelineError as error:
        log.error("pipeline: %s", error)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m cifar_lib.pipeline``."""
    parser = add_arguments(argparse.ArgumentParser(prog="python -m cifar_lib pipeline", description=__doc__.split("\n")[0]))
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
