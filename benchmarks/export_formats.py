"""Size on disk and single-image latency of a model in Keras and in each export format, each in its own runtime.

    python benchmarks/export_formats.py                                   # the published quick model
    python benchmarks/export_formats.py --model models/cifar10_fast.keras --note "nothing else running"

Exports the model (cifar_lib.export) into a scratch folder, then measures every format in a
fresh process that loads only its runtime: Keras (the .keras file, ``model(x, training=False)``:
the eager call Keras recommends for a single batch), TensorFlow (the SavedModel's ``serve``),
LiteRT (the .tflite interpreter) and onnxruntime (the .onnx file). Latency: one image (batch
of 1), 20 warm-up calls, then the median of 200 timed calls (p10 and p90 beside it). Prints
one JSON line per format and writes them to benchmarks/records/export_formats.jsonl; the
load average at the start goes into each line, so a busy machine shows in the record.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "export_formats.jsonl"
RUNTIMES = {"keras": "keras", "saved_model": "tensorflow", "litert": "ai-edge-litert", "onnx": "onnxruntime"}


def _runner(fmt: str, path: str):
    """The function that runs one image, loaded the way a user of that format would load it."""
    if fmt == "keras":
        from cifar_lib.config import quiet_tensorflow

        quiet_tensorflow()
        from cifar_lib.evaluation import load_model

        model = load_model(path)
        return lambda x: model(x, training=False)
    from cifar_lib.export import load_exported

    return load_exported(path)


def measure(fmt: str, path: str, calls: int, warmup: int) -> dict:
    """Latency of one format in this process (which should load nothing else)."""
    import numpy as np

    run = _runner(fmt, path)
    image = np.random.default_rng(0).integers(0, 256, (1, 32, 32, 3)).astype("float32")
    for _ in range(warmup):
        run(image)
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        run(image)
        seconds.append(time.perf_counter() - start)
    deciles = statistics.quantiles(seconds, n=10)
    return {
        "latency_ms_median": round(statistics.median(seconds) * 1000, 3),
        "latency_ms_p10": round(deciles[0] * 1000, 3),
        "latency_ms_p90": round(deciles[-1] * 1000, 3),
    }


def _measure_in_fresh_process(fmt: str, path: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--measure",
        fmt,
        str(path),
        "--calls",
        str(args.calls),
        "--warmup",
        str(args.warmup),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{fmt}: measurement failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "models" / "cifar10_quick.keras"))
    p.add_argument("--calls", type=int, default=200, help="timed calls per format (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed calls first (default 20)")
    p.add_argument("--note", default="", help="what else ran on the machine, stored in each record")
    p.add_argument("--out", default=str(RECORDS), help="JSON-lines record file (rewritten)")
    p.add_argument("--measure", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)  # the child process
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, calls=args.calls, warmup=args.warmup)))
        return

    import cifar_lib  # noqa: F401  (the oneDNN default, before TensorFlow loads)
    from cifar_lib.config import quiet_tensorflow

    quiet_tensorflow()
    from cifar_lib.evaluation import load_model
    from cifar_lib.export import FORMATS, export_model, size_on_disk
    from cifar_lib.hardware import cpu_facts

    cpu = cpu_facts()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    model = load_model(args.model)
    names = {"saved_model": "saved_model", "litert": "model.tflite", "onnx": "model.onnx"}
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        paths = {"keras": Path(args.model)}
        for fmt in FORMATS:
            paths[fmt] = export_model(model, fmt, Path(scratch) / names[fmt])
        for fmt, path in paths.items():
            runtime = f"{RUNTIMES[fmt]} {metadata.version(RUNTIMES[fmt])}"
            if fmt == "keras":
                runtime += f" on tensorflow {metadata.version('tensorflow')}"
            row = {
                "format": fmt,
                "model": Path(args.model).name,
                "runtime": runtime,
                "bytes": size_on_disk(path),
                "batch": 1,
                "calls": args.calls,
                "warmup": args.warmup,
                **_measure_in_fresh_process(fmt, path, args),
                "device": cpu.describe(),
                "load_average_1min_at_start": load,
                "note": args.note,
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"\n{rows[0]['model']} on {cpu.describe()} (load average {load:.2f} at the start)")
    print("| format | runtime | size on disk | latency, 1 image: median (p10-p90) |")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['format']} | {r['runtime']} | {r['bytes'] / 1e6:.2f} MB | "
            f"{r['latency_ms_median']:.2f} ms ({r['latency_ms_p10']:.2f}-{r['latency_ms_p90']:.2f}) |"
        )
    print(f"records: {args.out}")


if __name__ == "__main__":
    main()
