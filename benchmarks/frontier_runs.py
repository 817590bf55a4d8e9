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
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "frontier.jsonl"
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


def read_records(path: Path = RECORDS) -> list[dict]:
    """The recorded frontier runs (an empty list when there are none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


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
            run = ROOT / "runs" / "frontier" / name
            command = [
                sys.executable,
                str(ROOT / "benchmarks" / "time_to_accuracy.py"),
                "--recipe",
                "quick",
                "--widths",
                *map(str, widths),
                "--epochs",
                str(epochs),
                "--seed",
                str(seed),
                "--out",
                str(run),
            ] + (["--data", args.data] if args.data else [])
            subprocess.run(command, check=True)
            figures = json.loads((run / "time_to_accuracy.json").read_text())
            record = {
                "widths": list(widths),
                "epochs": epochs,
                "batch_size": figures["batch_size"],
                "seed": seed,
                "train_images": epochs * figures["n_train"],
                "cpu": figures["cpu"],
                "data": figures["data"],
                "n_test": figures["n_test"],
                "train_seconds": figures["train_seconds_total"],
                "final_test_accuracy": figures["final_test_accuracy"],
            }
            key = (tuple(widths), epochs, seed, record["cpu"])
            kept = [r for r in read_records() if (tuple(r["widths"]), r["epochs"], r["seed"], r["cpu"]) != key]
            RECORDS.parent.mkdir(parents=True, exist_ok=True)
            RECORDS.write_text("".join(json.dumps(r) + "\n" for r in kept + [record]))
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
