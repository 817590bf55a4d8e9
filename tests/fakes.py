"""Fakes and readers for the tests: random images, batches in the official pickle format, TensorBoard steps."""

import os
import pickle

import numpy as np

from cifar_lib.data import CLASS_NAMES


def random_images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """A batch in the official pickle format (CHW-flattened rows)."""
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return pickle.dumps({b"data": data, b"labels": [int(v) for v in labels], b"batch_label": b"tiny"})


def write_batches(folder, images, labels, test_images, test_labels) -> None:
    """Write data_batch_1..5 + test_batch + batches.meta into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for i, (x, y) in enumerate(zip(np.array_split(images, 5), np.array_split(labels, 5)), start=1):
        with open(os.path.join(folder, f"data_batch_{i}"), "wb") as f:
            f.write(batch_bytes(x, y))
    with open(os.path.join(folder, "test_batch"), "wb") as f:
        f.write(batch_bytes(test_images, test_labels))
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({b"label_names": [n.encode() for n in CLASS_NAMES]}, f)


def tensorboard_steps(run_dir) -> dict[str, list[int]]:
    """{"<run>/<tag>": [steps...]} of the scalars in ``run_dir/tensorboard`` (every event file read),
    plus {"<run>/graph": [number of ops]} where a graph was written."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logdir = os.path.join(run_dir, "tensorboard")
    found = {}
    for run in sorted(os.listdir(logdir)):
        events = EventAccumulator(os.path.join(logdir, run))
        events.Reload()
        for tag in events.Tags()["tensors"]:
            found[f"{run}/{tag}"] = [e.step for e in events.Tensors(tag)]
        if events.Tags()["graph"]:
            found[f"{run}/graph"] = [len(events.Graph().node)]  # how many ops the graph holds
    return found


def stop_after(epochs: int):
    """A Keras callback that interrupts training (as Ctrl+C would) once ``epochs`` epochs are finished and saved."""
    import keras

    class StopAfter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == epochs:
                raise KeyboardInterrupt

    return StopAfter()


def learnable_data(n_train: int = 400, n_test: int = 100):
    """A learnable tiny CIFAR-shaped set: each class has its own colour, plus noise (seeded)."""
    from cifar_lib.data import CLASS_NAMES, CifarData

    rng = np.random.default_rng(0)
    colours = rng.integers(0, 200, (10, 3))

    def make(n):
        y = np.arange(n) % 10
        x = rng.integers(0, 56, (n, 32, 32, 3)) + colours[y][:, None, None, :]
        return x.clip(0, 255).astype("uint8"), y.astype("int64")

    return CifarData(*make(n_train), *make(n_test), tuple(CLASS_NAMES), "synthetic")
