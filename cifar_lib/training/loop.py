"""The Keras loop of a run on one page: model, ``compile``, whitening, input stream, callbacks, ``fit``.

``fit_recipe`` is what a training run *is*; ``train`` (engine.py) wraps it with what a real run
needs around the loop: the folder lock, checkpoints and resume, history.csv and run.json,
TensorBoard. Notebook 4 shows this module's code as it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from cifar_lib.data import one_hot, standardize
from cifar_lib.models import build_model, outputs_logits
from cifar_lib.models.fast import whitening_layer
from cifar_lib.training.lookahead import Lookahead
from cifar_lib.training.optimizer import GateSchedule, TorchSGD
from cifar_lib.training.recipes import Recipe
from cifar_lib.training.schedules import PiecewiseLinear, adam_time_decay
from cifar_lib.training.streams import baseline_train_stream, fast_train_stream, plain_stream

EVAL_BATCH = 500


def fit_recipe(
    recipe: Recipe,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    initial_epoch: int = 0,
    restore: Callable | None = None,
    callbacks: Sequence = (),
    verbose: int = 0,
    strategy: tf.distribute.Strategy | None = None,
) -> keras.Model:
    """Train ``recipe`` on uint8 images and integer labels, watching (x_val, y_val); the trained model.

    ``restore(model)``, for a resumed run, loads the weights and optimizer state of its last
    finished epoch instead of initialising; ``callbacks`` are the run's own (records, checkpoints).
    ``strategy``: a tf.distribute strategy (``devices.strategy_for``); None: the default, one device.
    """
    steps_per_epoch = steps_in_epoch(len(x_train), recipe)
    with (strategy or tf.distribute.get_strategy()).scope():  # model, optimizer and metrics live on its devices
        model = compiled_model(recipe, steps_per_epoch)
        if restore is not None:
            restore(model)
        elif recipe.model == "fast":  # whitening filters from the patch statistics of random images (notebook 3)
            sample = whitening_sample(x_train, recipe.whiten_images, recipe.seed)
            whitening_layer(model).init_from_images(standardize(sample))
    model.fit(
        train_stream(recipe, x_train, one_hot(y_train), initial_epoch),
        validation_data=plain_stream(x_val, one_hot(y_val), EVAL_BATCH),
        epochs=recipe.epochs,
        initial_epoch=initial_epoch,
        # the fast stream holds all epochs back to back, so Keras must be told where one ends
        steps_per_epoch=steps_per_epoch if recipe.augmentation == "fast" else None,
        callbacks=[*recipe_callbacks(recipe, steps_per_epoch), *callbacks],
        verbose=verbose,
        shuffle=False,  # the streams shuffle themselves
    )
    return model


def compiled_model(recipe: Recipe, steps_per_epoch: int) -> keras.Model:
    """A fresh model of the recipe, compiled with its optimizer, its loss and accuracy."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision(recipe))  # the layers take the policy when they are made
    try:
        model = build_model(recipe.model, **recipe.model_options())
    finally:
        keras.config.set_dtype_policy(previous)
    model.compile(  # under mixed_float16 Keras wraps the optimizer in a LossScaleOptimizer
        optimizer=make_optimizer(recipe, model, steps_per_epoch),
        # label smoothing 0.2 trains towards 0.82 for the true class and 0.02 for each other one
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=outputs_logits(model), label_smoothing=recipe.label_smoothing
        ),
        metrics=["accuracy"],
        jit_compile=recipe.jit_compile,
    )
    model.optimizer.build(model.trainable_variables)  # its state exists before step 1: resume loads into it
    return model


def precision(recipe: Recipe) -> str:
    """The Keras dtype policy of the recipe: "auto" is mixed_float16 when TensorFlow sees a GPU, else float32."""
    if recipe.precision != "auto":
        return recipe.precision
    return "mixed_float16" if tf.config.list_physical_devices("GPU") else "float32"


def recipe_callbacks(recipe: Recipe, steps_per_epoch: int) -> list[keras.callbacks.Callback]:
    """The callbacks that are part of how the recipe learns (not of the run's bookkeeping)."""
    found: list[keras.callbacks.Callback] = []
    if recipe.whiten_bias_epochs:  # the whitening layer's bias trains in the first epochs only
        found.append(GateSchedule(recipe.whiten_bias_epochs))
    if recipe.ema_start_epoch is not None:  # weight averaging from this epoch on
        total = steps_per_epoch * recipe.epochs
        found.append(Lookahead(total, recipe.ema_start_epoch, recipe.ema_every, recipe.ema_decay))
    return found


def train_stream(recipe: Recipe, images: np.ndarray, labels_1h: np.ndarray, initial_epoch: int = 0) -> tf.data.Dataset:
    """The recipe's augmented training batches, from ``initial_epoch`` on."""
    if recipe.augmentation == "fast":
        return fast_train_stream(
            images, labels_1h, recipe.batch_size, initial_epoch, recipe.epochs, recipe.seed, recipe.translate_pad
        )
    if recipe.augmentation == "baseline":
        return baseline_train_stream(
            images,
            labels_1h,
            recipe.batch_size,
            recipe.seed,
            recipe.drop_remainder,
            recipe.rotation_degrees,
            recipe.shift_fraction,
        )
    return plain_stream(images, labels_1h, recipe.batch_size, recipe.drop_remainder)


def steps_in_epoch(n: int, recipe: Recipe) -> int:
    """Training steps per epoch for ``n`` images."""
    return n // recipe.batch_size if recipe.drop_remainder else -(-n // recipe.batch_size)


def make_optimizer(recipe: Recipe, model: keras.Model, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The recipe's optimizer with its learning-rate schedule, built for ``model``."""
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(adam_time_decay(recipe.learning_rate, recipe.lr_time_decay))
    # airbench's decoupled units -> PyTorch SGD terms for a mean (not summed) batch loss:
    # torch lr = lr / (1024 * (1 + 1 / (1 - momentum))) per summed example, times batch_size here.
    kilostep_scale = 1024 * (1 + 1 / (1 - recipe.momentum))
    lr = recipe.learning_rate / kilostep_scale * recipe.batch_size
    schedule = PiecewiseLinear(lr, steps_per_epoch * recipe.epochs, knots=recipe.lr_knots)
    bias_scales = {v.path: recipe.bn_bias_lr_scale for v in model.trainable_variables if v.path.endswith("beta")}
    return TorchSGD(
        schedule,
        momentum=recipe.momentum,
        weight_decay_coupled=recipe.weight_decay / recipe.learning_rate,
        lr_scales=bias_scales,
        gated=(whitening_layer(model).bias.path,) if recipe.whiten_bias_epochs else (),
    )


def whitening_sample(images: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` images drawn at random (seeded) to estimate the patch covariance.

    Not the first ``n``: an image-folder copy is sorted by class, and the first 5,000 would
    all be airplanes (airbench's first 5,000 come from the official, class-mixed order).
    """
    if len(images) <= n:
        return images
    return images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]


def seconds_per_step(recipe: Recipe, images: np.ndarray, labels: np.ndarray, steps: int = 5, warmup: int = 2) -> float:
    """Median seconds of one training step of ``recipe`` on this machine, input stream included.

    Trains a throw-away model for ``warmup + steps`` steps on a random sample of ``images``
    (the first steps trace the graph and are not counted). Evaluation is not included.
    """
    n = recipe.batch_size * (steps + warmup)
    pick = np.random.default_rng(recipe.seed).choice(len(images), n, replace=len(images) < n)
    short = recipe.replace(epochs=1)
    model = compiled_model(short, steps + warmup)
    return median_step_seconds(model, train_stream(short, images[pick], one_hot(labels[pick])), steps, warmup)


def median_step_seconds(model: keras.Model, stream, steps: int, warmup: int = 2, callbacks=()) -> float:
    """Median seconds of one step of ``model.fit`` on ``stream`` over ``steps`` steps after ``warmup``
    untimed ones (they trace the graph), with ``callbacks`` in the loop."""
    stamps: list[float] = []
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: stamps.append(time.perf_counter()))
    model.fit(stream, epochs=1, steps_per_epoch=steps + warmup, callbacks=[*callbacks, clock], verbose=0, shuffle=False)
    return float(np.median(np.diff(stamps[warmup - 1 :])))
