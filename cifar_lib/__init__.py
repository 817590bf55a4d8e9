"""cifar_lib: the code behind the CIFAR-10 tutorial notebooks.

Submodules (import what you need; importing this package does not import TensorFlow):

- ``cifar_lib.config``      seeds, thread settings, quiet logs: the one place for them
- ``cifar_lib.data``        loading CIFAR-10 from any source, caching, splits, tf.data pipelines
- ``cifar_lib.augment``     the seed and fast augmentations as Keras layers / batch functions
- ``cifar_lib.models``      ``build_model(name)``: "seed" and "fast"
- ``cifar_lib.training``    recipes as data and the resumable ``train`` engine
- ``cifar_lib.evaluation``  prediction with test-time augmentation, accuracy
- ``cifar_lib.reports``     confusion matrix, per-class accuracy, most-confused pairs
- ``cifar_lib.plots``       every figure of the tutorial
- ``cifar_lib.pipeline``    runs the five notebooks with papermill
"""

__version__ = "0.1.0"
