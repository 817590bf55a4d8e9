"""Where the time of one training step goes, and what the real loop costs on top of the bare step.

    python benchmarks/step_profile.py                  # quick recipe, the whole data
    python benchmarks/step_profile.py --recipe fast --steps 4

Two parts, printed as a table and appended as one JSON line to
benchmarks/records/step_profile.jsonl:

1. **The bare step**, on random pixels (speed does not depend on the data), under TensorFlow's
   profiler: the self-time of every TensorFlow op, grouped by what it belongs to (the layer in
   its name: convolution forward, input gradient and weight gradient; batch normalisation;
   GELU; pooling; tf.data; the loss; the optimizer; the rest), as milliseconds per step. Self-times are
   summed over the CPU's threads, so the groups' sum exceeds the step's wall time when ops ran
   side by side.
2. **The loop around it**, as training images/s: the bare step (``model.fit`` on tensors in
   memory, as ``throughput.py`` does); the same with the recipe's augmented input stream
   (``train_stream``); the same with the recipe's callbacks (lookahead, bias gate), each the
   median of its steps, in two interleaved rounds, the faster round kept; and
   ``train()`` itself (records, checkpoints, TensorBoard, the epoch line) on a subset of the
   real images, from its second epoch's ``train_seconds``. The input stream alone is timed too
   (batches/s with no training).

Reading the profile uses ``xspace_to_tools_data``, the converter TensorBoard's profile plugin
calls (TensorFlow has no public Python API that reads a trace back).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "step_profile.jsonl"
GROUPS = (  # (group, test on the op's name and type), first match wins
    # oneDNN's ops are named _MklNativeConv2D..., _MklNativeFusedConv2D, ...: match the core of the name
    ("convolution input gradient", lambda name, kind: "Conv2DBackpropInput" in kind),
    ("convolution weight gradient", lambda name, kind: "Conv2DBackpropFilter" in kind),
    ("convolution forward", lambda name, kind: "Conv2D" in kind),
    ("input pipeline (tf.data)", lambda name, kind: kind == "Dataset" or name.startswith("Iterator::")),
    ("pooling", lambda name, kind: "pool" in name.lower() or "MaxPool" in kind),
    ("batch normalisation", lambda name, kind: "norm" in name.lower()),
    ("GELU", lambda name, kind: "gelu" in name.lower()),
    (
        "optimizer",
        lambda name, kind: (
            "optimizer" in name.lower()
            or "sgd" in name.lower()
            or kind.startswith("Assign")
            or kind.startswith("ResourceApply")
        ),
    ),
    (
        "loss and metrics",
        lambda name, kind: (
            "loss" in name.lower()
            or "crossentropy" in name.lower()
            or "accuracy" in name.lower()
            or "metric" in name.lower()
        ),
    ),
)


def group_of(name: str, kind: str) -> str:
    return next((group for group, test in GROUPS if test(name, kind)), "other")


def random_batches(recipe, steps: int):
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    n = recipe.batch_size * steps
    return (
        rng.integers(0, 256, (n, 32, 32, 3)).astype("float32"),
        keras.utils.to_categorical(rng.integers(0, 10, n), 10),
    )


def op_profile(recipe, steps: int) -> dict:
    """Self-time per op group, milliseconds per step, of ``steps`` bare steps under the profiler."""
    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin as profiler_plugin

    from cifar_lib.training import loop

    model = loop.compiled_model(recipe, 100)
    x, y = random_batches(recipe, steps + 2)
    model.fit(x[: 2 * recipe.batch_size], y[: 2 * recipe.batch_size], batch_size=recipe.batch_size, verbose=0)
    logdir = tempfile.mkdtemp(prefix="step-profile-")
    tf.profiler.experimental.start(logdir)
    started = time.perf_counter()
    model.fit(x[: steps * recipe.batch_size], y[: steps * recipe.batch_size], batch_size=recipe.batch_size, verbose=0)
    wall = time.perf_counter() - started
    tf.profiler.experimental.stop()
    paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    table = json.loads(profiler_plugin.xspace_to_tools_data(paths, "framework_op_stats", {})[0])[0]
    columns = [c["id"] for c in table["cols"]]
    groups: collections.Counter = collections.Counter()
    for row in table["rows"]:
        op = dict(zip(columns, (c.get("v") for c in row["c"])))
        if op["type"] != "IDLE":
            groups[group_of(op["operation"], op["type"])] += op["total_self_time"] / 1e3 / steps
    if os.environ.get("STEP_PROFILE_DEBUG"):
        for row in table["rows"][:25]:
            op = dict(zip(columns, (c.get("v") for c in row["c"])))
            print(op["type"], op["operation"][:100], round(op["total_self_time"] / 1e3 / steps, 1))
    return {
        "wall_ms_per_step": round(wall * 1e3 / steps, 1),
        "self_ms_per_step": {k: round(v, 1) for k, v in groups.most_common()},
    }


def loop_costs(recipe, data, steps: int, rounds: int = 2) -> dict:
    """Training images/s of the bare step, + the input stream, + the recipe's callbacks, and of train()."""
    import tensorflow as tf

    from cifar_lib.data import one_hot, stratified_subset
    from cifar_lib.training import loop, train

    images, labels = data.x_train, data.y_train
    x, y = random_batches(recipe, steps + 2)
    bare = tf.data.Dataset.from_tensor_slices((x, y)).batch(recipe.batch_size).prefetch(2)
    per_epoch = loop.steps_in_epoch(len(images), recipe)
    stream = loop.train_stream(recipe, images, one_hot(labels))
    variants = {
        "bare step": (bare, lambda: ()),
        "+ input stream": (stream, lambda: ()),
        "+ recipe callbacks": (stream, lambda: loop.recipe_callbacks(recipe, per_epoch)),
    }
    medians: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):  # interleaved rounds: a slow moment of the machine hits one round, not one variant
        for name, (dataset, callbacks) in variants.items():
            model = loop.compiled_model(recipe, per_epoch)
            medians[name].append(loop.median_step_seconds(model, dataset, steps, 2, callbacks()))
    out = {name: min(values) for name, values in medians.items()}  # the least disturbed round
    started, batches = time.perf_counter(), 0
    for _ in stream.take(steps + 2):
        batches += 1
    stream_only = (time.perf_counter() - started) / batches
    n = recipe.batch_size * (steps + 2)
    sx, sy = stratified_subset(images, labels, n, seed=0)
    small = data.__class__(sx, sy, data.x_test[:500], data.y_test[:500], data.class_names, data.source)
    with tempfile.TemporaryDirectory() as folder:
        run = train(recipe, small, folder, verbose=0, epochs=2, val_fraction=0.0)
    train_ips = len(sx) / run.history["train_seconds"].iloc[1]
    ips = {k: round(recipe.batch_size / v, 1) for k, v in out.items()}
    ips["train() (second epoch)"] = round(train_ips, 1)
    return {"train_images_per_s": ips, "input_stream_alone_batches_per_s": round(1 / stream_only, 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="quick", choices=("quick", "fast"))
    p.add_argument("--steps", type=int, default=12, help="timed steps per measurement (their median)")
    p.add_argument("--data", default=None, help="CIFAR-10 source (default $CIFAR10_DATA)")
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = p.parse_args()

    from cifar_lib import config
    from cifar_lib.data import load_cifar10
    from cifar_lib.hardware import cpu_facts
    from cifar_lib.training import get_recipe

    config.configure_threads()
    recipe = get_recipe(args.recipe)
    record = {
        "recipe": recipe.name,
        "batch_size": recipe.batch_size,
        "cpu": cpu_facts().describe(),
        "steps": args.steps,
        "note": args.note,
    }
    record |= op_profile(recipe, args.steps)
    record |= loop_costs(recipe, load_cifar10(args.data), args.steps)
    with open(RECORDS, "a") as f:
        f.write(json.dumps(record) + "\n")
    wall = record["wall_ms_per_step"]
    print(f"{recipe.name}, batch {recipe.batch_size}, on {record['cpu']}: {wall:.0f} ms per bare step (wall)")
    total = sum(record["self_ms_per_step"].values())
    for group, ms in record["self_ms_per_step"].items():
        print(f"  {group:<28} {ms:8.1f} ms self-time per step  {ms / total:6.1%}")
    for name, ips in record["train_images_per_s"].items():
        print(f"  {name:<28} {ips:8.1f} training images/s")
    print(f"  input stream alone: {record['input_stream_alone_batches_per_s']} batches/s")


if __name__ == "__main__":
    main()
