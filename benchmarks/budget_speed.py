"""Does the budget's measurement predict the training loop's speed?

    python benchmarks/budget_speed.py                        # quick recipe (48/96/96), 2 epochs
    python benchmarks/budget_speed.py --widths 32 64 64 --epochs 3

A time budget (``cifar_lib/training/budget.py``) times a few training steps of each network on
a sample of the images (``loop.seconds_per_step``: the median of 6 steps after 2 warm-up ones)
and predicts a run's time from that speed, divided by ``budget.SPEED_MARGIN``. This benchmark
measures, on the real data and one after the other in one process:

1. the budget's own measurement, ``--repeats`` times in a row (how much it varies by itself);
2. the same steps on the run's own input stream over all the training images, with the recipe's
   callbacks (lookahead from the first step, the bias gate): what the loop adds per step;
3. ``train()`` itself for ``--epochs`` epochs (records, checkpoints, TensorBoard): each epoch's
   training images/s from its ``train_seconds``.

It prints one JSON line and appends it to benchmarks/records/budget_speed.jsonl. Run it with
nothing else on the machine: two jobs on two cores slow each other down.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "budget_speed.jsonl"


def steps_on_the_runs_stream(recipe, data, steps: int, warmup: int) -> float:
    """Median seconds per step of ``recipe`` on its stream over all the images, with its callbacks."""
    from cifar_lib.data import one_hot
    from cifar_lib.training import loop

    short = recipe.replace(epochs=1, ema_start_epoch=0)  # the lookahead works from the first step
    model = loop.compiled_model(short, steps + warmup)
    stream = loop.train_stream(short, data.x_train, one_hot(data.y_train))
    return loop.median_step_seconds(model, stream, steps, warmup, loop.recipe_callbacks(short, steps + warmup))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=int, nargs=3, default=[48, 96, 96])
    p.add_argument("--epochs", type=int, default=2, help="epochs of train() (the first one builds the graphs)")
    p.add_argument("--repeats", type=int, default=2, help="how many times the budget's measurement is repeated")
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    args = p.parse_args()

    from cifar_lib import config

    config.quiet_tensorflow()
    from cifar_lib.data import load_cifar10
    from cifar_lib.hardware import cpu_facts
    from cifar_lib.training import budget, get_recipe, loop, train

    data = load_cifar10(args.data)
    recipe = get_recipe("quick").replace(widths=tuple(args.widths))
    batch = recipe.batch_size
    steps, warmup = budget.MEASURE_STEPS, budget.MEASURE_WARMUP
    timed = [
        batch / loop.seconds_per_step(recipe, data.x_train, data.y_train, steps=steps, warmup=warmup)
        for _ in range(args.repeats)
    ]
    with_stream = batch / steps_on_the_runs_stream(recipe, data, steps, warmup)
    with tempfile.TemporaryDirectory() as out:
        history = train(recipe, data, out, epochs=args.epochs, verbose=0).history
    images = loop.steps_in_epoch(len(data.x_train), recipe) * batch
    loop_speeds = [images / s for s in history["train_seconds"]]
    record = {
        "cpu": cpu_facts().describe(),
        "widths": args.widths,
        "batch_size": batch,
        "budget_measurement_images_per_s": [round(v, 1) for v in timed],
        "runs_stream_and_callbacks_images_per_s": round(with_stream, 1),
        "train_epochs_images_per_s": [round(v, 1) for v in loop_speeds],
        "loop_over_budget_measurement": round(loop_speeds[-1] / statistics.mean(timed), 3),
    }
    print(json.dumps(record))
    RECORDS.parent.mkdir(parents=True, exist_ok=True)
    with open(RECORDS, "a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
