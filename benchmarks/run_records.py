"""What the benchmarks that train share: a complete run in a fresh process, and JSON-lines records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "records"


def full_run(out: Path, args: list[str], data: str | None = None) -> dict:
    """``benchmarks/time_to_accuracy.py ARGS --out OUT`` in a fresh process (resumable); its figures."""
    command = [sys.executable, str(ROOT / "benchmarks" / "time_to_accuracy.py"), *args, "--out", str(out)]
    subprocess.run(command + (["--data", data] if data else []), check=True)
    return json.loads((out / "time_to_accuracy.json").read_text())


def outcome(figures: dict) -> dict:
    """The fields every training record keeps of ``full_run``'s figures: where it ran, on what, how it ended."""
    keep = ("cpu", "data", "n_test", "train_seconds_total", "final_test_accuracy")
    return {k.removesuffix("_total"): figures[k] for k in keep}


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON-lines file (an empty list when there is none)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def upsert(path: Path, record: dict, key: tuple[str, ...]) -> None:
    """Add ``record`` to ``path``, replacing any line that has the same values of the ``key`` fields."""

    def values(r: dict) -> str:
        return json.dumps([r.get(k) for k in key])

    kept = [r for r in read_jsonl(path) if values(r) != values(record)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in kept + [record]))
    print(json.dumps(record), flush=True)
