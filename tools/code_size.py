"""Lines of cifar_lib by what the code is for: teaching, run machinery, entry points, data.

    .venv/bin/python tools/code_size.py            # one line per category, then per module

The categories (``wc -l`` of whole modules):

- teaching: what the notebooks teach and show (``show_source``): augmentation, the networks,
  the recipes, schedules, optimizer and lookahead, the input streams, the Keras loop
  (``training/loop.py``), evaluation, reports, plots, calibration, corruptions, Grad-CAM,
  using and exporting a model;
- machinery: what a real run needs around the loop: the engine, its bookkeeping callbacks,
  checkpoints, the folder lock, run records, errors, atomic files, progress lines, the time
  budget, device strategies;
- entry points: the command line, the notebook pipeline, the notebooks' setup helper;
- environment: seeds, threads, quiet logs, the oneDNN switch, CPU facts;
- data: reading and caching CIFAR-10.

The last two are neither teaching nor run machinery; the second summary line counts the
environment as machinery too, the stricter comparison.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cifar_lib"
CATEGORIES = {
    "teaching": [
        "augment.py",
        "models/*.py",
        "training/recipes.py",
        "training/schedules.py",
        "training/optimizer.py",
        "training/lookahead.py",
        "training/streams.py",
        "training/loop.py",
        "evaluation.py",
        "reports.py",
        "plots.py",
        "calibration.py",
        "corruptions.py",
        "explain.py",
        "predict.py",
        "export.py",
    ],
    "machinery": [
        "training/engine.py",
        "training/callbacks.py",
        "training/checkpoints.py",
        "training/runlock.py",
        "training/runinfo.py",
        "training/budget.py",
        "training/devices.py",
        "training/__init__.py",
        "errors.py",
        "files.py",
        "progress.py",
    ],
    "environment": ["config.py", "hardware.py", "__init__.py"],
    "entry points": ["cli.py", "pipeline.py", "notebook.py", "__main__.py"],
    "data": ["data/*.py"],
}


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def main() -> None:
    seen: set[Path] = set()
    rows = []
    for category, patterns in CATEGORIES.items():
        files = sorted({f for pattern in patterns for f in PACKAGE.glob(pattern)})
        seen.update(files)
        rows.append((category, sum(map(lines, files)), files))
    unclassified = sorted(set(PACKAGE.rglob("*.py")) - seen)
    if unclassified:
        raise SystemExit(f"modules in no category: {', '.join(str(f.relative_to(PACKAGE)) for f in unclassified)}")
    for category, total, _ in rows:
        print(f"{category:<13} {total:>5}")
    counts = {c: t for c, t, _ in rows}
    machinery = counts["machinery"] + counts["entry points"]
    print(f"machinery + entry points {machinery} vs teaching {counts['teaching']}")
    print(
        f"machinery + entry points + environment {machinery + counts['environment']} vs teaching {counts['teaching']}"
    )
    for category, _, files in rows:
        print(f"\n{category}:")
        for f in files:
            print(f"  {lines(f):>4}  {f.relative_to(PACKAGE)}")


if __name__ == "__main__":
    main()
