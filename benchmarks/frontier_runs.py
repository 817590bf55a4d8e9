"""Complete runs of several lengths and widths: the points of the time-accuracy frontier.

    python benchmarks/frontier_runs.py                       # the default grid, in order
    python benchmarks/frontier_runs.py --grid 48,96,96:4 32,64,64:8 --seeds 0 1

Each point WIDTHS:EPOCHS is one full run of the quick recipe's family (batch 512, the schedule
stretched to that many epochs, all 50,000 training images, test accuracy at the end plain and
with TTA) by ``benchmarks/time_to_accuracy.py`` in a fresh process, into
runs/frontier/<widths>-e<epochs>-s<seed>/ (resumable: run the command again). One JSON line per
run goes to benchmarks/records/frontier.jsonl (a line with the same widths, epochs, seed and CPU
is replaced). Its x axis is machine-independent: training images processed (epochs x 50,000).
``benchmarks/frontier.py`` draws the figure and writes the table ``train(budget_seconds=...)``
chooses from.
"""

from __future__ import annotations

import argparse
import os

from run_records import RECORDS as RECORDS_DIR
from run_records import ROOT, full_run, outcome, upsert

RECORDS = RECORDS_DIR / "frontier.jsonl"
# most useful first: the 10-minute region of a slow CPU, then the shorter and longer runs
DEFAULT_GRID = (
    "48,96,96:4",
    "32,64,64:4",
    "48,96,96:2",
    "48,96,96:6",
    "32,64,64:8",
    "64,128,128:4",
    "48,96,96:10",
    "64,128,128:8",
)


def parse_point(text: str) -> tuple[tuple[int, int, int], int]:
    """'48,96,96:4' -> ((48, 96, 96), 4); ValueError naming the bad point."""
    try:
        widths, epochs = text.split(":")
        parsed = tuple(int(w) for w in widths.split(","))
        if len(parsed) != 3 or int(epochs) < 1:
            raise ValueError
        return parsed, int(epochs)
    except ValueError:
        raise ValueError(f"bad grid point {text!r}: write WIDTHS:EPOCHS, e.g. 48,96,96:4") from None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--grid", nargs="+", default=list(DEFAULT_GRID), help="points WIDTHS:EPOCHS")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    args = p.parse_args()
    points = [parse_point(t) for t in args.grid]
    for widths, epochs in points:
        for seed in args.seeds:
            name = f"{'-'.join(map(str, widths))}-e{epochs}-s{seed}"
            args_ = ["--recipe", "quick", "--widths", *map(str, widths), "--epochs", str(epochs), "--seed", str(seed)]
            figures = full_run(ROOT / "runs" / "frontier" / name, args_, args.data)
            record = {
                "widths": list(widths),
                "epochs": epochs,
                "batch_size": figures["batch_size"],
                "seed": seed,
                "train_images": epochs * figures["n_train"],
                **outcome(figures),
            }
            upsert(RECORDS, record, key=("widths", "epochs", "seed", "cpu"))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
