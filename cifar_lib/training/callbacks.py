"""Keras callbacks of the training engine: run recording/resume, TensorBoard logs, lookahead EMA, the bias gate."""

from __future__ import annotations

import math
import os
import shutil
import time

import keras
import numpy as np
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
    ``logdir/<monitored>``
    ("validation" or "test"): loss and accuracy. The step is the epoch number (1, 2, ...). At
    the start of every ``fit`` the logs are rewritten from the saved history, so after an
    interrupted and resumed run each epoch appears exactly once. Put it after the RunRecorder.
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

        scalars = {
            "train": {
                "epoch_loss": row.get("loss"),
                "epoch_accuracy": row.get("accuracy"),
                "epoch_learning_rate": row.get("learning_rate"),
                "epoch_seconds": row.get("train_seconds"),
            },
            self.monitored: dict(
                zip(("epoch_loss", "epoch_accuracy"), map(row.get, monitored_columns(self.monitored)))
            ),
        }
        for run, values in scalars.items():
            with self._writers[run].as_default(step=int(row["epoch"])):
                for tag, value in values.items():
                    if value is not None:
                        tf.summary.scalar(tag, value)
            self._writers[run].flush()


class BatchNaNGuard(keras.callbacks.Callback):
    """Stop at the first batch whose loss is NaN/inf, with a clear error instead of a wasted epoch."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise TrainingDiverged(
                f"training diverged: loss is {float(loss)} at batch {batch + 1}. Lower the learning rate or "
                "check the data; the last finished epoch's state stays in the run folder's checkpoint/."
            )


class GateSchedule(keras.callbacks.Callback):
    """Open the optimizer's gate (the whitening bias trains) for the first ``epochs`` epochs only."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(
            self.model.optimizer, "inner_optimizer", self.model.optimizer
        )  # inside a LossScaleOptimizer
        optimizer.gate.assign(1.0 if epoch < self.epochs else 0.0)


class Lookahead(keras.callbacks.Callback):
    """airbench's lookahead: every ``every`` steps, ema = lerp(ema, w, 1 - rho) and w = ema.

    rho = lookahead_decay(step, total_steps, every) = (0.95**every) * (step / total_steps)**3
    grows towards the end, so late training is
    averaged strongly. Active from ``start_epoch``; weights are reset to the average at the
    end of every epoch, so a checkpoint's weights equal the average (exact resume).
    """

    def __init__(self, total_steps: int, start_epoch: int, every: int = 5):
        super().__init__()
        self.total_steps = total_steps
        self.start_epoch = start_epoch
        self.every = every
        self.ema: list | None = None
        self._active = False

    def on_epoch_begin(self, epoch, logs=None):
        self._active = epoch >= self.start_epoch
        self._synced = False
        if self._active and self.ema is None:
            self.ema = [keras.Variable(w, trainable=False) for w in self._float_weights()]

    def _float_weights(self):
        return [w for w in self.model.weights if "float" in str(w.dtype)]

    def _update(self, decay: float) -> None:
        for ema, w in zip(self.ema, self._float_weights()):
            ema.assign(ema + (w - ema) * (1.0 - decay))
            w.assign(ema)

    def on_train_batch_end(self, batch, logs=None):
        if not self._active:
            return
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if step % self.every == 0:
            self._update(float(lookahead_decay(min(step, self.total_steps), self.total_steps, self.every)))

    def _sync(self) -> None:
        if self._active and not self._synced:
            self._update(1.0)
            self._synced = True

    def on_test_begin(self, logs=None):  # validation sees the averaged weights
        self._sync()

    def on_epoch_end(self, epoch, logs=None):
        self._sync()


def lookahead_decay(step: np.ndarray | int, total_steps: int, every: int = 5) -> np.ndarray:
    """airbench's decay rho at ``step``: 0.95 per step between pulls, times (progress)^3.

    Early on rho is near 0 (the weights barely feel the average); at the end it is 0.95**every,
    so each pull keeps 1 - 0.95**every (about a quarter) of the new weights and the final
    weights average roughly the last 4-5 pulls (about 20 steps).
    """
    return 0.95**every * (np.asarray(step) / total_steps) ** 3


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
