"""SGD with Nesterov momentum in PyTorch's form, per-variable learning-rate scales and a gate.

airbench's hyperparameters are defined for ``torch.optim.SGD``: the momentum buffer
accumulates raw gradients (plus coupled weight decay) and the learning rate multiplies the
step, which differs from Keras' SGD when the learning rate changes every step. This optimizer
reproduces the PyTorch update exactly:

    g   = grad + weight_decay * w
    buf = momentum * buf + g
    w  -= lr * scale(w) * (g + momentum * buf)      (Nesterov)

``lr_scales`` maps variable paths to a learning-rate multiplier (airbench: 64x for batch-norm
biases; weight decay is divided by the same factor, so decay stays the same per step).
Variables in ``gated`` stop changing while the ``gate`` variable is 0 (the whitening bias
trains for 3 epochs only).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cifar_lib")
class TorchSGD(keras.optimizers.Optimizer):
    """Nesterov SGD with PyTorch semantics; see the module docstring."""

    def __init__(
        self,
        learning_rate=0.01,
        momentum: float = 0.9,
        weight_decay_coupled: float = 0.0,
        lr_scales: dict[str, float] | None = None,
        gated: tuple[str, ...] = (),
        name: str = "torch_sgd",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = float(momentum)
        self.weight_decay_coupled = float(weight_decay_coupled)
        self.lr_scales = dict(lr_scales or {})
        self.gated = tuple(gated)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.buffers = self.add_optimizer_variables(variables, "momentum_buffer")
        self.gate = self.add_variable(shape=(), initializer="ones", name="gate")
        # update_step sees backend variables; look settings up by index, resolved here by path.
        self._scale_by_index = [self.lr_scales.get(v.path, 1.0) for v in variables]
        self._gated_indices = {i for i, v in enumerate(variables) if v.path in self.gated}

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        scale = self._scale_by_index[index]
        lr = ops.cast(learning_rate, dtype) * scale
        decay = self.weight_decay_coupled / scale
        g = ops.add(ops.cast(gradient, dtype), ops.multiply(variable, decay))
        buf = self.buffers[index]
        new_buf = ops.add(ops.multiply(buf, self.momentum), g)
        step = ops.multiply(ops.add(g, ops.multiply(new_buf, self.momentum)), lr)
        if index in self._gated_indices:
            gate = ops.cast(self.gate, dtype)
            new_buf = ops.add(ops.multiply(new_buf, gate), ops.multiply(buf, 1 - gate))
            step = ops.multiply(step, gate)
        self.assign(buf, new_buf)
        self.assign_sub(variable, step)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "weight_decay_coupled": self.weight_decay_coupled,
            "lr_scales": self.lr_scales,
            "gated": list(self.gated),
        }


class GateSchedule(keras.callbacks.Callback):
    """Open the optimizer's gate (the whitening bias trains) for the first ``epochs`` epochs only.

    Keras has no callback that freezes one variable part-way through ``fit``; changing
    ``trainable`` would need a recompile.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)  # LossScaleOptimizer
        optimizer.gate.assign(1.0 if epoch < self.epochs else 0.0)
