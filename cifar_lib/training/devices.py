"""Which devices a run trains on: a tf.distribute strategy from one word.

    auto          every GPU TensorFlow sees, mirrored, when there are two or more; else the default
    one           the default strategy: one device (the first GPU, else the CPU)
    mirrored      MirroredStrategy over every GPU, or over the logical CPU devices when there is no GPU
    multi-worker  MultiWorkerMirroredStrategy: one process per machine, the cluster in $TF_CONFIG
    cpu:N         MirroredStrategy over N logical devices carved out of this CPU: tf.distribute on a
                  laptop, to see it work (slower than one device: the same cores do N replicas' work)

Under any of them the recipe's batch size stays the *global* batch: each of N replicas
computes 1/N of it and the gradients are summed, so the learning rate is the recipe's. Batch
normalisation is synchronized across replicas (the fast network's layers ask for it when built
under a strategy with more than one replica), so the statistics are those of the global batch,
as on one device.
"""

from __future__ import annotations

import tensorflow as tf

DEVICE_CHOICES = ("auto", "one", "mirrored", "multi-worker", "cpu:N")


def strategy_for(devices: str = "auto") -> tf.distribute.Strategy:
    """The strategy for ``devices`` (one of DEVICE_CHOICES); ValueError for anything else.

    Call it early: a MultiWorkerMirroredStrategy must be made before TensorFlow runs anything.
    """
    if devices.startswith("cpu:") and devices[4:].isdigit() and int(devices[4:]) >= 1:
        return tf.distribute.MirroredStrategy([d.name for d in logical_cpus(int(devices[4:]))])
    if devices not in DEVICE_CHOICES[:-1]:
        raise ValueError(f"devices must be one of {', '.join(DEVICE_CHOICES)}, got {devices!r}")
    if devices == "multi-worker":  # before anything starts TensorFlow's runtime (listing devices does)
        return NestReducingMultiWorkerStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if devices == "mirrored":
        return tf.distribute.MirroredStrategy([d.name for d in gpus or tf.config.list_logical_devices("CPU")])
    if devices == "auto" and len(gpus) >= 2:
        return tf.distribute.MirroredStrategy([d.name for d in gpus])
    return tf.distribute.get_strategy()


def logical_cpus(n: int) -> list:
    """Split the CPU into ``n`` logical devices; RuntimeError when TensorFlow has already started."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise RuntimeError(
                f"cannot split the CPU into {n} devices: TensorFlow has already started in this "
                "process; use a fresh one (python -m cifar_lib train --devices cpu:N ...)"
            ) from None
    return tf.config.list_logical_devices("CPU")


class NestReducingMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy whose ``reduce`` takes what Keras 3's ``fit`` gives it.

    Why: ``fit`` reduces a first (images, labels) batch with ``strategy.reduce`` before
    training, and the multi-worker strategy's own ``reduce`` fails on a tuple ("Attempt to
    convert a value (PerReplica...)", keras-team/keras#20585); and after each step it reduces
    the scalar logs (loss, accuracy) with ``axis=0``, which a scalar does not have. Here a nest
    is reduced one value at a time, and a scalar across replicas only (``axis=None``): what the
    mirrored strategies do with the same calls.
    """

    def reduce(self, reduce_op, value, axis):
        parent = super()

        def one(v):
            local = v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v
            scalar = getattr(local, "shape", None) is not None and local.shape.rank == 0
            return parent.reduce(reduce_op, v, None if scalar else axis)

        return tf.nest.map_structure(one, value)


def describe(strategy: tf.distribute.Strategy) -> dict:
    """What run.json records: the strategy's class and its replicas."""
    try:
        names = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy: one device, wherever TensorFlow places the ops
        names = []
    return {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync, "devices": names}
