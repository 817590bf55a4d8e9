"""Run as a script in a fresh process (the tests do): tf.distribute checks on logical CPU devices.

    python tests/distributed_check.py mirrored OUT_DIR     # one device vs MirroredStrategy on 2 CPU devices
    python tests/distributed_check.py resume OUT_DIR       # a mirrored run interrupted and resumed vs straight
    python tests/distributed_check.py worker OUT_DIR       # one worker of a MultiWorkerMirroredStrategy ($TF_CONFIG)

Prints one JSON line of measured differences. Logical devices must be configured before
TensorFlow starts using the CPU, and they stay for the process: hence a process of its own.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


RECIPE = dict(widths=(8, 16, 16), batch_size=64, epochs=2, seed=0)  # 4 steps per epoch, 2 replicas of 32


def weights_of(model):
    import keras

    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def max_difference(a, b) -> float:
    import numpy as np

    return float(max(np.max(np.abs(x - y)) for x, y in zip(a, b)))


def main(mode: str, out: str) -> None:
    import tensorflow as tf

    if mode != "worker":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from fakes import learnable_data, stop_after

    from cifar_lib.training import TrainingInterrupted, train
    from cifar_lib.training.devices import strategy_for

    data = learnable_data(256, 64)
    if mode == "mirrored":
        one = train("quick", data, os.path.join(out, "one"), verbose=0, **RECIPE)
        mirrored = train(
            "quick", data, os.path.join(out, "mirrored"), verbose=0, strategy=strategy_for("mirrored"), **RECIPE
        )
        result = {
            "replicas": mirrored.run_info["distribution"]["replicas"],
            "loss_one": list(one.history["loss"]),
            "loss_mirrored": list(mirrored.history["loss"]),
            "max_loss_difference": float(np.max(np.abs(one.history["loss"] - mirrored.history["loss"]))),
            "max_weight_difference": max_difference(weights_of(one.model), weights_of(mirrored.model)),
            "test_accuracy": [one.run_info["final"]["test_accuracy"], mirrored.run_info["final"]["test_accuracy"]],
        }
    elif mode == "resume":
        strategy = strategy_for("mirrored")
        straight = train("quick", data, os.path.join(out, "straight"), verbose=0, strategy=strategy, **RECIPE)
        folder = os.path.join(out, "resumed")
        try:
            train("quick", data, folder, verbose=0, strategy=strategy, callbacks=[stop_after(1)], **RECIPE)
        except TrainingInterrupted as stop:  # one epoch saved
            interrupted = type(stop).__name__
        resumed = train("quick", data, folder, verbose=0, strategy=strategy, **RECIPE)
        result = {
            "interrupted": interrupted,
            "epochs": list(resumed.history["epoch"]),
            "max_loss_difference": float(np.max(np.abs(straight.history["loss"] - resumed.history["loss"]))),
            "max_weight_difference": max_difference(weights_of(straight.model), weights_of(resumed.model)),
        }
    elif mode == "worker":
        strategy = strategy_for("multi-worker")
        run = train("quick", data, out, verbose=0, strategy=strategy, **dict(RECIPE, epochs=1))
        weights = weights_of(run.model)
        result = {
            "task": json.loads(os.environ["TF_CONFIG"])["task"]["index"],
            "replicas": run.run_info["distribution"]["replicas"],
            "loss": list(run.history["loss"]),
            "weight_checksum": float(sum(float(np.sum(w.astype("float64"))) for w in weights)),
        }
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
