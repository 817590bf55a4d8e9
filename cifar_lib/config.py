"""Process-wide settings: seeds, CPU threads and log noise, set in one place."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
from collections.abc import Iterator

import numpy as np

DEFAULT_SEED = 0
DATA_ENV_VAR = "CIFAR10_DATA"
CACHE_ENV_VAR = "CIFAR_LIB_CACHE"


@contextlib.contextmanager
def _stderr_muted() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null: C++ libraries write there, bypassing Python."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def quiet_tensorflow(import_now: bool = True) -> None:
    """Silence TensorFlow's C++ and Python log noise; call before TensorFlow is imported.

    ``import_now`` also imports TensorFlow and Keras and lists the devices with stderr muted:
    the few lines TensorFlow prints before its log settings apply ("Could not find cuda
    drivers", absl's InitializeLog warning) then never reach a notebook's output.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    logging.getLogger("tensorflow").setLevel(
        logging.ERROR
    )  # e.g. retracing warnings when a notebook builds many models
    if import_now and "tensorflow" not in sys.modules:
        with _stderr_muted():
            import keras  # noqa: F401
            import tensorflow as tf

            tf.config.list_physical_devices()
    if "tensorflow" in sys.modules:  # TensorFlow sets its logger to INFO when it first uses it in a notebook kernel
        sys.modules["tensorflow"].get_logger().setLevel(logging.ERROR)


def configure_threads(intra_op: int | None = None, inter_op: int | None = None) -> None:
    """Set TensorFlow's thread pools; by default one intra-op thread per CPU core, inter-op 1.

    Must run before TensorFlow executes its first op; later calls are ignored silently.
    """
    import tensorflow as tf

    cores = os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op or cores)
        tf.config.threading.set_inter_op_parallelism_threads(inter_op or 1)
    except RuntimeError:  # TensorFlow already initialised: keep its settings
        pass


def set_seed(seed: int = DEFAULT_SEED, deterministic: bool = True) -> int:
    """Seed Python, NumPy, TensorFlow and Keras; ``deterministic`` turns TensorFlow's op determinism on or off.

    Keras will not XLA-compile while op determinism is on, so XLA runs pass ``deterministic=False``
    (XLA on a CPU gives repeatable results on its own; the tests check that).
    """
    random.seed(seed)
    np.random.seed(seed)
    import keras
    from tensorflow.python.framework import config as tf_config

    keras.utils.set_random_seed(seed)
    if deterministic:
        tf_config.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    return seed


def cache_dir() -> str:
    """Folder for decoded-data caches: ``$CIFAR_LIB_CACHE`` or ``~/.cache/cifar_lib``."""
    path = os.environ.get(CACHE_ENV_VAR) or os.path.join(os.path.expanduser("~"), ".cache", "cifar_lib")
    return path
