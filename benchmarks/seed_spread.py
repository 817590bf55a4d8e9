"""How much of a run's test accuracy is luck? Train the same recipe with several seeds.

    python benchmarks/seed_spread.py --seeds 0 1 2            # quick recipe, three full runs
    python benchmarks/seed_spread.py --recipe fast --seeds 0 1

Each seed is one full run of ``benchmarks/time_to_accuracy.py`` (all 50,000 training images,
test accuracy after each epoch, then TTA) in a fresh process, into <out>/seed-<N>/ (resumable:
run the same command again after an interruption). One JSON line per seed goes to
benchmarks/records/seed_spread.jsonl (lines of earlier runs with the same recipe, seed and CPU
are replaced); the mean and standard deviation over the recorded seeds are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "seed_spread.jsonl"


def read_records(path: Path = RECORDS) -> list[dict]:
    """The recorded seed runs (an empty list when there are none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summary(records: list[dict], recipe: str) -> dict:
    """Mean and sample standard deviation of the final test accuracies over the seeds of ``recipe``."""
    rows = [r for r in records if r["recipe"] == recipe]
    out = {"recipe": recipe, "seeds": [r["seed"] for r in rows]}
    for level in ("none", "mirror_translate"):
        values = [r["final_test_accuracy"][level] for r in rows]
        out[level] = {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else None}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="quick", choices=("quick", "fast"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", default=None, help="runs folder (default runs/seed-spread-<recipe>)")
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    args = p.parse_args()
    out = Path(args.out or ROOT / "runs" / f"seed-spread-{args.recipe}")
    for seed in args.seeds:
        run = out / f"seed-{seed}"
        command = [
            sys.executable,
            str(ROOT / "benchmarks" / "time_to_accuracy.py"),
            "--recipe",
            args.recipe,
            "--seed",
            str(seed),
            "--out",
            str(run),
        ] + (["--data", args.data] if args.data else [])
        subprocess.run(command, check=True)
        figures = json.loads((run / "time_to_accuracy.json").read_text())
        record = {
            "recipe": args.recipe,
            "seed": seed,
            "cpu": figures["cpu"],
            "data": figures["data"],
            "n_test": figures["n_test"],
            "train_seconds": figures["train_seconds_total"],
            "test_accuracy_per_epoch": figures["test_accuracy_per_epoch"],
            "final_test_accuracy": figures["final_test_accuracy"],
        }
        kept = [r for r in read_records() if (r["recipe"], r["seed"], r["cpu"]) != (args.recipe, seed, record["cpu"])]
        RECORDS.parent.mkdir(parents=True, exist_ok=True)
        RECORDS.write_text("".join(json.dumps(r) + "\n" for r in kept + [record]))
        print(json.dumps(record))
    print(json.dumps(summary(read_records(), args.recipe), indent=2))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
