"""Training and inference throughput (images/second) of a model on this machine.

    python benchmarks/throughput.py --model fast --batch-size 512 --steps 8 [--jit] [--threads 2]

Uses random pixels (speed does not depend on the data) and the recipe's real optimizer,
loss and augmentation-free input. Prints one JSON line per run; with --out, appends it there.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="fast", choices=["fast", "seed"])
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--steps", type=int, default=8, help="timed training steps (after 2 warm-up steps)")
    p.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    p.add_argument("--inference-images", type=int, default=2000)
    p.add_argument("--out", default=None, help="append the JSON result to this file")
    args = p.parse_args()

    from cifar_lib import config

    config.configure_threads(args.threads)
    import keras
    import numpy as np
    import tensorflow as tf

    from cifar_lib.models import build_model
    from cifar_lib.training import engine, get_recipe

    recipe = get_recipe(args.model).replace(batch_size=args.batch_size)
    model = build_model(recipe.model)
    steps_per_epoch = 50_000 // args.batch_size
    model.compile(
        optimizer=engine._optimizer(recipe, model, steps_per_epoch),
        loss=engine._loss(recipe, model),
        metrics=["accuracy"],
        jit_compile=args.jit,
    )
    rng = np.random.default_rng(0)
    n = args.batch_size * (args.steps + 2)
    x = rng.integers(0, 256, (n, 32, 32, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, n), 10)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size).prefetch(2)

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.t0 = time.perf_counter()
            self.t1 = time.perf_counter()

    timer = Timer()
    model.fit(ds, epochs=1, verbose=0, callbacks=[timer])
    train_ips = args.batch_size * args.steps / (timer.t1 - timer.t0)

    xi = x[: args.inference_images]
    model.predict(xi[:500], batch_size=500, verbose=0)
    t0 = time.perf_counter()
    model.predict(xi, batch_size=500, verbose=0)
    infer_ips = len(xi) / (time.perf_counter() - t0)

    result = {
        "model": args.model, "batch_size": args.batch_size, "jit": args.jit,
        "threads": args.threads or os.cpu_count(), "train_images_per_s": round(train_ips, 1),
        "inference_images_per_s": round(infer_ips, 1), "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
    }
    if args.model == "fast":  # ANCHORS: ~0.71 GFLOP per training image; 10 epochs of 50,000 images
        result["minutes_per_10_epochs"] = round(500_000 / train_ips / 60, 1)
    print(json.dumps(result))
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
