"""Publish a finished training run as a small inference model: models/<name>.keras + its records.

    .venv/bin/python tools/publish_model.py runs/quick-full           # -> models/cifar10_quick.*
    .venv/bin/python tools/publish_model.py runs/fast-full            # -> models/cifar10_fast.*

Writes the weights into a fresh, uncompiled model of the same architecture (no optimizer state:
a quarter of the size), checks that it predicts exactly what the trained model predicts, and
copies the run's run.json and history.csv (and time_to_accuracy.json when the run has one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

from cifar_lib import config

config.quiet_tensorflow()

import numpy as np  # noqa: E402

from cifar_lib.evaluation import load_model  # noqa: E402
from cifar_lib.models import build_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def publish(run_dir: str, name: str, models_dir: str) -> str:
    """Write ``models_dir/name.keras`` (and its records) from ``run_dir``; returns the model path."""
    with open(os.path.join(run_dir, "run.json")) as f:
        run_info = json.load(f)
    trained = load_model(os.path.join(run_dir, "model.keras"))
    widths = run_info["recipe"].get("widths")
    slim = build_model(run_info["recipe"]["model"], **({"widths": tuple(widths)} if widths else {}))
    slim.set_weights(trained.get_weights())
    probe = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(trained.predict(probe, verbose=0), slim.predict(probe, verbose=0))

    os.makedirs(models_dir, exist_ok=True)
    path = os.path.join(models_dir, f"{name}.keras")
    slim.save(path)
    for record in ("history.csv", "time_to_accuracy.json"):
        source = os.path.join(run_dir, record)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(models_dir, f"{name}.{record}"))
    # the record names the data by its folder, not by this machine's path
    run_info["data_source"] = os.path.basename(os.path.normpath(run_info["data_source"]))
    with open(os.path.join(models_dir, f"{name}.run.json"), "w") as f:
        json.dump(run_info, f, indent=2)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) and its records from {run_dir}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", help="a finished run (model.keras + run.json)")
    parser.add_argument("--name", default=None, help="file name stem (default cifar10_<recipe>)")
    parser.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    args = parser.parse_args()
    if args.name is None:
        with open(os.path.join(args.run_dir, "run.json")) as f:
            args.name = f"cifar10_{json.load(f)['recipe']['name']}"
    publish(args.run_dir, args.name, args.models_dir)


if __name__ == "__main__":
    main()
