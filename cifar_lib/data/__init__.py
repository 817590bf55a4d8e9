"""CIFAR-10 data: loading from any source with a decode cache, array helpers (no TensorFlow here).

from cifar_lib.data import load_cifar10
data = load_cifar10()            # $CIFAR10_DATA, else the official download
data.x_train.shape               # (50000, 32, 32, 3) uint8
"""

from cifar_lib.data.dataset import CIFAR_MEAN, CIFAR_STD, CLASS_NAMES, IMAGE_SHAPE, NUM_CLASSES, CifarData
from cifar_lib.data.errors import DatasetError
from cifar_lib.data.loader import load_cifar10, resolve_source
from cifar_lib.data.transforms import normalize_unit, one_hot, standardize, stratified_subset, train_val_split

__all__ = [
    "CIFAR_MEAN",
    "CIFAR_STD",
    "CLASS_NAMES",
    "IMAGE_SHAPE",
    "NUM_CLASSES",
    "CifarData",
    "DatasetError",
    "load_cifar10",
    "resolve_source",
    "normalize_unit",
    "standardize",
    "one_hot",
    "stratified_subset",
    "train_val_split",
]
