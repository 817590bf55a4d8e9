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
from pathlib import Path

from run_records import RECORDS as RECORDS_DIR
from run_records import ROOT, full_run, outcome, read_jsonl, upsert

RECORDS = RECORDS_DIR / "seed_spread.jsonl"


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
        figures = full_run(out / f"seed-{seed}", ["--recipe", args.recipe, "--seed", str(seed)], args.data)
        record = {
            "recipe": args.recipe,
            "seed": seed,
            **outcome(figures),
            "test_accuracy_per_epoch": figures["test_accuracy_per_epoch"],
        }
        upsert(RECORDS, record, key=("recipe", "seed", "cpu"))
    print(json.dumps(summary(read_jsonl(RECORDS), args.recipe), indent=2))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
