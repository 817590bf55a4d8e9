"""What this machine's CPU is: model, usable cores, clock, vector width (no TensorFlow here).

The run records, the notebooks' setup line and the benchmarks name the CPU with ``describe()``;
``benchmarks/throughput.py`` turns these facts into the fp32 peak.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuFacts:
    """The few CPU facts that decide training speed."""

    model: str
    cores: int
    ghz: float | None
    vector_isa: str  # "avx512" | "avx2" | "other"
    flags: frozenset[str]

    def describe(self) -> str:
        extras = [f for f in ("avx512_bf16", "avx_vnni", "amx_tile") if f in self.flags]
        ghz = "" if self.ghz is None else f" at {self.ghz:.2f} GHz"
        plus = f" (+{', '.join(extras)})" if extras else ""
        return f"{self.model}, {self.cores} cores{ghz}, {self.vector_isa}{plus}"


def cpu_facts(cpuinfo_path: str = "/proc/cpuinfo") -> CpuFacts:
    """Read the CPU's model, usable cores, clock and flags (Linux; elsewhere what Python knows)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    model, mhz, flags = None, None, set()
    try:
        with open(cpuinfo_path) as f:
            for line in f:  # one block per core: keep the first core's values
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model is None:
                    model = value
                elif key == "cpu MHz" and mhz is None:
                    mhz = float(value)
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except (OSError, ValueError):
        pass
    isa = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "other"
    model = model or platform.processor() or "unknown CPU"
    return CpuFacts(model, cores, None if mhz is None else mhz / 1000, isa, frozenset(flags))
