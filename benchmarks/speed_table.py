"""TensorFlow (this project) and the PyTorch peer, same network and step, measured in one run.

    make peer                                            # builds .venv-peer (PyTorch) once, then this
    python benchmarks/speed_table.py --repeats 3         # three interleaved rounds, medians
    python benchmarks/speed_table.py --rows tf-fp32 tf-bf16-math --recipes quick   # TensorFlow only

For the quick and the fast widths, each measurement in a fresh process: TensorFlow fp32
(``throughput.py``), TensorFlow with oneDNN's bf16 math mode (``TF_SET_ONEDNN_FPMATH_MODE=BF16``),
TensorFlow with Keras' ``mixed_bfloat16`` policy, PyTorch fp32 and PyTorch with ``torch.autocast``
bf16 (``peer_pytorch.py``). The two that compute in bf16 (Keras mixed_bfloat16, torch autocast)
run only on a CPU with native bf16 (AMX or avx512_bf16) unless --rows names them: elsewhere
they are emulated (``onednn_kernels.py`` shows which kernels ran). With --repeats N the rows run
in N rounds, each round every row once in the same order, so a drift slower than a round
touches every row alike (faster drift does not: the table shows the runs beside the median).
Prints a markdown table and appends one JSON line per network and row (median and runs) to
benchmarks/records/peer.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "peer.jsonl"
PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
NETWORKS = {"quick": ((48, 96, 96), 512), "fast": ((64, 256, 256), 1024)}
# row name: (framework, precision as the table says it, extra arguments, extra environment)
ROWS = {
    "tf-fp32": ("TensorFlow", "fp32", [], {}),
    "tf-bf16-math": ("TensorFlow", "oneDNN bf16 math", [], {"TF_SET_ONEDNN_FPMATH_MODE": "BF16"}),
    "tf-mixed-bf16": ("TensorFlow", "Keras mixed_bfloat16", ["--precision", "mixed_bfloat16"], {}),
    "torch-fp32": ("PyTorch", "fp32", [], {}),
    "torch-bf16": ("PyTorch", "bf16 autocast", ["--bf16"], {}),
}
# computed in bf16, these rows are emulated on a CPU without bf16 instructions: 10-30 times slower
# there (minutes per step at the fast widths), so by default they run only where bf16 is native
EMULATED_ELSEWHERE = ("tf-mixed-bf16", "torch-bf16")
NATIVE_BF16 = ("avx512_bf16", "amx_bf16")


def last_json(command: list[str], env: dict) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def command_for(row: str, recipe: str) -> list[str]:
    framework, _, extra, _ = ROWS[row]
    widths, batch = NETWORKS[recipe]
    if framework == "TensorFlow":
        return [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--recipe", recipe, *extra]
    if not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON} not found: `make peer` builds the PyTorch environment (or leave out the torch rows)")
    script = str(ROOT / "benchmarks" / "peer_pytorch.py")
    return [str(PEER_PYTHON), script, "--widths", *map(str, widths), "--batch", str(batch), *extra]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipes", nargs="+", default=["quick", "fast"], choices=list(NETWORKS))
    p.add_argument("--rows", nargs="+", default=None, choices=list(ROWS), help="default: all on a bf16 CPU")
    p.add_argument("--repeats", type=int, default=1, help="interleaved rounds (each row once per round)")
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from cifar_lib.hardware import cpu_facts

    facts = cpu_facts()
    cpu = facts.describe()
    if args.rows is None:
        native = any(flag in facts.flags for flag in NATIVE_BF16)
        args.rows = [row for row in ROWS if native or row not in EMULATED_ELSEWHERE]
        if not native:
            print(f"no native bf16 on this CPU: left out {', '.join(EMULATED_ELSEWHERE)} (--rows runs them)")
    rows = []
    for recipe in args.recipes:
        widths, batch = NETWORKS[recipe]
        runs: dict[str, list[float]] = {row: [] for row in args.rows}
        for round_ in range(args.repeats):
            for row in args.rows:
                result = last_json(command_for(row, recipe), ROWS[row][3])
                runs[row].append(result["train_images_per_s"])
                print(f"{recipe} round {round_ + 1}: {row} {runs[row][-1]:.1f} images/s", flush=True)
        for row in args.rows:
            framework, precision, _, _ = ROWS[row]
            rows.append(
                {
                    "recipe": recipe,
                    "widths": list(widths),
                    "batch_size": batch,
                    "framework": framework,
                    "precision": precision,
                    "train_images_per_s": statistics.median(runs[row]),
                    "train_images_per_s_runs": runs[row],
                    "cpu": cpu,
                    "note": args.note,
                }
            )
    with open(RECORDS, "a") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"\n{cpu}\n\n| network | batch | framework | precision | training images/s (runs) |\n|---|---|---|---|---|")
    for r in rows:
        each = ", ".join(f"{v:.0f}" for v in r["train_images_per_s_runs"])
        print(
            f"| {'/'.join(map(str, r['widths']))} | {r['batch_size']} | {r['framework']} | {r['precision']} | "
            f"{r['train_images_per_s']:.0f} ({each}) |"
        )


if __name__ == "__main__":
    main()
