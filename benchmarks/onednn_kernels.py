"""Which oneDNN kernels a training step runs, in each precision mode, and how much of the step they take.

    python benchmarks/onednn_kernels.py                       # quick network, fp32 / bf16 math / mixed_bfloat16
    python benchmarks/onednn_kernels.py --recipe fast --modes fp32 bf16-math

Runs ``throughput.py`` in a fresh process per mode with ``ONEDNN_VERBOSE=1`` (oneDNN then prints
one line per primitive it executes: kind, implementation, data types, attributes, milliseconds).
For the training steps (the lines from the first to the last primitive at the recipe's batch
size, weight reorders included; the first two steps, which build the graph, left out) it
prints, per primitive kind and pass, the implementation, the data types and the milliseconds
per step, then the share of the step that oneDNN's primitives take; the rest of the step runs
outside oneDNN (batch normalisation, GELU, casts, the optimizer). That answers two questions
on any CPU: does a bf16 mode run bf16 kernels here (on a CPU without bf16 instructions the
mode is accepted and fp32 kernels run), and how much of a step bf16 kernels could speed up at
all. The step time is the benchmark's own, taken with the verbose output on. Appends one JSON
line per mode to benchmarks/records/onednn_kernels.jsonl.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from speed_table import ROWS

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "onednn_kernels.jsonl"
MODES = {"fp32": "tf-fp32", "bf16-math": "tf-bf16-math", "mixed-bf16": "tf-mixed-bf16"}  # speed_table's rows
WARMUP_STEPS = 2  # throughput.py's untimed steps
TENSOR_TYPE = re.compile(r"\b(?:src|wei|dst|bia|diff_src|diff_wei|diff_dst)[:_](f32|bf16|f16|s8|u8|s32)\b")


def verbose_run(recipe: str, steps: int, extra: list[str], env: dict) -> tuple[list[str], dict]:
    """oneDNN's exec lines and throughput.py's result, from one fresh process."""
    command = [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--recipe", recipe, "--steps", str(steps)]
    environment = {**os.environ, **env, "ONEDNN_VERBOSE": "1"}
    out = subprocess.run([*command, *extra], capture_output=True, text=True, env=environment, check=True).stdout
    lines = out.strip().splitlines()
    execs = [line for line in lines if line.startswith("onednn_verbose") and ",exec,cpu," in line]
    return execs, json.loads(next(line for line in reversed(lines) if line.startswith("{")))


def summarise(execs: list[str], batch: int, steps: int) -> dict[str, dict]:
    """Per "kind pass": implementation, data types and milliseconds per timed step."""
    mark = re.compile(rf"\bmb{batch}(?!\d)")
    at_batch = [i for i, line in enumerate(execs) if mark.search(line)]
    if not at_batch:  # TensorFlow ran the step with its own kernels (Eigen), oneDNN none of it
        return {}
    # from the first to the last primitive at the training batch size: the steps, with the weight
    # reorders between their convolutions (inference, with its own batch size, comes after)
    training = [line.split(",") for line in execs[at_batch[0] : at_batch[-1] + 1]]
    timed = training[len(training) * WARMUP_STEPS // (steps + WARMUP_STEPS) :]  # the steps are alike
    parts: dict[str, dict] = collections.defaultdict(lambda: {"ms": 0.0, "implementations": set(), "types": set()})
    for f in timed:  # onednn_verbose,v1,primitive,exec,cpu,KIND,IMPLEMENTATION,PASS,TENSORS,ATTRS,...,MS
        part = parts[f[5] if f[7] == "undef" else f"{f[5]} {f[7]}"]  # reorders and gemms have no pass
        part["ms"] += float(f[-1]) / steps
        part["implementations"].add(f[6] or "-")
        part["types"].update(TENSOR_TYPE.findall(f[8]))
        if "fpmath" in f[9]:
            part["types"].add(f[9].split("attr-fpmath:")[1].split()[0] + " math")
    return {
        k: {**v, "implementations": sorted(v["implementations"]), "types": sorted(v["types"])} for k, v in parts.items()
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="quick", choices=("quick", "fast", "baseline"))
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    p.add_argument("--steps", type=int, default=4, help="timed training steps")
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from cifar_lib.hardware import cpu_facts

    cpu = cpu_facts().describe()
    print(cpu)
    for mode in args.modes:
        _, _, extra, env = ROWS[MODES[mode]]
        execs, result = verbose_run(args.recipe, args.steps, extra, env)
        parts = summarise(execs, result["batch_size"], args.steps)
        step_ms = 1000 * result["batch_size"] / result["train_images_per_s"]
        onednn_ms = sum(v["ms"] for v in parts.values())
        print(f"\n{mode}: {step_ms:.0f} ms per step, {onednn_ms:.0f} ms of it in oneDNN ({onednn_ms / step_ms:.0%})")
        if not parts:
            print("oneDNN ran no primitive at the training batch size: TensorFlow's own kernels ran the step")
        print("| primitive, pass | implementation | data types | ms per step |\n|---|---|---|---|")
        for name, v in sorted(parts.items(), key=lambda kv: -kv[1]["ms"]):
            print(f"| {name} | {', '.join(v['implementations'])} | {', '.join(v['types'])} | {v['ms']:.0f} |")
        record = {
            "recipe": args.recipe,
            "batch_size": result["batch_size"],
            "mode": mode,
            "step_ms": round(step_ms, 1),
            "onednn_ms": round(onednn_ms, 1),
            "parts": {k: {**v, "ms": round(v["ms"], 1)} for k, v in parts.items()},
            "cpu": cpu,
            "note": args.note,
        }
        with open(RECORDS, "a") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
