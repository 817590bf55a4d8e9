"""Train for a time budget: measure this machine, then pick the best measured configuration that fits.

The frontier (``frontier.json`` beside this file, written by ``benchmarks/frontier.py`` from
the records of complete runs in ``benchmarks/records/``) says what final test accuracy a
configuration (widths, epochs, batch) of the quick recipe's family reached, against the training
images it processed. That is machine-independent; the seconds are not. So ``plan`` times a few
real training steps of each candidate network on this machine, converts every configuration
into seconds, and picks the most accurate one that fits in what is left of the budget (the
measurement counts against it). Epoch counts between two measured runs of the same network get
their accuracy by linear interpolation; nothing outside the measured range is extrapolated.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import numpy as np

from cifar_lib.training.recipes import Recipe

FRONTIER_TABLE = Path(__file__).with_name("frontier.json")
SAFETY = 0.93  # plan to use this share of the budget: the run's own bookkeeping (checkpoints, logs) and noise
# The measured speed is a sample: on a 2-core VM it moves by 10% from one minute to the next. Runs on a 2-core
# AVX2 EPYC trained at 0.69 to 1.08 of the speed their timed steps promised, while timing the steps on the run's
# own stream with its callbacks changed nothing measurable (benchmarks/budget_speed.py). So the plan assumes
# the run trains at this share of the measured speed, and SAFETY keeps a reserve for slower runs still.
SPEED_MARGIN = 0.85
EVAL_SPEEDUP = 2.0  # a test pass runs at least this much faster per image than training (records/throughput.md)
# timed steps per candidate network (their median), after two that trace the graph and warm up: a step
# of the same network varies by +-20% from one to the next on a 2-core CPU, and the first ones are slower
MEASURE_STEPS, MEASURE_WARMUP = 6, 2


@dataclasses.dataclass(frozen=True)
class Choice:
    """What a budgeted run trains, and why."""

    budget_seconds: float
    widths: tuple[int, int, int]
    batch_size: int
    epochs: int
    images_per_second: float  # this machine's training speed for that network, measured
    predicted_seconds: float  # training + evaluation after each epoch, from the measured speed
    measure_seconds: float  # spent measuring, counted against the budget
    expected_accuracy: float  # the frontier's final test accuracy (no TTA) for this configuration
    speeds: dict  # "48/96/96" -> images/s for every candidate measured

    def line(self) -> str:
        """The one-line summary a run prints before training."""
        net = "/".join(map(str, self.widths))
        return (
            f"this machine trains {net} at {self.images_per_second:.0f} images/s: {self.epochs} epochs fit in "
            f"{format_seconds(self.budget_seconds)} (about {self.predicted_seconds / 60:.1f} min of training and "
            f"evaluation after {self.measure_seconds:.0f} s of measuring), expected about "
            f"{self.expected_accuracy:.1%} test accuracy"
        )

    def overrides(self) -> dict:
        """The recipe fields this choice sets."""
        return {"widths": tuple(self.widths), "batch_size": self.batch_size, "epochs": self.epochs}

    def to_dict(self) -> dict:
        """As stored in budget.json and run.json (JSON types: the widths as a list)."""
        return {**dataclasses.asdict(self), "widths": list(self.widths)}

    @classmethod
    def from_dict(cls, d: dict) -> Choice:
        return cls(**{**d, "widths": tuple(d["widths"])})


def parse_budget(text: str | float | int) -> float:
    """Seconds of a budget: 600, "600", "600s", "10m", "1.5h"; ValueError for anything else."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text))
        if not match:
            raise ValueError(f"bad time budget {text!r}: write seconds (600), or 600s, 10m, 1.5h")
        seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if seconds <= 0:
        raise ValueError(f"the time budget must be positive, got {text!r}")
    return seconds


def format_seconds(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds % 60 == 0 else f"{seconds:.0f} s"


def load_frontier(path: Path = FRONTIER_TABLE) -> list[dict]:
    """The frontier's rows: widths, batch_size, epochs, accuracy (mean over seeds, no TTA), seeds."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no frontier table; `make frontier` writes it from benchmarks/records/")
    return json.loads(path.read_text())["rows"]


def expected_accuracy(rows: list[dict], widths: tuple, batch_size: int, epochs: int) -> float | None:
    """The frontier's accuracy for ``epochs`` of this network: measured, or interpolated between
    the two nearest measured epoch counts; None outside the measured range."""
    points = sorted(
        (r["epochs"], r["accuracy"])
        for r in rows
        if tuple(r["widths"]) == tuple(widths) and r["batch_size"] == batch_size
    )
    if not points or not points[0][0] <= epochs <= points[-1][0]:
        return None
    xs, ys = zip(*points)
    return float(np.interp(epochs, xs, ys))


def networks(rows: list[dict]) -> list[tuple[tuple[int, int, int], int]]:
    """The distinct (widths, batch_size) of the frontier, narrowest first."""
    return sorted({(tuple(r["widths"]), r["batch_size"]) for r in rows}, key=lambda n: (sum(n[0]), n[1]))


def predicted_seconds(images_per_second: float, epochs: int, n_train: int, n_val: int) -> float:
    """Seconds of ``epochs`` epochs of the real loop, the evaluation after each included, from the
    speed of timed steps (``images_per_second``), with SPEED_MARGIN for that speed's drift."""
    return epochs * (n_train + n_val / EVAL_SPEEDUP) / (images_per_second * SPEED_MARGIN)


def choose(rows: list[dict], speeds: dict, n_train: int, n_val: int, seconds_left: float) -> tuple | None:
    """The (widths, batch, epochs, accuracy, seconds) with the best expected accuracy that fits in
    ``seconds_left`` (times SAFETY); None when nothing does. ``speeds``: (widths, batch) -> images/s."""
    best = None
    for (widths, batch), ips in speeds.items():
        epochs_measured = [r["epochs"] for r in rows if tuple(r["widths"]) == widths and r["batch_size"] == batch]
        for epochs in range(min(epochs_measured), max(epochs_measured) + 1):
            seconds = predicted_seconds(ips, epochs, n_train, n_val)
            accuracy = expected_accuracy(rows, widths, batch, epochs)
            if seconds <= SAFETY * seconds_left and (best is None or accuracy > best[3]):
                best = (widths, batch, epochs, accuracy, seconds)
    return best


def plan(
    recipe: Recipe,
    budget_seconds: float,
    x_train: np.ndarray,
    y_train: np.ndarray,
    n_val: int,
    rows: list[dict] | None = None,
    started: float | None = None,
) -> Choice:
    """Measure the candidate networks on this machine and choose what fits ``budget_seconds``.

    ``started``: ``time.perf_counter()`` when the budget began (default: now). Networks whose
    shortest measured run cannot fit, judged from the previous network's speed scaled by FLOPs
    and halved, are not measured. ValueError when not even the shortest run fits.
    """
    from cifar_lib.models import build_model, flops_per_image
    from cifar_lib.training.loop import seconds_per_step

    rows = load_frontier() if rows is None else rows
    started = time.perf_counter() if started is None else started
    speeds: dict = {}
    previous = None  # (flops per image, images/s) of the last network measured
    for widths, batch in networks(rows):
        flops = flops_per_image(build_model(recipe.model, widths=widths))
        shortest = min(r["epochs"] for r in rows if tuple(r["widths"]) == widths and r["batch_size"] == batch)
        left = budget_seconds - (time.perf_counter() - started)
        if previous is not None:
            optimistic = 2 * previous[1] * previous[0] / flops
            if predicted_seconds(optimistic, shortest, len(x_train), n_val) > SAFETY * left:
                continue
        candidate = recipe.replace(widths=widths, batch_size=batch)
        ips = batch / seconds_per_step(candidate, x_train, y_train, steps=MEASURE_STEPS, warmup=MEASURE_WARMUP)
        speeds[(widths, batch)] = ips
        previous = (flops, ips)
    measured = time.perf_counter() - started
    best = choose(rows, speeds, len(x_train), n_val, budget_seconds - measured)
    if best is None:
        slowest = min(speeds.items(), key=lambda kv: sum(kv[0][0]))
        (widths, batch), ips = slowest
        shortest = min(r["epochs"] for r in rows if tuple(r["widths"]) == widths and r["batch_size"] == batch)
        need = predicted_seconds(ips, shortest, len(x_train), n_val) / SAFETY + measured
        raise ValueError(
            f"a budget of {budget_seconds:.0f} s is too short for this machine: the shortest measured run "
            f"({'/'.join(map(str, widths))}, {shortest} epochs on {len(x_train):,} images) needs about "
            f"{need:.0f} s here; give a larger budget, or train on a subset without one"
        )
    widths, batch, epochs, accuracy, seconds = best
    return Choice(
        budget_seconds=budget_seconds,
        widths=widths,
        batch_size=batch,
        epochs=epochs,
        images_per_second=round(speeds[(widths, batch)], 1),
        predicted_seconds=round(seconds, 1),
        measure_seconds=round(measured, 1),
        expected_accuracy=round(accuracy, 4),
        speeds={"/".join(map(str, w)) + f"@{b}": round(v, 1) for (w, b), v in speeds.items()},
    )
