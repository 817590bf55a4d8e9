"""What TensorBoard logging costs a training epoch: time spent in the logging callback vs. the epoch.

    python benchmarks/tensorboard_overhead.py --recipe fast --epochs 2

Trains the recipe into a scratch run folder with the ``TensorBoardLog`` callback's methods
timed, and prints, per epoch, the epoch's training seconds, the seconds spent writing the
TensorBoard scalars, and their ratio; plus the one-off cost at the start of ``fit`` (creating
the writers, rewriting the saved history, which a resumed run does, and writing the graph). Direct timing, not an
A/B of two runs: one epoch's run-to-run noise (about 1%) would hide a cost of milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    p.add_argument("--recipe", default="fast", choices=("quick", "fast", "baseline"))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--subset", type=int, default=None, help="train on a class-balanced subset of N images")
    args = p.parse_args()

    from cifar_lib.data import load_cifar10
    from cifar_lib.training import callbacks, train

    spent: dict[str, list[float]] = {"on_train_begin": [], "on_epoch_end": []}
    for name in spent:
        original = getattr(callbacks.TensorBoardLog, name)

        def timed(self, *a, _original=original, _name=name, **k):
            start = time.perf_counter()
            _original(self, *a, **k)
            spent[_name].append(time.perf_counter() - start)

        setattr(callbacks.TensorBoardLog, name, timed)

    data = load_cifar10(args.data)
    with tempfile.TemporaryDirectory() as out:
        result = train(args.recipe, data, out, epochs=args.epochs, subset=args.subset, verbose=2)
    print(f"\n{args.recipe} recipe, {args.epochs} epochs, {result.run_info['n_train']:,} training images")
    print("epoch  training s  TensorBoard ms  share")
    rows = []
    for row, logging_s in zip(result.history.to_dict("records"), spent["on_epoch_end"]):
        share = logging_s / row["train_seconds"]
        rows.append(
            {
                "epoch": int(row["epoch"]),
                "train_seconds": row["train_seconds"],
                "tensorboard_ms": round(logging_s * 1000, 2),
                "share": share,
            }
        )
        print(f"{int(row['epoch']):>5}  {row['train_seconds']:>10.1f}  {logging_s * 1000:>14.2f}  {share:.4%}")
    print(
        "start of fit (writers created, history rewritten, graph written): "
        f"{spent['on_train_begin'][0] * 1000:.1f} ms once"
    )
    summary = {
        "recipe": args.recipe,
        "n_train": result.run_info["n_train"],
        "cpu": result.run_info["device"].get("cpu"),
    }
    print(json.dumps({**summary, "epochs": rows, "start_ms": round(spent["on_train_begin"][0] * 1000, 1)}))


if __name__ == "__main__":
    main()
