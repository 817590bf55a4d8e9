"""Draw the time-accuracy frontier: test accuracy after each epoch against training minutes.

    python benchmarks/frontier.py                    # -> figures/time_accuracy_frontier.png

Reads the run records, never numbers typed in here: each run's ``history.csv`` (cumulative
``train_seconds``, ``test_accuracy`` or ``val_accuracy``) and ``run.json`` (data, machine). The published quick and
fast models keep theirs in models/; the baseline, whose 100 epochs take hours on a CPU, is
drawn from the epochs measured in benchmarks/records/.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RUNS = {  # label -> history.csv; run.json sits beside it with the same stem
    "quick": ROOT / "models" / "cifar10_quick.history.csv",
    "fast (airbench94)": ROOT / "models" / "cifar10_fast.history.csv",
    "baseline (first epochs of 100)": ROOT / "benchmarks" / "records" / "baseline.history.csv",
}


def load(history_csv: Path) -> tuple[pd.DataFrame, dict]:
    """A run's per-epoch history and its run record."""
    history = pd.read_csv(history_csv)
    run_json = history_csv.with_name(history_csv.name.replace(".history.csv", ".run.json"))
    with open(run_json) as f:
        return history, json.load(f)


def draw(runs: dict[str, Path], out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    machines, data = set(), set()
    for label, path in runs.items():
        history, info = load(path)
        minutes = history["train_seconds"].cumsum() / 60
        monitored = info.get("val_source", "validation")
        column = "test_accuracy" if "test_accuracy" in history else "val_accuracy"
        ax.plot(minutes, history[column] * 100, marker="o", label=f"{label} ({monitored} accuracy)")
        machines.add(info["device"].get("cpu") or info["device"]["device"])
        data.add(Path(info["data_source"]).name)
    ax.axhline(85, color="grey", lw=0.8, ls="--")
    ax.axvline(10, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("training minutes (log scale)")
    ax.set_ylabel("accuracy after the epoch (%)")
    ax.text(10, 21, " 10 min", color="grey", fontsize=7)
    ax.text(0.99, 85.5, "85%", color="grey", fontsize=7, ha="right", transform=ax.get_yaxis_transform())
    ax.set_ylim(20, 100)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Accuracy after each epoch of one run per recipe, against its training minutes\n"
                 "(each point is an epoch of that run: a shorter run with its own schedule would end elsewhere)",
                 fontsize=9)
    caption = (f"data: {', '.join(sorted(data))} (JPEG copy of CIFAR-10; test = 5,000 images, validation = 10,000 "
               f"held-out training images); machine: {'; '.join(sorted(machines))}; no TTA")
    fig.text(0.01, 0.01, caption, fontsize=7, wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "figures" / "time_accuracy_frontier.png"))
    args = p.parse_args()
    print(draw(RUNS, Path(args.out)))


if __name__ == "__main__":
    main()
