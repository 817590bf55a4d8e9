"""``train(recipe, data, out_dir)``: one resumable training run that leaves its artifacts behind.

out_dir/
  model.keras       final model (self-contained: feed it 0..255 pixels)
  best.keras        best epoch by validation accuracy (recipes with a validation split only:
                    the quick and fast recipes monitor the test set, which must not choose a model)
  history.csv       one row per epoch: loss, accuracy, val_loss and val_accuracy (test_loss and test_accuracy
                    when the test set is monitored), learning_rate, seconds
  run.json          recipe, overrides, seed, versions, device, wall time, final metrics
  budget.json       a budgeted run's choice (``budget_seconds``): a resumed run keeps it
  checkpoint/       resume state of the newest two epochs (see ``checkpoints``), kept until the run finishes
  tensorboard/      per-epoch scalars: train/ and validation/ (or test/); ``tensorboard --logdir runs/``
  .lock             held while a process works in out_dir: a second run there is refused (see ``runlock``)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence

import keras
import pandas as pd
import tensorflow as tf

from cifar_lib import config as cfg
from cifar_lib.data import CifarData, stratified_subset, train_val_split
from cifar_lib.errors import CheckpointCorrupted, TrainingInterrupted
from cifar_lib.files import atomic_write_text
from cifar_lib.progress import report
from cifar_lib.training import budget as budgets
from cifar_lib.training import callbacks as cb
from cifar_lib.training import checkpoints, devices, runlock
from cifar_lib.training.loop import compiled_model, fit_recipe, precision, steps_in_epoch
from cifar_lib.training.recipes import Recipe, get_recipe
from cifar_lib.training.runinfo import device_info, git_commit, package_versions

RUN_JSON = "run.json"
BUDGET_JSON = "budget.json"
BUDGET_CHOOSES = ("epochs", "widths", "batch_size")
FINAL_MODEL = "model.keras"
BEST_MODEL = "best.keras"
RESUME_CHOICES = ("auto", "previous", "fresh")
TENSORBOARD_DIR = "tensorboard"


@dataclasses.dataclass
class TrainResult:
    """What ``train`` returns: the final model, its per-epoch history and the run record."""

    model: keras.Model
    history: pd.DataFrame
    out_dir: str
    run_info: dict


def resolve_recipe(
    recipe: str | Recipe, *, subset: int | None = None, verbose: int | str = "auto", resume: str = "auto", **overrides
) -> Recipe:
    """The recipe with ``overrides`` (Recipe fields) applied; ValueError naming any bad setting.

    Also checks ``subset``, ``verbose`` and ``resume`` (see ``train``). Cheap: call it to check
    settings before loading data (``train`` calls it first too).
    """
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(
            f"verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto', got {verbose!r}"
        )
    if subset is not None and (isinstance(subset, bool) or not isinstance(subset, int) or subset < 10):
        raise ValueError(f"subset must be an integer >= 10 (images), got {subset!r}")
    if resume not in RESUME_CHOICES:
        raise ValueError(f"resume must be one of {', '.join(RESUME_CHOICES)}, got {resume!r}")
    return get_recipe(recipe).replace(**overrides)


def check_out_dir(out_dir: str | os.PathLike) -> str:
    """``out_dir`` as a string; ValueError when it names something that is not a folder."""
    out_dir = os.fspath(out_dir)
    if not out_dir:
        raise ValueError("the output folder is an empty string")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"{out_dir}: exists and is not a folder; choose a folder for the run's outputs")
    return out_dir


def train(
    recipe: str | Recipe,
    data: CifarData,
    out_dir: str,
    *,
    subset: int | None = None,
    verbose: int | str = "auto",
    resume: str = "auto",
    callbacks: Sequence = (),
    budget_seconds: float | str | None = None,
    strategy=None,
    **overrides,
) -> TrainResult:
    """Train ``recipe`` on ``data`` into ``out_dir``; resumes an interrupted run, returns a finished one.

    ``subset``: train on a class-balanced subset of N training images. ``verbose``: 0 silent,
    1 Keras' progress bar, 2 one line per epoch; "auto" (default): the bar on a terminal, lines
    in a log file or a notebook. ``resume``: "auto" (default) continues from the newest
    checkpoint; when that one is damaged, "previous" continues from the one before and "fresh"
    starts over. ``callbacks``: more Keras callbacks, called after the run's own (not part of
    the run's configuration). ``budget_seconds`` (600, "10m"): measure this machine, then train
    the network and epoch count of the frontier with the best expected accuracy that fits (see
    ``budget``; the measuring counts against it); a resumed run keeps its first choice.
    ``strategy``: a tf.distribute strategy to train under (``devices.strategy_for``: several GPUs
    or machines); the recipe's batch stays the global batch. None: one device.
    ``overrides``: any Recipe field (epochs, batch_size, seed, learning_rate, val_fraction, ...).
    Unknown names or bad values raise ValueError before any work; another process training in
    ``out_dir`` raises RunFolderBusy.
    """
    started = time.perf_counter()
    recipe = resolve_recipe(recipe, subset=subset, verbose=verbose, resume=resume, **overrides)
    if budget_seconds is not None:
        budget_seconds = check_budget(recipe, budget_seconds, overrides)
    out_dir = check_out_dir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    with runlock.hold(out_dir):
        config = {"overrides": dict(overrides, subset=subset), "data_source": data.source}
        if budget_seconds is not None:
            measured_before = os.path.exists(os.path.join(out_dir, BUDGET_JSON))
            choice = budget_choice(recipe, data, out_dir, budget_seconds, subset=subset, started=started)
            if measured_before:  # by budget_choice or an interrupted run: its measuring counts too
                started -= choice.measure_seconds
            recipe = recipe.replace(**choice.overrides())
            config["budget"] = choice.to_dict()
        config = {"recipe": recipe.to_dict(), **config, "git_commit": git_commit()}  # the code the run starts from
        finished = _finished_run(out_dir, config)
        if finished is not None:
            return finished
        return _train_locked(recipe, data, out_dir, config, subset, verbose, resume, callbacks, started, strategy)


def check_budget(recipe: Recipe, budget_seconds: float | str, overrides: dict) -> float:
    """The budget in seconds; ValueError for a bad value, a recipe without a frontier, or settings it would choose."""
    seconds = budgets.parse_budget(budget_seconds)
    if recipe.model != "fast":
        raise ValueError(f"a time budget chooses among the quick recipe's family; recipe {recipe.name!r} has none")
    clash = sorted(set(BUDGET_CHOOSES) & set(overrides))
    if clash:
        raise ValueError(
            f"a time budget chooses {', '.join(BUDGET_CHOOSES)} itself; do not also set {', '.join(clash)}"
        )
    return seconds


def budget_choice(
    recipe: str | Recipe,
    data: CifarData,
    out_dir: str | os.PathLike,
    budget_seconds: float | str,
    *,
    subset: int | None = None,
    started: float | None = None,
    **overrides,
) -> budgets.Choice:
    """What a run of ``budget_seconds`` in ``out_dir`` trains: the choice saved there (budget.json)
    by an earlier call or an interrupted run, else a new one, measured on this machine and saved.

    ``train(..., budget_seconds=...)`` calls it; call it yourself to see the choice first.
    ``started``: ``time.perf_counter()`` when the budget began (default: now).
    """
    recipe = resolve_recipe(recipe, **overrides)
    budget_seconds = check_budget(recipe, budget_seconds, overrides)
    out_dir = check_out_dir(out_dir)
    path = os.path.join(out_dir, BUDGET_JSON)
    record = {"budget_seconds": budget_seconds, "base_recipe": json.loads(json.dumps(recipe.to_dict()))}  # as stored
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        if {k: saved[k] for k in record} == record:
            choice = budgets.Choice.from_dict(saved["choice"])
            report(f"this folder's budget choice ({BUDGET_JSON}): {choice.line()}")
            return choice
    # the same split the run will use (its batch size, which the choice sets, plays no part in the split)
    x_train, y_train, x_val, _, _ = _split(data, recipe.replace(batch_size=1), subset)
    choice = budgets.plan(recipe, budget_seconds, x_train, y_train, len(x_val), started=started)
    os.makedirs(out_dir, exist_ok=True)
    atomic_write_text(path, json.dumps({**record, "choice": choice.to_dict()}, indent=2))
    report(choice.line())
    return choice


def _train_locked(
    recipe: Recipe,
    data: CifarData,
    out_dir: str,
    config: dict,
    subset: int | None,
    verbose: int | str,
    resume: str,
    extra_callbacks: Sequence = (),
    started: float | None = None,
    strategy=None,
) -> TrainResult:
    checkpoint, state = _pick_checkpoint(out_dir, config, resume)
    cfg.configure_threads()
    cfg.set_seed(recipe.seed, deterministic=recipe.jit_compile is not True)
    x_train, y_train, x_val, y_val, monitored = _split(data, recipe, subset)
    start_epoch, history, restore = 0, [], None
    if checkpoint is not None:
        start_epoch, history = state["epochs_done"], state["history"]
        print(f"Resuming from epoch {start_epoch} of {recipe.epochs} (state in {checkpoint.json_path})")

        def restore(model: keras.Model) -> None:
            _load_checkpoint_weights(checkpoint, model, out_dir)

    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    callbacks = _callbacks(recipe, out_dir, config, history, monitored, verbose == 2)
    recorder = next(c for c in callbacks if isinstance(c, cb.RunRecorder))
    model = None
    if start_epoch < recipe.epochs:
        try:
            model = fit_recipe(
                recipe,
                x_train,
                y_train,
                x_val,
                y_val,
                initial_epoch=start_epoch,
                restore=restore,
                callbacks=[*callbacks, *extra_callbacks],
                verbose=1 if verbose == 1 else 0,
                strategy=strategy,
            )
        except KeyboardInterrupt:
            done = len(recorder.rows)
            raise TrainingInterrupted(
                f"Training interrupted during epoch {done + 1} of {recipe.epochs}; "
                + (
                    f"{done} finished epoch{'s' if done > 1 else ''} saved in {checkpoints.folder(out_dir)}. "
                    if done
                    else "no epoch had finished. "
                )
                + "Run the same training again to resume."
            ) from None
    else:  # every epoch had finished when the run stopped (before run.json was written)
        model = compiled_model(recipe, steps_in_epoch(len(x_train), recipe))
        restore(model)
    sizes = {
        "monitored": monitored,
        "n_train": len(x_train),
        "n_val": len(x_val),
        "distribution": devices.describe(strategy or tf.distribute.get_strategy()),
        "precision": precision(recipe),
    }
    if "budget" in config:  # this process's seconds from the call to the end of training, measuring included
        sizes["budget_seconds_used"] = round(time.perf_counter() - started, 1)
    return _finish(model, recorder.rows, out_dir, config, recipe, sizes)


def _pick_checkpoint(out_dir: str, config: dict, resume: str) -> tuple[checkpoints.Checkpoint | None, dict | None]:
    """The checkpoint to resume from (and its state), following ``resume``; None to start at epoch 0."""
    if resume == "fresh":
        checkpoints.remove_all(out_dir)
        return None, None
    found = checkpoints.find(out_dir)
    if not found:
        return None, None
    if resume == "previous":
        if len(found) < 2:
            raise ValueError(
                f"{checkpoints.folder(out_dir)} holds no checkpoint before epoch {found[0].epochs_done}; "
                "use resume='fresh' (CLI: --resume fresh) to start over"
            )
        checkpoints.discard(found[0])
        found = found[1:]
    try:
        state = checkpoints.read_state(found[0])
    except CheckpointCorrupted as exc:
        raise CheckpointCorrupted(f"{exc}. {_choices(found)}") from None
    if not _same_config(state["config"], config):
        raise ValueError(
            f"{out_dir} holds an interrupted run with a different configuration; "
            "resume it with the same settings, start over with resume='fresh', or choose a new out_dir"
        )
    return found[0], state


def _load_checkpoint_weights(checkpoint: checkpoints.Checkpoint, model: keras.Model, out_dir: str) -> None:
    try:
        checkpoints.load_weights(checkpoint, model)
    except CheckpointCorrupted as exc:
        raise CheckpointCorrupted(f"{exc}. {_choices(checkpoints.find(out_dir))}") from None


def _choices(found: list[checkpoints.Checkpoint]) -> str:
    """What a user can do about a damaged newest checkpoint."""
    fresh = "start over from epoch 0 with resume='fresh' (CLI: --resume fresh)"
    if len(found) >= 2:
        return (
            f"Resume from the checkpoint of epoch {found[1].epochs_done} with resume='previous' "
            f"(CLI: --resume previous), or {fresh}"
        )
    return f"No earlier checkpoint is kept: {fresh}"


def clear_run(out_dir: str | os.PathLike) -> None:
    """Delete what runs left in ``out_dir`` (models, history, run.json, TensorBoard logs, resume
    state); other files stay. RunFolderBusy while another process trains there."""
    out_dir = check_out_dir(out_dir)
    if not os.path.isdir(out_dir):
        return
    with runlock.hold(out_dir):
        for name in (FINAL_MODEL, BEST_MODEL, cb.HISTORY_CSV, RUN_JSON):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(out_dir, name))
        shutil.rmtree(os.path.join(out_dir, TENSORBOARD_DIR), ignore_errors=True)
        checkpoints.remove_all(out_dir)


def _split(data: CifarData, recipe: Recipe, subset: int | None):
    """Training and monitoring sets: a held-out split of train/, or all of train/ and test/."""
    if recipe.val_fraction > 0:
        x_train, y_train, x_val, y_val = train_val_split(data.x_train, data.y_train, recipe.val_fraction, recipe.seed)
        monitored = "validation"
    else:
        x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_test, data.y_test
        monitored = "test"
    if len(x_val) == 0:
        raise ValueError("no data to validate on: the data has no test split and val_fraction is 0")
    if subset is not None and subset < len(x_train):
        x_train, y_train = stratified_subset(x_train, y_train, subset, recipe.seed)
    if len(x_train) < recipe.batch_size and recipe.drop_remainder:
        raise ValueError(f"{len(x_train)} training images is less than one batch of {recipe.batch_size}")
    return x_train, y_train, x_val, y_val, monitored


def _callbacks(recipe: Recipe, out_dir: str, config: dict, history: list, monitored: str, line_per_epoch: bool) -> list:
    """The run's own callbacks (records, checkpoints, logs); ``monitored``: "validation" or "test"."""
    callbacks: list = [cb.BatchNaNGuard()]
    recorder = cb.RunRecorder(out_dir, config, history, monitored)
    callbacks += [recorder, cb.TensorBoardLog(os.path.join(out_dir, TENSORBOARD_DIR), recorder, monitored)]
    if monitored == "validation":  # keep the best epoch by validation accuracy; never select on the test set
        best = keras.callbacks.ModelCheckpoint(
            os.path.join(out_dir, BEST_MODEL), monitor="val_accuracy", mode="max", save_best_only=True
        )
        if history:  # resumed: "best" must beat what earlier epochs reached
            best.best = max(row.get("val_accuracy", float("-inf")) for row in history)
        callbacks.append(best)
    if line_per_epoch:
        callbacks.append(cb.EpochLine(recorder, recipe.epochs, monitored))
    return callbacks


def _finish(
    model: keras.Model, rows: list[dict], out_dir: str, config: dict, recipe: Recipe, sizes: dict
) -> TrainResult:
    """Save the final model, history and run.json; remove the resume state."""
    model.save(os.path.join(out_dir, FINAL_MODEL))
    history = pd.DataFrame(rows)
    cb.write_history(out_dir, rows)
    last = rows[-1] if rows else {}
    run_info = {
        "status": "complete",
        **config,
        "seed": recipe.seed,
        **sizes,
        "epochs": len(rows),
        "final": {k: last.get(k) for k in ("loss", "accuracy", *cb.monitored_columns(sizes["monitored"]))},
        **(
            {"best_val_accuracy": max((r.get("val_accuracy", 0.0) for r in rows), default=None)}
            if sizes["monitored"] == "validation"
            else {}
        ),
        "train_seconds": round(sum(r.get("train_seconds", 0.0) for r in rows), 1),
        "wall_seconds": round(sum(r.get("seconds", 0.0) for r in rows), 1),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "device": device_info(),
    }
    with open(os.path.join(out_dir, RUN_JSON), "w") as f:
        json.dump(run_info, f, indent=2)
    checkpoints.remove_all(out_dir)
    return TrainResult(model, history, out_dir, run_info)


def _same_config(saved: dict, config: dict) -> bool:
    """Same resolved recipe, data and subset: how the overrides were spelled does not matter."""

    def key(c: dict) -> str:  # as JSON, the way it is stored: a tuple and the list it was saved as are equal
        return json.dumps(
            [c.get("recipe"), c.get("data_source"), (c.get("overrides") or {}).get("subset")], sort_keys=True
        )

    return key(saved) == key(config)


def _finished_run(out_dir: str, config: dict) -> TrainResult | None:
    """Load a finished run with the same configuration; a different one is an error."""
    path = os.path.join(out_dir, RUN_JSON)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        run_info = json.load(f)
    if not _same_config(run_info, config):
        raise ValueError(f"{out_dir} already holds a finished run with a different configuration; choose a new out_dir")
    print(f"{out_dir} holds a finished run of this configuration: loading it instead of training again.")
    from cifar_lib.evaluation import load_model

    model = load_model(os.path.join(out_dir, FINAL_MODEL))
    return TrainResult(model, pd.read_csv(os.path.join(out_dir, cb.HISTORY_CSV)), out_dir, run_info)
