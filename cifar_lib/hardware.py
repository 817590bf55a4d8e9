"""What this machine's CPU can do: cores, clock, vector width and the fp32 peak they imply.

No TensorFlow here: the benchmarks and the run records call it, and so does the notebooks'
setup line. The peak is the textbook one,

    peak FLOP/s = cores x clock x (fp32 lanes per vector) x 2 (a fused multiply-add is 2 FLOP)
                  x FMA pipes per core

with 2 FMA pipes per core (true of recent x86 server and desktop cores; some cores split an
AVX-512 instruction over two 256-bit halves, which halves the AVX-512 figure).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

FMA_PIPES = 2


@dataclass(frozen=True)
class CpuFacts:
    """The few CPU facts that decide training speed."""

    model: str
    cores: int
    ghz: float | None
    vector_isa: str  # "avx512" | "avx2" | "other"
    flags: frozenset[str]

    @property
    def fp32_lanes(self) -> int:
        return {"avx512": 16, "avx2": 8}.get(self.vector_isa, 4)

    def peak_gflops(self, fma_pipes: int = FMA_PIPES) -> float | None:
        """fp32 peak in GFLOP/s (None when the clock is unknown)."""
        if self.ghz is None:
            return None
        return self.cores * self.ghz * self.fp32_lanes * 2 * fma_pipes

    def peak_formula(self, fma_pipes: int = FMA_PIPES) -> str:
        ghz = "?" if self.ghz is None else f"{self.ghz:.2f}"
        peak = self.peak_gflops(fma_pipes)
        value = "unknown" if peak is None else f"{peak:.0f} GFLOP/s"
        return (
            f"{self.cores} cores x {ghz} GHz x {self.fp32_lanes} fp32 lanes ({self.vector_isa}) "
            f"x 2 (FMA) x {fma_pipes} FMA pipes = {value}"
        )

    def describe(self) -> str:
        extras = [f for f in ("avx512_bf16", "avx_vnni", "amx_tile") if f in self.flags]
        ghz = "" if self.ghz is None else f" at {self.ghz:.2f} GHz"
        return f"{self.model}, {self.cores} cores{ghz}, {self.vector_isa}" + (
            f" (+{', '.join(extras)})" if extras else ""
        )


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
