"""Keras callbacks of a run's bookkeeping: history and checkpoints, TensorBoard logs, NaN stop, epoch lines.

The callbacks that are part of how a recipe learns live with what they drive: ``lookahead.Lookahead``
and ``optimizer.GateSchedule``.
"""

from __future__ import annotations

import math
import os
import shutil
import time

import keras
import pandas as pd

from cifar_lib.errors import TrainingDiverged
from cifar_lib.files import atomic_write_text
from cifar_lib.progress import report
from cifar_lib.training import checkpoints

HISTORY_CSV = "history.csv"


def monitored_columns(monitored: str) -> tuple[str, str]:
    """History columns of the monitored set: ``val_loss``/``val_accuracy`` for a validation split,
    ``test_loss``/``test_accuracy`` when the test set is monitored (Keras logs both as ``val_*``)."""
    prefix = "val" if monitored == "validation" else monitored
    return f"{prefix}_loss", f"{prefix}_accuracy"


class RunRecorder(keras.callbacks.Callback):
    """Times each epoch, appends a history row, and checkpoints weights + optimizer for resume.

    Each epoch end writes a checkpoint (see ``checkpoints``: a run killed at any moment resumes
    from the last epoch whose state is complete), then ``history.csv``, which always has one
    row per finished epoch. Keras' ``val_*`` numbers are recorded under the monitored set's name
    (see ``monitored_columns``).
    """

    def __init__(self, out_dir: str, config: dict, history: list[dict] | None = None, monitored: str = "validation"):
        super().__init__()
        self.out_dir = out_dir
        self.config = config
        self.rows: list[dict] = list(history or [])
        self.columns = dict(zip(("val_loss", "val_accuracy"), monitored_columns(monitored)))

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._eval_seconds = 0.0

    def on_test_begin(self, logs=None):
        self._eval_start = time.perf_counter()

    def on_test_end(self, logs=None):
        self._eval_seconds += time.perf_counter() - self._eval_start

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})  # a NaN loss never gets here: BatchNaNGuard stops at the first bad batch
        seconds = time.perf_counter() - self._start
        row = {"epoch": epoch + 1}
        row.update({self.columns.get(k, k): float(v) for k, v in logs.items() if k != "learning_rate"})
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        row["seconds"] = round(seconds, 3)
        row["train_seconds"] = round(seconds - self._eval_seconds, 3)
        self.rows.append(row)
        self._save(epoch + 1)

    def _save(self, epochs_done: int) -> None:
        checkpoints.save(self.out_dir, epochs_done, self.model, {"config": self.config, "history": self.rows})
        write_history(self.out_dir, self.rows)


def write_history(out_dir: str, rows: list[dict]) -> str:
    """Write ``history.csv`` (one row per epoch) atomically; returns its path."""
    path = os.path.join(out_dir, HISTORY_CSV)
    atomic_write_text(path, pd.DataFrame(rows).to_csv(index=False))
    return path


class TensorBoardLog(keras.callbacks.Callback):
    """Per-epoch scalars for TensorBoard, from the run's history rows (the numbers of history.csv).

    ``logdir/train``: loss, accuracy, learning rate and seconds per epoch, and the model's graph;
    ``logdir/<monitored>`` ("validation" or "test"): loss and accuracy. The step is the epoch
    number (1, 2, ...). Not Keras' ``TensorBoard`` callback: at the start of every ``fit`` these
    logs are rewritten from the saved history, so after an interrupted and resumed run each epoch
    appears exactly once (Keras' own appends to what the interrupted run wrote), and a monitored
    test set is called by its name. Put it after the RunRecorder.
    """

    def __init__(self, logdir: str, recorder: RunRecorder, monitored: str):
        super().__init__()
        self.logdir = logdir
        self.recorder = recorder
        self.monitored = monitored
        self._writers: dict = {}

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        shutil.rmtree(self.logdir, ignore_errors=True)  # the saved history is the truth; rewrite from it
        self._writers = {
            run: tf.summary.create_file_writer(os.path.join(self.logdir, run)) for run in ("train", self.monitored)
        }
        for row in self.recorder.rows:
            self._write(row)
        self._write_graph(tf)

    def _write_graph(self, tf) -> None:
        """The model's inference graph for TensorBoard's Graphs tab (tracing it takes well under a second)."""
        forward = tf.function(lambda images: self.model(images, training=False))
        graph = forward.get_concrete_function(tf.TensorSpec([None, *self.model.input_shape[1:]], tf.float32)).graph
        with self._writers["train"].as_default():
            tf.summary.graph(graph)
        self._writers["train"].flush()

    def on_epoch_end(self, epoch, logs=None):
        self._write(self.recorder.rows[-1])

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()

    def _write(self, row: dict) -> None:
        import tensorflow as tf

        loss, accuracy = monitored_columns(self.monitored)
        scalars = {
            "train": {
                "loss": "loss",
                "accuracy": "accuracy",
                "learning_rate": "learning_rate",
                "seconds": "train_seconds",
            },
            self.monitored: {"loss": loss, "accuracy": accuracy},
        }
        for run, tags in scalars.items():
            with self._writers[run].as_default(step=int(row["epoch"])):
                for tag, column in tags.items():
                    if row.get(column) is not None:
                        tf.summary.scalar(f"epoch_{tag}", row[column])
            self._writers[run].flush()


class BatchNaNGuard(keras.callbacks.Callback):
    """Stop at the first batch whose loss is NaN/inf, with a clear error instead of a wasted epoch.

    Keras' ``TerminateOnNaN`` stops as quietly as a finished run; this raises TrainingDiverged,
    which names the batch and what to do, and leaves the last good checkpoint in place.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise TrainingDiverged(
                f"training diverged: loss is {float(loss)} at batch {batch + 1}. Lower the learning rate or "
                "check the data; the last finished epoch's state stays in the run folder's checkpoint/."
            )


class EpochLine(keras.callbacks.Callback):
    """One line per epoch (loss, accuracy, monitored accuracy, seconds): readable in a log file too.

    Not Keras' ``verbose=2``: that line calls the monitored test set ``val_``, has no timings,
    and cannot reach a pipeline's terminal (``progress.report``).
    """

    def __init__(self, recorder: RunRecorder, epochs: int, monitored: str):
        super().__init__()
        self.recorder = recorder
        self.epochs = epochs
        self.monitored = monitored

    def on_epoch_end(self, epoch, logs=None):
        row = self.recorder.rows[-1]
        report(
            f"epoch {row['epoch']:>3}/{self.epochs}  loss {row.get('loss', float('nan')):.4f}  "
            f"accuracy {row.get('accuracy', float('nan')):.4f}  "
            f"{self.monitored} accuracy {row.get(monitored_columns(self.monitored)[1], float('nan')):.4f}  "
            f"{row['train_seconds']:.1f} s training, {row['seconds']:.1f} s with evaluation"
        )
