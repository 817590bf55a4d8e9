"""Train a recipe once; print when test accuracy first reaches 85/86/90/93/94%.

    python benchmarks/time_to_accuracy.py --recipe quick --out runs/quick-full
    python benchmarks/time_to_accuracy.py --recipe fast --out runs/fast-full --data /path/to/cifar10
    python benchmarks/time_to_accuracy.py --set label_smoothing=0 --out runs/no-smoothing   # any Recipe field

Test accuracy (no TTA) is measured at every epoch end; "seconds" counts training time only
(evaluation excluded), as in airbench. At the end the final model is evaluated with
test-time augmentation. Figures go to <out>/time_to_accuracy.json. Resumable: run the same
command again after an interruption.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
THRESHOLDS = (0.85, 0.86, 0.90, 0.93, 0.94)


def seconds_to_thresholds(history, thresholds=THRESHOLDS) -> dict[str, float | None]:
    """Cumulative training seconds at the first epoch whose test_accuracy reaches each threshold."""
    elapsed = history["train_seconds"].cumsum()
    # Keras averages accuracy in float32: 4,500 of 5,000 right is logged as 0.89999998.
    accuracy = history["test_accuracy"].astype(float).round(6)
    out = {}
    for t in thresholds:
        hit = history.index[accuracy >= t]
        out[f"{t:.2f}"] = round(float(elapsed[hit[0]]), 1) if len(hit) else None
    return out


def field_value(text: str) -> tuple[str, object]:
    """'label_smoothing=0' -> ("label_smoothing", 0); 'ema_start_epoch=None' -> (..., None)."""
    field, _, value = text.partition("=")
    try:
        return field, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise SystemExit(f"--set {text}: write FIELD=VALUE with a Python literal value, e.g. batch_size=256") from None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    p.add_argument("--recipe", default="quick", choices=("quick", "fast"))
    p.add_argument("--out", default=None, help="run folder (default runs/<recipe>-full)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--widths", type=int, nargs=3, default=None, help="channels of the three conv groups")
    p.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", help="recipe fields, e.g. batch_size=256")
    args = p.parse_args()

    from cifar_lib.data import load_cifar10
    from cifar_lib.evaluation import evaluate
    from cifar_lib.training import train

    args.out = args.out or f"runs/{args.recipe}-full"
    data = load_cifar10(args.data)
    overrides = (
        {"seed": args.seed}
        | ({"epochs": args.epochs} if args.epochs else {})
        | ({"widths": tuple(args.widths)} if args.widths else {})
        | dict(field_value(text) for text in args.set)
    )
    result = train(args.recipe, data, args.out, verbose=2, **overrides)
    t0 = time.perf_counter()
    tta = {
        level: evaluate(result.model, data.x_test, data.y_test, tta=level)["accuracy"]
        for level in ("none", "mirror", "mirror_translate")
    }
    figures = {
        "recipe": args.recipe,
        "data": os.path.basename(os.path.normpath(data.source)),
        "n_test": int(len(data.y_test)),
        "device": result.run_info["device"]["device"],
        "cpu": result.run_info["device"].get("cpu"),
        "epochs": result.run_info["epochs"],
        "widths": list(result.run_info["recipe"]["widths"] or ()),
        "batch_size": result.run_info["recipe"]["batch_size"],
        "overrides": {k: v for k, v in overrides.items() if k not in ("seed", "epochs", "widths")},
        "n_train": result.run_info["n_train"],
        "train_seconds_total": result.run_info["train_seconds"],
        "seconds_to_test_accuracy": seconds_to_thresholds(result.history),
        "test_accuracy_per_epoch": [round(v, 4) for v in result.history["test_accuracy"]],
        "final_test_accuracy": {k: round(v, 4) for k, v in tta.items()},
        "tta_eval_seconds": round(time.perf_counter() - t0, 1),
    }
    with open(os.path.join(args.out, "time_to_accuracy.json"), "w") as f:
        json.dump(figures, f, indent=2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
