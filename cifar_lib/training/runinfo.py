"""What a run records about its environment: versions, device, git commit."""

from __future__ import annotations

import os
import platform
import subprocess


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy", "scikit-learn", "pillow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def device_info() -> dict:
    """CPU/GPU description: GPU names when TensorFlow sees any, else the CPU model and core count."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    info = {"platform": platform.platform(), "cpu_count": os.cpu_count(), "gpus": [g.name for g in gpus]}
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["device"] = "GPU: " + ", ".join(tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus) if gpus else f"CPU ({info['cpu_count']} cores)"
    return info


def git_commit() -> str | None:
    """The current git commit of the project, if it is a git checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
