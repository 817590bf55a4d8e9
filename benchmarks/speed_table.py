"""TensorFlow (this project) and the PyTorch peer, same network and step, measured in one run.

    make peer        # builds .venv-peer (PyTorch, CPU build) once, then runs this

For the quick and the fast widths, each row in a fresh process, one after the other:
TensorFlow fp32 (``throughput.py``), TensorFlow with oneDNN's bf16 math mode
(``TF_SET_ONEDNN_FPMATH_MODE=BF16``), PyTorch fp32 and PyTorch with ``torch.autocast`` bf16
(``peer_pytorch.py``). Prints a markdown table and appends one JSON line per measurement to
benchmarks/records/peer.jsonl. bf16 only pays on a CPU with native bf16 (AMX or avx512_bf16):
elsewhere the conversions are emulated and cost time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records" / "peer.jsonl"
PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
NETWORKS = {"quick": ((48, 96, 96), 512), "fast": ((64, 256, 256), 1024)}


def last_json(command: list[str], env: dict | None = None) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipes", nargs="+", default=["quick", "fast"], choices=list(NETWORKS))
    p.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from cifar_lib.hardware import cpu_facts

    cpu = cpu_facts().describe()
    rows = []
    for recipe in args.recipes:
        widths, batch = NETWORKS[recipe]
        tf_command = [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--recipe", recipe]
        peer_command = [
            str(PEER_PYTHON),
            str(ROOT / "benchmarks" / "peer_pytorch.py"),
            "--widths",
            *map(str, widths),
            "--batch",
            str(batch),
        ]
        for framework, precision, command, env in (
            ("TensorFlow", "fp32", tf_command, None),
            ("TensorFlow", "oneDNN bf16 math", tf_command, {"TF_SET_ONEDNN_FPMATH_MODE": "BF16"}),
            ("PyTorch", "fp32", peer_command, None),
            ("PyTorch", "bf16 autocast", peer_command + ["--bf16"], None),
        ):
            result = last_json(command, env)
            rows.append(
                {
                    "recipe": recipe,
                    "widths": list(widths),
                    "batch_size": batch,
                    "framework": framework,
                    "precision": precision,
                    "train_images_per_s": result["train_images_per_s"],
                    "cpu": cpu,
                    "note": args.note,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    with open(RECORDS, "a") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"\n{cpu}\n\n| network | batch | framework | precision | training images/s |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {'/'.join(map(str, r['widths']))} | {r['batch_size']} | {r['framework']} | {r['precision']} | "
            f"{r['train_images_per_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
