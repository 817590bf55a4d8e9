"""The time-accuracy frontier from complete runs: the table a time budget chooses from, and its figure.

    python benchmarks/frontier.py          # -> cifar_lib/training/frontier.json, figures/time_accuracy_frontier.png

Reads only run records, never numbers typed in here. Every point is a *complete* run (its own
warm-up and decay) of the quick recipe's family, scored once on the 5,000 test images after its
last epoch: ``benchmarks/records/frontier.jsonl`` (``frontier_runs.py``), the quick recipe's
seed runs (``seed_spread.jsonl``: 48/96/96, 8 epochs) and the published fast model's record
(``models/cifar10_fast.time_to_accuracy.json``: 64/256/256, batch 1024, 10 epochs). The x
axis is training images processed (epochs x 50,000), which does not depend on the machine; a
second axis converts it to minutes for one stated machine, at each network's measured speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run_records, also when a test loads this file
from run_records import RECORDS, ROOT, read_jsonl  # noqa: E402

TABLE = ROOT / "cifar_lib" / "training" / "frontier.json"
FAST_RECORD = ROOT / "models" / "cifar10_fast.time_to_accuracy.json"
FAST_WIDTHS, QUICK_WIDTHS = [64, 256, 256], [48, 96, 96]
N_TRAIN = 50_000


def complete_runs() -> list[dict]:
    """One dict per recorded complete run: widths, batch_size, epochs, seed, accuracy, tta, cpu, seconds."""

    def run(r: dict, source: str, widths, batch_size: int, epochs: int, seed: int, seconds: float) -> dict:
        accuracy = r["final_test_accuracy"]
        net = {"widths": widths, "batch_size": batch_size, "epochs": epochs, "seed": seed}
        return {**net, "accuracy": accuracy["none"], "tta": accuracy["mirror_translate"], "cpu": r["cpu"],
                "train_seconds": seconds, "source": source}  # fmt: skip

    runs = [
        run(r, "frontier.jsonl", r["widths"], r["batch_size"], r["epochs"], r["seed"], r["train_seconds"])
        for r in read_jsonl(RECORDS / "frontier.jsonl")
    ]
    for r in read_jsonl(RECORDS / "seed_spread.jsonl"):
        if r["recipe"] == "quick":
            epochs = len(r["test_accuracy_per_epoch"])
            runs.append(run(r, "seed_spread.jsonl", QUICK_WIDTHS, 512, epochs, r["seed"], r["train_seconds"]))
    if FAST_RECORD.exists():
        r = json.loads(FAST_RECORD.read_text())
        runs.append(run(r, FAST_RECORD.name, FAST_WIDTHS, 1024, r["epochs"], 0, r["train_seconds_total"]))
    return runs


def table(runs: list[dict]) -> list[dict]:
    """One row per configuration: the mean accuracy (plain and TTA) over its seeds."""
    groups = defaultdict(list)
    for r in runs:
        groups[(tuple(r["widths"]), r["batch_size"], r["epochs"])].append(r)
    rows = []
    for (widths, batch, epochs), group in sorted(groups.items()):
        rows.append(
            {
                "widths": list(widths),
                "batch_size": batch,
                "epochs": epochs,
                "train_images": epochs * N_TRAIN,
                "accuracy": round(statistics.mean(g["accuracy"] for g in group), 4),
                "tta": round(statistics.mean(g["tta"] for g in group), 4),
                "seeds": sorted(g["seed"] for g in group),
            }
        )
    return rows


def draw(runs: list[dict], rows: list[dict], out: Path, speeds: dict | None = None, machine: str = "") -> Path:
    """Final test accuracy of each run against training images; ``speeds`` ('48/96/96' -> images/s) adds minutes."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    nets = sorted({(tuple(r["widths"]), r["batch_size"]) for r in rows}, key=lambda n: sum(n[0]))
    for widths, batch in nets:
        label = f"{'/'.join(map(str, widths))}, batch {batch}"
        mine = sorted(
            (r for r in rows if tuple(r["widths"]) == widths and r["batch_size"] == batch), key=lambda r: r["epochs"]
        )
        (line,) = ax.plot(
            [r["train_images"] / 1e6 for r in mine], [r["accuracy"] * 100 for r in mine], marker="o", label=label
        )
        seeds = [r for r in runs if tuple(r["widths"]) == widths and r["batch_size"] == batch]
        ax.scatter(
            [r["epochs"] * N_TRAIN / 1e6 for r in seeds],
            [r["accuracy"] * 100 for r in seeds],
            s=10,
            color=line.get_color(),
            alpha=0.5,
        )
        for r in mine:
            ax.annotate(
                f"{r['epochs']}",
                (r["train_images"] / 1e6, r["accuracy"] * 100),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=line.get_color(),
            )
    ax.axhline(85, color="grey", lw=0.8, ls="--")
    ax.text(0.99, 85.2, "85%", color="grey", fontsize=7, ha="right", transform=ax.get_yaxis_transform())
    ax.set_xscale("log")
    ticks = [0.1, 0.2, 0.3, 0.4, 0.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("training images processed, millions (log scale; the small numbers are the epochs)")
    ax.set_ylabel("final test accuracy, no TTA (%)")
    ax.legend(loc="lower right", fontsize=8, title="network", title_fontsize=8)
    ax.set_title(
        "Complete runs of the quick recipe's family: final test accuracy against training images\n"
        "(line: mean over seeds; small dots: single runs)",
        fontsize=9,
    )
    if speeds:
        note = "; ".join(f"{k}: {v:.0f} images/s" for k, v in speeds.items())
        fig.text(0.01, 0.055, f"minutes on {machine}: images / speed ({note})", fontsize=7)
    cpus = sorted({r["cpu"] for r in runs})
    fig.text(
        0.01,
        0.01,
        "data: the JPEG copy of CIFAR-10, trained on all 50,000 training images, scored on its 5,000 "
        f"test images; trained on: {'; '.join(cpus)}",
        fontsize=7,
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def predict(run_json: Path, rows: list[dict], scales=(0.5, 1.0, 2.0)) -> list[str]:
    """What a budgeted run's choice would be on machines ``scales`` times as fast as the one in ``run_json``.

    Uses the speeds that run measured (its ``budget.speeds``), scaled, and its budget and image counts; the
    measuring time is taken as that run's, divided by the scale.
    """
    sys.path.insert(0, str(ROOT))
    from cifar_lib.training import budget

    info = json.loads(run_json.read_text())
    choice = info["budget"]
    measured = {}
    for name, ips in choice["speeds"].items():
        widths, batch = name.split("@")
        measured[(tuple(int(w) for w in widths.split("/")), int(batch))] = ips
    lines = []
    for scale in scales:
        speeds = {k: v * scale for k, v in measured.items()}
        left = choice["budget_seconds"] - choice["measure_seconds"] / scale
        best = budget.choose(rows, speeds, info["n_train"], info["n_val"], left)
        if best is None:
            lines.append(f"{scale:g}x as fast: nothing measured fits")
            continue
        widths, batch, epochs, accuracy, seconds = best
        lines.append(
            f"{scale:g}x as fast: {'/'.join(map(str, widths))}, batch {batch}, {epochs} epochs, "
            f"{seconds:.0f} s predicted, expected {accuracy:.2%}"
        )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "figures" / "time_accuracy_frontier.png"))
    p.add_argument("--table", default=str(TABLE))
    p.add_argument(
        "--predict",
        metavar="RUN_JSON",
        help="a budgeted run's run.json: print the choice on machines half and twice as fast, then stop",
    )
    args = p.parse_args()
    if args.predict:
        print("\n".join(predict(Path(args.predict), json.loads(Path(args.table).read_text())["rows"])))
        return
    runs = complete_runs()
    rows = table(runs)
    about = (
        "written by benchmarks/frontier.py from benchmarks/records/: final test accuracy (5,000 test images, "
        "mean over seeds) of complete runs of the quick recipe's family on all 50,000 training images"
    )
    text = json.dumps({"about": about, "rows": rows}, indent=1) + "\n"
    if not Path(args.table).exists() or Path(args.table).read_text() != text:
        sys.path.insert(0, str(ROOT))
        from cifar_lib.files import atomic_write_text

        atomic_write_text(args.table, text)
    print(args.table)
    for r in rows:
        print(
            f"  {'/'.join(map(str, r['widths'])):>10} batch {r['batch_size']:>4} {r['epochs']:>2} epochs: "
            f"{r['accuracy']:.2%} (TTA {r['tta']:.2%}), seeds {r['seeds']}"
        )
    print(draw(runs, rows, Path(args.out)))


if __name__ == "__main__":
    main()
