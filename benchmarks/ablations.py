"""What each ingredient of the quick recipe buys: complete runs with one thing changed.

    python benchmarks/ablations.py                           # every change below, in order
    python benchmarks/ablations.py --only no-label-smoothing

Each change is one full run of the quick recipe (all 50,000 training images, seed 0, test
accuracy at the end plain and with TTA) by ``benchmarks/time_to_accuracy.py`` in a fresh
process, into runs/ablations/<name>/ (resumable: run the command again). One JSON line per run
goes to benchmarks/records/ablations.jsonl (a line with the same name, seed and CPU is
replaced). The unchanged quick recipe's runs are in seed_spread.jsonl, 32/64/64 for 8 epochs
in frontier.jsonl.
"""

from __future__ import annotations

import argparse
import os

from run_records import RECORDS as RECORDS_DIR
from run_records import ROOT, full_run, outcome, upsert

RECORDS = RECORDS_DIR / "ablations.jsonl"
NARROW = ["--widths", "32", "64", "64"]
CHANGES = {  # name: arguments of time_to_accuracy.py on top of the quick recipe
    "no-label-smoothing": ["--set", "label_smoothing=0"],
    "no-lookahead": ["--set", "ema_start_epoch=None"],
    "32-64-64-10-epochs": [*NARROW, "--epochs", "10"],
    "32-64-64-batch-256": [*NARROW, "--set", "batch_size=256"],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", default=list(CHANGES), choices=list(CHANGES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = p.parse_args()
    for name in args.only:
        arguments = ["--recipe", "quick", "--seed", str(args.seed), *CHANGES[name]]
        figures = full_run(ROOT / "runs" / "ablations" / f"{name}-s{args.seed}", arguments, args.data)
        record = {
            "name": name,
            "arguments": CHANGES[name],
            "widths": figures["widths"],
            "epochs": figures["epochs"],
            "batch_size": figures["batch_size"],
            "overrides": figures["overrides"],
            "seed": args.seed,
            **outcome(figures),
            "note": args.note,
        }
        upsert(RECORDS, record, key=("name", "seed", "cpu"))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    main()
