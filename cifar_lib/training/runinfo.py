"""What a run records about its environment: versions, device, git commit."""

from __future__ import annotations

import os
import platform
import subprocess

from cifar_lib.hardware import cpu_facts


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


def gpu_names() -> list[str]:
    """The names of the GPUs TensorFlow sees (empty on a CPU-only machine)."""
    import tensorflow as tf

    return [
        tf.config.experimental.get_device_details(g).get("device_name", g.name)
        for g in tf.config.list_physical_devices("GPU")
    ]


def device_info() -> dict:
    """CPU/GPU description: GPU names when TensorFlow sees any, else the CPU model and core count."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    cpu = cpu_facts()
    info = {
        "platform": platform.platform(),
        "cpu_count": cpu.cores,
        "gpus": [g.name for g in gpus],
        "cpu": cpu.describe(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "TensorFlow's default"),
    }
    info["device"] = "GPU: " + ", ".join(gpu_names()) if gpus else f"CPU ({info['cpu_count']} cores)"
    return info


def git_commit() -> str | None:
    """The project's git commit, with "-dirty" when tracked files have uncommitted changes."""
    here = os.path.dirname(os.path.abspath(__file__))

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("-dirty" if dirty else "")) or None
