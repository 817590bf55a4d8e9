"""cifar_lib: the code behind the CIFAR-10 tutorial notebooks.

Submodules (import what you need; importing this package does not import TensorFlow):

- ``cifar_lib.config``      seeds, thread settings, quiet logs: the one place for them
- ``cifar_lib.data``        loading CIFAR-10 from any source, caching, splits
- ``cifar_lib.augment``     the baseline and fast augmentations as Keras layers / batch functions
- ``cifar_lib.models``      ``build_model(name)``: "baseline" and "fast"
- ``cifar_lib.training``    recipes as data and the resumable ``train`` engine
- ``cifar_lib.evaluation``  prediction with test-time augmentation, accuracy
- ``cifar_lib.reports``     confusion matrix, per-class accuracy, most-confused pairs
- ``cifar_lib.calibration``, ``corruptions``, ``explain``, ``predict``, ``export``: notebooks 6 and 7
- ``cifar_lib.plots``       every figure of the tutorial
- ``cifar_lib.pipeline``    runs the seven notebooks with papermill
- ``cifar_lib.notebook``    the notebooks' one-line setup and helpers
- ``cifar_lib.hardware``    what this machine's CPU is (model, cores, clock, vector width)
"""

import os

# The one place for TensorFlow's CPU backend, read when TensorFlow loads (so import cifar_lib
# first). TensorFlow switches its oneDNN kernels on by itself only on CPUs with AVX512_VNNI,
# AVX512_BF16, AVX_VNNI or AMX; on AVX2-only CPUs they stay off, although they train every
# recipe here faster (README, "Speed on a CPU"). Your own
# TF_ENABLE_ONEDNN_OPTS=0 or =1 wins. XLA is chosen per recipe (Recipe.jit_compile).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "0.1.0"
