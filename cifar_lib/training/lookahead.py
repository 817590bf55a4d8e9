"""airbench's lookahead: the weights pulled towards their running average, harder towards the end."""

from __future__ import annotations

import keras
import numpy as np


class Lookahead(keras.callbacks.Callback):
    """airbench's lookahead: every ``every`` steps, ema = lerp(ema, w, 1 - rho) and w = ema.

    rho = lookahead_decay(step, total_steps, every, decay) = (decay**every) * (step / total_steps)**3
    grows towards the end, so late training is averaged strongly. Active from ``start_epoch``;
    weights are reset to the average at the end of every epoch, so a checkpoint's weights equal
    the average (exact resume). Not Keras' ``use_ema`` optimizer option (with
    ``ema_overwrite_frequency``): its decay is fixed from the first step, where this one starts
    at a chosen epoch and grows with (progress)^3.
    """

    def __init__(self, total_steps: int, start_epoch: int, every: int = 5, decay: float = 0.95):
        super().__init__()
        self.total_steps = total_steps
        self.start_epoch = start_epoch
        self.every = every
        self.decay = decay
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
            rho = lookahead_decay(min(step, self.total_steps), self.total_steps, self.every, self.decay)
            self._update(float(rho))

    def _sync(self) -> None:
        if self._active and not self._synced:
            self._update(1.0)
            self._synced = True

    def on_test_begin(self, logs=None):  # validation sees the averaged weights
        self._sync()

    def on_epoch_end(self, epoch, logs=None):
        self._sync()


def lookahead_decay(step: np.ndarray | int, total_steps: int, every: int = 5, decay: float = 0.95) -> np.ndarray:
    """airbench's rho at ``step``: ``decay`` per step between pulls, times (progress)^3.

    Early on rho is near 0 (the weights barely feel the average); at the end it is decay**every
    (0.95**5 = 0.77), so each pull keeps 1 - 0.77 (about a quarter) of the new weights and the
    final weights average roughly the last 4-5 pulls (about 20 steps).
    """
    return decay**every * (np.asarray(step) / total_steps) ** 3
