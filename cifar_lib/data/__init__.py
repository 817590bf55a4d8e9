"""CIFAR-10 data: loading from any source with a decode cache, array helpers, tf.data pipelines.

    from cifar_lib.data import load_cifar10
    data = load_cifar10()            # $CIFAR10_DATA, else the official download
    data.x_train.shape               # (50000, 32, 32, 3) uint8
"""

from cifar_lib.data.dataset import CIFAR_MEAN, CIFAR_STD, CLASS_NAMES, IMAGE_SHAPE, NUM_CLASSES, CifarData
from cifar_lib.data.errors import DatasetError
from cifar_lib.data.loader import load_cifar10, resolve_source
from cifar_lib.data.transforms import normalize_unit, one_hot, standardize, stratified_subset, train_val_split


def make_dataset(*args, **kwargs):
    """See ``cifar_lib.data.pipelines.make_dataset`` (imported lazily: it needs TensorFlow)."""
    from cifar_lib.data.pipelines import make_dataset as _make_dataset

    return _make_dataset(*args, **kwargs)


__all__ = [
    "CIFAR_MEAN", "CIFAR_STD", "CLASS_NAMES", "IMAGE_SHAPE", "NUM_CLASSES", "CifarData", "DatasetError",
    "load_cifar10", "resolve_source", "normalize_unit", "standardize", "one_hot", "stratified_subset",
    "train_val_split", "make_dataset",
]
