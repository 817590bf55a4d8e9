"""Training and inference speed of a recipe's model on this machine, and how close it gets to peak.

    python benchmarks/throughput.py --recipe quick                 # one measurement, the defaults
    python benchmarks/throughput.py --recipe fast --xla off        # XLA forced off
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/throughput.py        # oneDNN forced off
    python benchmarks/throughput.py --sweep --repeats 2            # every recipe x XLA x oneDNN -> a table
    python benchmarks/throughput.py --precision mixed_bfloat16     # Keras' bf16 policy

Uses random pixels (speed does not depend on the data), the recipe's model, batch size,
optimizer and loss. Prints one JSON line per measurement: training images/s, GFLOP/s
(3 x forward FLOPs per image: forward + backward) and the fraction of this CPU's fp32 peak
(``peak_gflops``, formula printed). oneDNN is a process-wide switch read when
TensorFlow loads, so --sweep runs each combination in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RECIPES = ("quick", "fast", "baseline")
# The textbook fp32 peak: cores x clock x (fp32 lanes per vector) x 2 (a fused multiply-add is 2 FLOP)
# x FMA pipes per core, with 2 pipes (true of recent x86 server and desktop cores; some cores split
# an AVX-512 instruction over two 256-bit halves, which halves the AVX-512 figure).
FMA_PIPES = 2
FP32_LANES = {"avx512": 16, "avx2": 8}  # anything else: 4 (SSE)


def peak_gflops(cpu, fma_pipes: int = FMA_PIPES) -> float | None:
    """fp32 peak in GFLOP/s of ``cpu`` (``hardware.cpu_facts()``); None when the clock is unknown."""
    if cpu.ghz is None:
        return None
    return cpu.cores * cpu.ghz * FP32_LANES.get(cpu.vector_isa, 4) * 2 * fma_pipes


def peak_formula(cpu, fma_pipes: int = FMA_PIPES) -> str:
    """How ``peak_gflops`` got its number, spelled out."""
    ghz = "?" if cpu.ghz is None else f"{cpu.ghz:.2f}"
    peak = peak_gflops(cpu, fma_pipes)
    value = "unknown" if peak is None else f"{peak:.0f} GFLOP/s"
    lanes = f"{FP32_LANES.get(cpu.vector_isa, 4)} fp32 lanes ({cpu.vector_isa})"
    return f"{cpu.cores} cores x {ghz} GHz x {lanes} x 2 (FMA) x {fma_pipes} FMA pipes = {value}"


def measure(
    recipe_name: str,
    batch_size: int | None,
    xla: str,
    steps: int,
    inference_images: int,
    threads: int | None = None,
    precision: str = "recipe",
) -> dict:
    """One measurement in this process (oneDNN as the environment left it).

    ``precision``: "recipe" keeps the recipe's Keras dtype policy, else one of Recipe.precision's
    values (e.g. "mixed_bfloat16"). oneDNN's own math mode is the environment's
    (TF_SET_ONEDNN_FPMATH_MODE=BF16 lets it compute fp32 convolutions in bf16).
    """
    import cifar_lib  # noqa: F401  (sets the oneDNN default before TensorFlow loads)
    from cifar_lib import config

    config.configure_threads(threads)
    import keras
    import numpy as np
    import tensorflow as tf

    from cifar_lib.hardware import cpu_facts
    from cifar_lib.models import flops_per_image
    from cifar_lib.training import get_recipe, loop

    recipe = get_recipe(recipe_name)
    if batch_size:
        recipe = recipe.replace(batch_size=batch_size)
    if precision != "recipe":
        recipe = recipe.replace(precision=precision)
    jit = recipe.jit_compile if xla == "recipe" else xla == "on"
    model = loop.compiled_model(recipe.replace(jit_compile=jit), 50_000 // recipe.batch_size)
    rng = np.random.default_rng(0)
    n = recipe.batch_size * (steps + 2)
    x = rng.integers(0, 256, (n, 32, 32, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, n), 10)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(recipe.batch_size).prefetch(2)

    class Timer(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:  # two warm-up steps (tracing, compilation) are not timed
                self.t0 = time.perf_counter()
            self.t1 = time.perf_counter()

    timer = Timer()
    model.fit(ds, epochs=1, verbose=0, callbacks=[timer])
    train_ips = recipe.batch_size * steps / (timer.t1 - timer.t0)

    xi = x[:inference_images]
    model.predict(xi[:500], batch_size=500, verbose=0)
    t0 = time.perf_counter()
    model.predict(xi, batch_size=500, verbose=0)
    infer_ips = len(xi) / (time.perf_counter() - t0)

    cpu = cpu_facts()
    gflops = 3 * flops_per_image(model) * train_ips / 1e9
    peak = peak_gflops(cpu)
    return {
        "recipe": recipe.name,
        "batch_size": recipe.batch_size,
        "xla": bool(jit),
        "threads": threads or cpu.cores,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "TF default"),
        "precision": loop.precision(recipe),
        "onednn_fpmath": os.environ.get("TF_SET_ONEDNN_FPMATH_MODE", "default"),
        "train_images_per_s": round(train_ips, 1),
        "train_gflops": round(gflops, 1),
        "fraction_of_peak": None if peak is None else round(gflops / peak, 3),
        "inference_images_per_s": round(infer_ips, 1),
        "seconds_per_epoch": round(50_000 / train_ips, 1),
        "device": "GPU" if tf.config.list_physical_devices("GPU") else cpu.describe(),
        "peak": peak_formula(cpu),
    }


def sweep(recipes: list[str], repeats: int, steps: int) -> list[dict]:
    """Every recipe x XLA on/off x oneDNN on/off, each in a fresh process; the median of ``repeats``."""
    rows = []
    for recipe in recipes:
        for onednn in ("0", "1"):
            for xla in ("off", "on"):
                runs = []
                for _ in range(repeats):
                    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn)
                    cmd = [sys.executable, __file__, "--recipe", recipe, "--xla", xla, "--steps", str(steps)]
                    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
                    runs.append(json.loads(out.strip().splitlines()[-1]))
                row = dict(runs[0])
                for key in ("train_images_per_s", "train_gflops", "fraction_of_peak", "inference_images_per_s"):
                    row[key] = statistics.median(r[key] for r in runs)
                row["train_images_per_s_runs"] = [r["train_images_per_s"] for r in runs]
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| recipe | batch | oneDNN | XLA | train img/s (runs) | GFLOP/s | of peak | inference img/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        runs = ", ".join(f"{v:.0f}" for v in r["train_images_per_s_runs"])
        lines.append(
            f"| {r['recipe']} | {r['batch_size']} | {'on' if r['onednn'] == '1' else 'off'} | "
            f"{'on' if r['xla'] else 'off'} | {r['train_images_per_s']:.0f} ({runs}) | "
            f"{r['train_gflops']:.0f} | {r['fraction_of_peak']:.0%} | {r['inference_images_per_s']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="quick", choices=RECIPES)
    p.add_argument("--batch-size", type=int, default=None, help="default: the recipe's")
    p.add_argument("--xla", choices=("recipe", "on", "off"), default="recipe")
    p.add_argument("--steps", type=int, default=8, help="timed training steps (after 2 warm-up steps)")
    p.add_argument("--inference-images", type=int, default=2000)
    p.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    p.add_argument(
        "--precision",
        default="recipe",
        choices=("recipe", "float32", "mixed_bfloat16", "mixed_float16"),
        help="Keras dtype policy (default: the recipe's)",
    )
    p.add_argument("--sweep", action="store_true", help="all recipes (or --only) x XLA x oneDNN")
    p.add_argument("--only", nargs="*", default=list(RECIPES), choices=RECIPES, help="recipes for --sweep")
    p.add_argument("--repeats", type=int, default=2, help="runs per combination in --sweep")
    p.add_argument("--out", default=None, help="append the results here, one JSON line each")
    args = p.parse_args()

    if args.sweep:
        rows = sweep(args.only, args.repeats, args.steps)
        table = markdown_table(rows)
        print(rows[0]["device"] + "\npeak: " + rows[0]["peak"] + "\n\n" + table)
        if args.out:
            with open(args.out, "a") as f:
                f.writelines(json.dumps(r) + "\n" for r in rows)
        return
    result = measure(
        args.recipe, args.batch_size, args.xla, args.steps, args.inference_images, args.threads, args.precision
    )
    print(json.dumps(result))
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
