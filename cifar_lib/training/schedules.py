"""Learning-rate schedules of the two recipes (serializable Keras schedules)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cifar_lib")
class PiecewiseLinear(keras.optimizers.schedules.LearningRateSchedule):
    """``base_lr`` times a piecewise-linear multiplier through (fraction of total_steps, value) knots.

    airbench94: knots ((0, 0.2), (0.23, 1.0), (1.0, 0.07)).
    """

    def __init__(self, base_lr: float, total_steps: int, knots=((0.0, 0.2), (0.23, 1.0), (1.0, 0.07))):
        self.base_lr = float(base_lr)
        self.total_steps = int(total_steps)
        self.knots = tuple((float(f), float(v)) for f, v in knots)

    def multiplier(self, step):
        """The multiplier at ``step`` (a scalar tensor or number)."""
        t = ops.cast(step, "float32") / max(self.total_steps, 1)
        value = ops.convert_to_tensor(self.knots[-1][1], "float32")
        for (f0, v0), (f1, v1) in reversed(list(zip(self.knots, self.knots[1:]))):
            frac = ops.clip((t - f0) / max(f1 - f0, 1e-12), 0.0, 1.0)
            value = ops.where(t <= f1, v0 + (v1 - v0) * frac, value)
        return value

    def __call__(self, step):
        return self.base_lr * self.multiplier(step)

    def get_config(self) -> dict:
        return {"base_lr": self.base_lr, "total_steps": self.total_steps, "knots": [list(k) for k in self.knots]}


def adam_time_decay(lr: float = 3e-4, decay: float = 1e-6) -> keras.optimizers.schedules.LearningRateSchedule:
    """The seed project's legacy Keras ``decay``: lr_t = lr / (1 + decay * t), t counted in steps."""
    return keras.optimizers.schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)
