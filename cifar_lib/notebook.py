"""The notebooks' one-line setup and their small helpers.

    lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

resolves the profile, the run and figure folders and the seed, quiets TensorFlow, and prints
what a reader needs to know (versions, device). Everything a profile changes (how much data,
how many epochs) is decided here, not in notebook cells.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import platform
import textwrap
from collections.abc import Callable
from pathlib import Path

from cifar_lib import config
from cifar_lib.config import DATA_ENV_VAR

PROFILE_ENV_VAR = "CIFAR_PROFILE"
HEADLESS_ENV_VAR = "CIFAR_HEADLESS"  # set (to 1) by the pipeline and the nbval run: no browser is watching
DEFAULT_PROFILE = "full"
PROJECT_DIR = Path(__file__).resolve().parent.parent  # the project this package lives in


@dataclasses.dataclass(frozen=True)
class Profile:
    """How much work a notebook does: ``full`` (the defaults) is the real thing, ``ci`` a smoke test of minutes."""

    name: str = "full"
    train_images: int | None = None  # None: all of them
    test_images: int | None = None
    epochs: int | None = None  # None: the recipe's own
    batch_size: int | None = None
    fresh_run: bool = False  # start training from scratch every time (ci: the run folder is a scratch area)
    small_images: int = 5000  # short comparison runs (tuning, exercises): this many training images ...
    small_epochs: int = 4  # ... for this many epochs ...
    small_batch: int = 256  # ... at this batch size
    corruption_images: int = 1000  # test images notebook 6 corrupts (6 corruptions x 5 severities each)
    time_budget: bool = True  # notebook 4's TIME_BUDGET applies (ci: no, a smoke run has a fixed size)

    def small_run(self) -> dict:
        """``train`` settings of a short comparison run: about a minute on a 2-core CPU in full, seconds in ci."""
        return {"subset": self.small_images, "epochs": self.small_epochs, "batch_size": self.small_batch}


CI_SMALL = {"small_images": 512, "small_epochs": 1, "small_batch": 128, "corruption_images": 100}
PROFILES: dict[str, Profile] = {
    "full": Profile(),
    "ci": Profile("ci", 1024, 500, 1, 256, fresh_run=True, time_budget=False, **CI_SMALL),
}


def profile_name(profile: str | None = None) -> str:
    """``profile``, else ``$CIFAR_PROFILE``, else "full" (not checked: callers say what is allowed)."""
    return profile or os.environ.get(PROFILE_ENV_VAR) or DEFAULT_PROFILE


def find_project_root(start: str | Path | None = None) -> Path:
    """The folder holding ``notebooks/`` and ``cifar_lib/``, searched upwards from ``start`` (default: cwd)."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cifar_lib").is_dir() and (folder / "notebooks").is_dir():
            return folder
    return PROJECT_DIR


@dataclasses.dataclass(frozen=True)
class Lesson:
    """A notebook's resolved settings: profile, folders, seed."""

    profile: Profile
    root: Path
    run_dir: Path
    figures_dir: Path
    seed: int

    def figure(self, name: str) -> Path:
        """Where the figure ``name`` goes (``figures/`` in a full run, the run folder in ci)."""
        return self.figures_dir / name

    def show_path(self, path: str | Path) -> str:
        """``path`` as a reader should see it: relative to the project, or to ``$CIFAR10_DATA``."""
        return display_path(path, self.root)

    def load_data(self, source: str | Path | None = None, shrink: bool = True):
        """CIFAR-10 from ``source`` (None: ``$CIFAR10_DATA``, else the download); in ci, class-balanced subsets."""
        from cifar_lib.data import load_cifar10, stratified_subset

        data = load_cifar10(source)
        print(f"{len(data.x_train):,} training and {len(data.x_test):,} test images from {self.show_path(data.source)}")
        p = self.profile
        if not shrink or p.train_images is None:
            return data
        x_train, y_train = stratified_subset(data.x_train, data.y_train, p.train_images, seed=self.seed)
        x_test, y_test = stratified_subset(data.x_test, data.y_test, p.test_images, seed=self.seed)
        print(f"{p.name} profile: using {len(x_train):,} training and {len(x_test):,} test images")
        return dataclasses.replace(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    def prepare_run(self, recipe: str, **settings) -> dict:
        """Get the notebook's main run ready: its recipe overrides for this profile, checked before any
        work; in a profile with ``fresh_run`` (ci) this also deletes the previous run's files.

        ``settings``: the notebook's own knobs (epochs, batch_size, subset, ...); None means "the default".
        """
        from cifar_lib.training import clear_run, resolve_recipe

        overrides = {k: v for k, v in settings.items() if v is not None}
        if self.profile.epochs is not None:
            overrides.setdefault("epochs", self.profile.epochs)
        if self.profile.batch_size is not None:
            overrides.setdefault("batch_size", self.profile.batch_size)
        resolve_recipe(recipe, **overrides)  # a bad name or value fails here, before any data is loaded
        if self.profile.fresh_run:
            clear_run(self.run_dir)
        return overrides

    def time_budget(self, budget: str | float | None, recipe: str, overrides: dict) -> str | float | None:
        """``budget`` when this profile uses one (checked against the recipe and the overrides), else None.

        A budget chooses the epochs, the widths and the batch size itself: when the notebook sets
        one of them (``EPOCHS=2``), that setting wins and the run has no budget; so does a recipe
        outside the quick recipe's family (the baseline).
        """
        from cifar_lib.training import check_budget, resolve_recipe
        from cifar_lib.training.engine import BUDGET_CHOOSES

        if budget is None:
            return None
        resolved = resolve_recipe(recipe, **overrides)
        given = ", ".join(sorted(set(BUDGET_CHOOSES) & set(overrides)))
        for applies, who, why in (
            (not self.profile.time_budget, f"{self.profile.name} profile", "the run's size is fixed"),
            (resolved.model != "fast", f"recipe {recipe!r}", "the budget chooses within the quick recipe's family"),
            (bool(given), f"{given} set", f"it would choose {given} itself"),
        ):
            if applies:
                print(f"{who}: no time budget ({why})")
                return None
        check_budget(resolved, budget, overrides)
        return budget

    def find_model(self, model_path: str | Path | None = None) -> tuple[Path, dict | None]:
        """The model to evaluate and its run record (None when it has none): ``model_path``, else
        notebook 4's ``RUN_DIR/model.keras``, else the published ``models/cifar10_quick.keras``."""
        import json

        candidates = (
            [Path(model_path)]
            if model_path
            else [self.run_dir / "model.keras", self.root / "models" / "cifar10_quick.keras"]
        )
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise FileNotFoundError(f"no model at {', '.join(map(self.show_path, candidates))}: run notebook 4 first")
        record = path.with_name("run.json") if path.name == "model.keras" else path.with_suffix(".run.json")
        return path, (json.loads(record.read_text()) if record.exists() else None)

    def tensorboard(self, logdir: str | Path) -> None:
        """TensorBoard on ``logdir``, inline (what ``%tensorboard --logdir ...`` does).

        In a headless run (papermill, nbval: ``$CIFAR_HEADLESS`` set) no server is started, as
        nobody could look at it; the command to open the logs is printed instead.
        """
        shown = self.show_path(logdir)
        if headless():
            print(f"TensorBoard logs are in {shown}/tensorboard. Open them with: tensorboard --logdir {shown}")
            return
        import shlex

        from tensorboard import notebook as tensorboard_notebook

        tensorboard_notebook.start(f"--logdir {shlex.quote(str(logdir))}")


def headless() -> bool:
    """True when the notebook runs without a reader (``$CIFAR_HEADLESS`` set to anything but 0)."""
    return os.environ.get(HEADLESS_ENV_VAR, "") not in ("", "0")


def display_path(path: str | Path, root: str | Path | None = None) -> str:
    """A path without this machine's folders: ``$CIFAR10_DATA/...``, project-relative, or the name."""
    path = Path(path).resolve()
    data_root = os.environ.get(DATA_ENV_VAR)
    candidates = []
    if data_root:
        candidates.append((Path(data_root).resolve(), f"${DATA_ENV_VAR}"))
    candidates.append((Path(root or find_project_root()).resolve(), ""))
    for base, label in candidates:
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        text = rel.as_posix()
        return f"{label}/{text}".rstrip("/.") if label else (text or ".")
    return path.name


def profile_folders(
    profile: str, root: Path, run_dir: str | Path | None = None, figures_dir: str | Path | None = None
) -> tuple[Path, Path]:
    """The run and figures folders (absolute): the given ones, else ``runs/pipeline-<profile>`` and
    ``figures/`` (full) or ``<run folder>/figures`` (ci, so that committed figures stay untouched)."""
    run = Path(run_dir) if run_dir else root / "runs" / f"pipeline-{profile}"
    figures = Path(figures_dir) if figures_dir else (root / "figures" if profile == "full" else run / "figures")
    return run.resolve(), figures.resolve()


def setup(
    profile: str | None = None,
    run_dir: str | Path | None = None,
    figures_dir: str | Path | None = None,
    seed: int = config.DEFAULT_SEED,
    verbose: bool = True,
) -> Lesson:
    """Resolve the notebook's settings, quiet TensorFlow, seed everything, print the environment."""
    name = profile_name(profile)
    if name not in PROFILES:
        raise ValueError(f"PROFILE must be one of {', '.join(PROFILES)}, got {name!r}")
    config.quiet_tensorflow()
    root = find_project_root()
    run, figures = profile_folders(name, root, run_dir, figures_dir)
    run.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    config.set_seed(seed)
    lesson = Lesson(PROFILES[name], root, run, figures, seed)
    if verbose:
        print(environment_summary())
        print(f"profile {name}, seed {seed}, runs in {lesson.show_path(run)}, figures in {lesson.show_path(figures)}")
    return lesson


def environment_summary() -> str:
    """Versions and device in two lines, plus a hint when no GPU is found."""
    import keras
    import tensorflow as tf

    from cifar_lib.hardware import cpu_facts
    from cifar_lib.training.runinfo import gpu_names

    versions = f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}"
    names = gpu_names()
    if names:
        return (
            f"{versions}\ndevice: GPU ({', '.join(names)}); the recipes train in mixed_float16 there "
            "(float16 math, float32 weights; recipe field precision)"
        )
    cpu = cpu_facts()
    return (
        f"{versions}\ndevice: CPU, {cpu.cores} cores ({cpu.vector_isa})\n"
        "no GPU found: everything here runs on the CPU; the default recipes are sized for it"
    )


def show_source(*objects: Callable) -> object:
    """The library's own source of functions, methods or classes, syntax-highlighted in the notebook.

    This is the code that runs: the notebook shows it, it does not copy it.
    """
    from IPython.display import Markdown

    parts = []
    for obj in objects:
        module = inspect.getmodule(obj)
        header = f"# from {module.__name__}" if module else "#"
        parts.append(f"{header}\n{textwrap.dedent(inspect.getsource(obj)).rstrip()}")
    return Markdown("```python\n" + "\n\n\n".join(parts) + "\n```")
