"""Generate the tutorial notebooks (notebooks/NN_*.ipynb) from cells written as Python data.

    .venv/bin/python tools/make_notebooks.py            # rewrite all five, without outputs
    .venv/bin/python tools/make_notebooks.py 03 05      # only some
    .venv/bin/python tools/make_notebooks.py --check    # exit 1 if a notebook's cells differ

Then `make notebooks` executes them in place (full profile) so the committed notebooks carry
the outputs of a real run; nbval (`pytest --nbval-lax notebooks/`) compares the cells whose
first line is `# NBVAL_CHECK_OUTPUT` against those outputs.

Conventions: the first code cell is tagged `parameters` (papermill) and holds the knobs with
defaults that do the real thing; its comments are the parameters' help (no `=` in them: papermill
parses the cell line by line). The next cell derives the effective settings from PROFILE.
Checked cells print plain, profile-independent facts only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT\n"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str, *, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def checked(text: str) -> nbformat.NotebookNode:
    """A cell whose output nbval compares: its first line is the NBVAL_CHECK_OUTPUT marker."""
    return code(CHECK + text.strip("\n"))


def parameters(extra: str = "") -> nbformat.NotebookNode:
    """The papermill `parameters` cell: the common knobs, then the notebook's own."""
    common = '''
import os

PROFILE = os.environ.get("CIFAR_PROFILE", "full")  # "full" does the real thing; "ci" is a quick smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<PROFILE>/ in the project
FIGURES_DIR = None  # None: figures/ for "full", RUN_DIR/figures for "ci" (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
'''
    return code(common.strip("\n") + ("\n" + extra.strip("\n") if extra.strip() else ""), tags=("parameters",))


SETUP = '''
%matplotlib inline
from pathlib import Path

from cifar_lib import config

config.quiet_tensorflow()  # before TensorFlow is imported: keeps its log noise out of the notebook

import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.pipeline import find_project_root

if PROFILE not in ("full", "ci"):
    raise ValueError(f"PROFILE must be 'full' or 'ci', got {PROFILE!r}")
ROOT = find_project_root()  # the folder that holds notebooks/ and cifar_lib/
RUN_DIR = Path(RUN_DIR or ROOT / "runs" / f"pipeline-{PROFILE}")
FIGURES_DIR = Path(FIGURES_DIR or (ROOT / "figures" if PROFILE == "full" else RUN_DIR / "figures"))
FIGURES_DIR.mkdir(parents=True, exist_ok=True)
config.set_seed(SEED)
'''


def setup(extra: str = "") -> nbformat.NotebookNode:
    """Imports, paths and seeds: the same first lines in every notebook, then the profile's settings."""
    return code(SETUP.strip("\n") + ("\n\n" + extra.strip("\n") if extra.strip() else ""))


SETUP_MD = """
The next cell turns the parameters into settings. `PROFILE = "ci"` shrinks the work to a
smoke test (that is what `make test` runs); `"full"` is the real thing. Figures of a CI run go
to the run folder, never to the committed `figures/`.
"""

LOAD_DATA = """
from cifar_lib.data import CLASS_NAMES, load_cifar10

data = load_cifar10(DATA)  # DATA None: $CIFAR10_DATA, else the official download (cached after the first time)
print(f"{len(data.x_train):,} training and {len(data.x_test):,} test images from {data.source}")
"""


# ============================================================================ 01 data exploration


def notebook_01() -> list:
    return [
        md("""
# 1. Meet the data: CIFAR-10

Before we train anything we look at the data. Most mistakes in deep learning are data
mistakes: labels in the wrong order, pixels on the wrong scale, a validation set that leaks
into training, one class much rarer than the others. Each of them silently costs accuracy, and
none of them shows up as an error message. Ten minutes spent here save hours later.

CIFAR-10 (Krizhevsky, 2009) holds 60,000 colour images of 32x32 pixels in 10 classes: 50,000
for training and 10,000 for testing. The images are tiny: at this size a cat is a few dozen
pixels, which is why the dataset is hard enough to be interesting and small enough to train
on a laptop.

In this notebook we will:

1. load the data and check its shape and types,
2. check the class balance,
3. look at some pictures,
4. measure the pixel statistics the models normalize with,
5. split the training set into training and validation data.
"""),
        parameters("""
SAMPLES_PER_CLASS = 10  # images per class in the sample grid
HISTOGRAM_IMAGES = 5000  # images in the pixel histograms
"""),
        md(SETUP_MD),
        setup("""
if PROFILE == "ci":  # smaller figures draw faster
    SAMPLES_PER_CLASS = min(SAMPLES_PER_CLASS, 4)
    HISTOGRAM_IMAGES = min(HISTOGRAM_IMAGES, 1000)
"""),
        md("""
## Loading

`load_cifar10` reads CIFAR-10 from wherever it is: the official `cifar-10-python.tar.gz`, its
extracted folder, or a tree of image files (`train/<class>/*.jpg`), and caches the decoded
arrays so the next load takes a second. With `DATA = None` it uses the folder named by the
environment variable `CIFAR10_DATA`, and downloads the official archive only if that is unset.

Whatever the source, we get the same thing back: NumPy arrays of `uint8` pixels, shape
`(N, 32, 32, 3)` (images, rows, columns, RGB channels), and integer labels 0..9.
"""),
        code(LOAD_DATA),
        checked("""
print("training images:", f"{len(data.x_train):,}")
print("image shape:", data.x_train.shape[1:], "dtype:", data.x_train.dtype)
print("label dtype:", data.y_train.dtype, "values:", int(data.y_train.min()), "to", int(data.y_train.max()))
print("test images have the same shape:", data.x_test.shape[1:] == data.x_train.shape[1:])
"""),
        md("""
The official test set has 10,000 images. If you use the local JPEG copy of this project
(`train/` and `test/` folders), its test folder holds half of them, 500 per class, and every
image went through JPEG compression: numbers measured on it are close to, but not the same as,
numbers on the official data. Always say which data a number comes from.

The labels are integers; `CLASS_NAMES` gives their meaning, in the official order. Getting
this order wrong is a classic silent bug: the model still trains, but every report is
mislabelled.
"""),
        checked("""
for label, name in enumerate(CLASS_NAMES):
    print(label, name)
"""),
        md("""
## Class balance

If one class were much more frequent than the others, a model could score well by favouring
it, and plain accuracy would hide that. So we count.
"""),
        checked("""
train_counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
for name, count in zip(CLASS_NAMES, train_counts):
    print(f"{name:<10} {count:>6,}")
"""),
        code("""
from cifar_lib import plots

plots.plot_class_balance(
    {"train": data.y_train, "test": data.y_test}, CLASS_NAMES, save_to=FIGURES_DIR / "01_class_balance.png"
)
plt.show()
"""),
        md("""
Perfectly balanced: 5,000 training images per class. That makes accuracy a fair summary, and
it tells us what chance level is: 10%. A model stuck at 10% has learned nothing.

## Look at the pictures

Numbers are not enough; we look. Each row below is one class.
"""),
        code("""
plots.plot_sample_grid(
    data.x_train, data.y_train, CLASS_NAMES, per_class=SAMPLES_PER_CLASS, seed=SEED,
    save_to=FIGURES_DIR / "01_sample_grid.png",
)
plt.show()
"""),
        md("""
Things to notice: objects appear at different sizes, positions and poses; backgrounds vary;
some images are hard even for people at this resolution (cat or dog? deer or horse?). Also
notice what does *not* vary: the sky is up. Horizontal mirror images of these photos are still
plausible photos, vertical ones are not. We will use exactly that in the augmentation
notebook.

## Pixel statistics

Networks train best when their inputs are centred around zero with unit spread. The standard
recipe for CIFAR-10 subtracts a per-channel mean and divides by a per-channel standard
deviation, `CIFAR_MEAN` and `CIFAR_STD`, measured on the official training set on the [0, 1]
scale. Let's measure them ourselves. A histogram of the 256 possible values per channel gives
the exact mean and standard deviation without converting 150 million pixels to floats.
"""),
        code("""
from cifar_lib.data import CIFAR_MEAN, CIFAR_STD

values = np.arange(256) / 255.0
print("channel   mean (ours / reference)   std (ours / reference)")
for channel, name in enumerate("RGB"):
    counts = np.bincount(data.x_train[..., channel].ravel(), minlength=256)
    mean = (counts * values).sum() / counts.sum()
    std = np.sqrt((counts * (values - mean) ** 2).sum() / counts.sum())
    print(f"   {name}      {mean:.4f} / {CIFAR_MEAN[channel]:.4f}          {std:.4f} / {CIFAR_STD[channel]:.4f}")
"""),
        md("""
The histograms (of a sample of 5,000 images: plenty for a picture) show more than two numbers
can: all three channels use the whole range, with peaks at pure black and white from
saturated pixels.
"""),
        code("""
plots.plot_channel_histograms(data.x_train[:HISTOGRAM_IMAGES], save_to=FIGURES_DIR / "01_pixel_histograms.png")
plt.show()
"""),
        md("""
Close, and not identical if your copy is the JPEG one: lossy compression nudges pixel values.
The differences are far too small to matter for training; the models keep the reference
values so that a model trained on one copy works on another.

Note also that blue has the lowest mean: there is a lot of sky and water in these photos, but
also a lot of brown and green ground, and the channels are strongly correlated. The fast
model's first layer exploits that correlation (notebook 3).

## Training and validation data

We will make many decisions: which recipe, how many epochs, which augmentation. If we made
them by looking at test accuracy, the test set would become part of training and its score
would no longer measure how well the model generalizes. So we hold out part of the
training set as a *validation* set, tune on it, and look at the test set only at the end.

The seed recipe holds out 20%: 40,000 images to train on, 10,000 to validate with. The split
is *stratified* (each class keeps its share) and *seeded* (the same split every time).
"""),
        checked("""
from cifar_lib.data import train_val_split

x_tr, y_tr, x_val, y_val = train_val_split(data.x_train, data.y_train, val_fraction=0.2, seed=SEED)
print(f"train: {len(x_tr):,} images   validation: {len(x_val):,} images")
per_class = np.bincount(y_val, minlength=len(CLASS_NAMES))
print("validation images per class:", sorted(set(per_class.tolist())))
print("no image lost or duplicated:", len(x_tr) + len(x_val) == len(data.x_train))
again = train_val_split(data.x_train, data.y_train, val_fraction=0.2, seed=SEED)
print("same seed, same split:", all(np.array_equal(a, b) for a, b in zip((x_tr, y_tr, x_val, y_val), again)))
"""),
        md("""
Every class has exactly 1,000 validation images, and asking again with the same seed gives
the same split. (The fast recipe of notebook 4 follows airbench and trains on all 50,000
images, reporting test accuracy; we use the validation split to compare recipes fairly.)

**Next:** notebook 2 shows how we turn 50,000 images into an endless stream of slightly
different ones.
"""),
    ]


# ============================================================================ 02 augmentation


def notebook_02() -> list:
    return [
        md("""
# 2. Augmentation: more data for free

A network should not care whether the cat is two pixels further left, or looking left instead
of right. We know that; the network does not, and 50,000 images are not enough for it to
learn these invariances alone. *Data augmentation* teaches them by showing each training
image in a slightly different version every time: a random transformation that does not
change the label.

The art is in choosing transformations that keep images realistic. We compare two choices:

- **seed** (the original recipe, formerly Keras `ImageDataGenerator`): rotation up to 15
  degrees, shifts up to 10% of the image in each direction, random horizontal flips; empty
  corners are filled with the nearest edge pixel.
- **fast** (airbench): shifts of up to 2 pixels (the image is padded by reflection, then a
  random 32x32 crop is taken) and an *alternating* horizontal flip.
"""),
        parameters("""
N_IMAGES = 6  # originals to show, one per class
N_DRAWS = 4  # augmented versions of each
"""),
        md(SETUP_MD),
        setup("""
if PROFILE == "ci":
    N_IMAGES, N_DRAWS = min(N_IMAGES, 3), min(N_DRAWS, 2)
"""),
        code(LOAD_DATA),
        md("""
We take the first training image of the first few classes and run the same images through
both augmentations several times. Augmentations work on whole batches of float images in the
0..255 range, inside the input pipeline (`tf.data`), so they cost almost nothing while training.
"""),
        code("""
import tensorflow as tf

from cifar_lib import augment, plots

first_of_class = [int(np.flatnonzero(data.y_train == c)[0]) for c in range(N_IMAGES)]
originals = data.x_train[first_of_class].astype("float32")
print("rows:", ", ".join(CLASS_NAMES[c] for c in range(N_IMAGES)))

seed_augmentation = augment.seed_augmentation(seed=SEED)
seed_draws = [seed_augmentation(originals, training=True).numpy() for _ in range(N_DRAWS)]

flip_bits = np.random.default_rng(SEED).integers(0, 2, N_IMAGES).astype(bool)
fast_draws = [
    augment.fast_augment(originals, flip_bits, epoch, seed=tf.constant([SEED, epoch])).numpy()
    for epoch in range(N_DRAWS)
]
"""),
        code("""
plots.plot_augmentation_preview(
    originals, {"seed": seed_draws, "fast": fast_draws}, save_to=FIGURES_DIR / "02_augmentation_preview.png"
)
plt.show()
"""),
        md("""
Augmentations must not change the kind of data the model sees: same shape, same dtype, same
value range. A pipeline that silently turned 0..255 into 0..1 would train a model that is
wrong at test time.
"""),
        checked("""
for name, draws in (("seed", seed_draws), ("fast", fast_draws)):
    ok = all(d.shape == originals.shape and d.dtype == originals.dtype for d in draws)
    in_range = all(d.min() >= 0.0 and d.max() <= 255.0 for d in draws)
    print(f"{name}: shape {draws[0].shape[1:]}, dtype {draws[0].dtype}, same as input: {ok}, values in 0..255: {in_range}")
"""),
        md("""
## Why each transform

- **Horizontal flip.** A mirrored car is still a car, and the mirror image is a realistic
  photo. It doubles the effective data. We never flip vertically: upside-down horses do not
  occur in the test set, so learning to recognize them wastes capacity.
- **Shifts (translation).** Objects are not always centred. Convolutions are already
  translation-equivariant, but pooling and the final layers are not exactly; shifts make
  the whole network robust to position. On 32x32 images, 10% is 3.2 pixels. The fast recipe
  uses at most 2 pixels: enough to help, small enough to keep the object whole.
- **Reflect padding vs. nearest fill.** Shifting leaves an empty border that must be filled.
  Repeating the edge pixel ("nearest", seed) smears streaks; mirroring the border
  ("reflect", fast) keeps natural-looking texture.
- **Rotation (seed only).** Photos are sometimes tilted, but 15 degrees on a 32-pixel image
  interpolates (blurs) every pixel and creates corners to fill. It makes the task harder
  for the network, which helps a big network over 100 epochs, but the fast recipe trains
  for only 10 epochs and is better off without it.

## Alternating flip

With ordinary random flips, each epoch flips every image with probability 1/2, independently.
Over two epochs, half the images are seen in the same orientation twice and their mirror
image never: wasted work. airbench's *alternating flip* flips a random half of the images in
epoch 0, and then in every odd epoch it flips exactly the images it did not flip the epoch
before. So every image is seen both ways in every pair of epochs. For a 10-epoch run that
redundancy matters; the airbench paper measures it as worth a fraction of an epoch.

Here are four images with flip bits `[0, 1, 0, 1]` over four epochs (a flip is detected by
comparing with the mirror image of an asymmetric test pattern):
"""),
        checked("""
pattern = np.arange(4 * 4 * 4 * 3, dtype="float32").reshape(4, 4, 4, 3)  # four asymmetric "images"
bits = np.array([0, 1, 0, 1], dtype=bool)
for epoch in range(4):
    out = augment.alternating_flip(pattern, bits, epoch).numpy()
    flipped = [bool(np.array_equal(out[i], pattern[i, :, ::-1])) for i in range(4)]
    print(f"epoch {epoch}: flipped = {flipped}")
"""),
        md("""
Every image alternates, and in every epoch exactly half of them are flipped. The fast recipe
draws the flip bits once per run from its seed, so a resumed run sees exactly the same
images as an uninterrupted one.

**Next:** notebook 3 builds the two networks these augmentations feed.
"""),
    ]


# ============================================================================ 03 model building


def notebook_03() -> list:
    return [
        md("""
# 3. Two networks: a big plain CNN and a small fast one

Both models take images as they come, float pixels in 0..255 of shape (32, 32, 3), and
normalize them *inside* the model. A saved model is therefore self-contained: there is no
preprocessing step to forget at prediction time.

- **seed**: the original tutorial network. Five 3x3 convolutions (128 to 512 channels) with
  max-pooling and dropout, then three dense layers of 512, 256 and 128 units, then softmax.
  About 7.3 million parameters.
- **fast**: airbench94. A frozen 2x2 *whitening* convolution, then three groups of
  convolution, pooling, batch normalization and GELU (64, 256, 256 channels), then a single
  linear layer. About 2 million parameters, more computation per parameter, and it trains
  about 10x faster to a better accuracy.

Why would the smaller network win? We look at where the parameters and the computation go.
"""),
        parameters('BATCH = 8  # images in the demo forward pass'),
        md(SETUP_MD),
        setup(),
        code(LOAD_DATA),
        code("""
import keras

from cifar_lib import models

keras.backend.clear_session()  # fresh layer names (conv2d, conv2d_1, ...) every time this runs
seed_model = models.build_model("seed")
fast_model = models.build_model("fast")
print("models:", ", ".join(models.MODEL_NAMES))
"""),
        md("""
## The seed model

Keras' summary lists every layer with its output shape and parameter count.
"""),
        code("seed_model.summary()"),
        md("""
A table of the same facts is easier to analyse. Note the `Flatten` layer: the last pooling
leaves 4x4x256 = 4,096 numbers per image, and the first dense layer connects each of them to
512 units: over 2 million weights in a single layer, which sees the whole image at once and
so learns position-specific patterns that do not generalize well.
"""),
        code("""
import pandas as pd


def layer_table(model):
    \"\"\"One row per layer: name, type, output shape (without the batch axis), parameters.\"\"\"
    rows = [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(layer.output.shape[1:])),
            "params": layer.count_params(),
        }
        for layer in model.layers
    ]
    return pd.DataFrame(rows)
"""),
        checked("""
seed_table = layer_table(seed_model)
print(seed_table.to_string(index=False))
"""),
        checked("""
for name, model in (("seed", seed_model), ("fast", fast_model)):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    print(f"{name}: {model.count_params():,} parameters ({trainable:,} trainable, {frozen:,} not trainable)")
dense = seed_table.loc[seed_table["type"] == "Dense", "params"].sum()
print(f"seed: {dense / seed_table['params'].sum():.1%} of the parameters are in dense layers")
"""),
        md("""
## The fast model

The fast model is built from ideas that each make training converge in fewer steps:

- **Whitening.** Neighbouring pixels and the three colour channels are strongly correlated.
  The first layer is a 2x2 convolution whose 24 filters are the eigenvectors of the 2x2x3
  patch covariance (and their negatives), scaled to unit variance, computed from 5,000
  training images drawn at random and then frozen. Its output is decorrelated, so the next
  layers start from a better-conditioned problem. (At random, not the first 5,000: an image
  folder is read class by class, and the first 5,000 would all be airplanes, whose sky-heavy
  patches are not the dataset's.)
- **Batch normalization** after every convolution keeps activations well-scaled at any depth
  and allows a huge learning rate.
- **Identity (Dirac) initialization**: each convolution starts close to passing its input
  through, so the untrained network already carries the signal.
- **No big dense layer**: after the last group a 3x3 max-pool leaves a few numbers per
  channel, and a single linear layer (no bias) maps them to 10 logits, scaled by 1/9.
"""),
        code("fast_model.summary()"),
        checked("""
print(layer_table(fast_model).to_string(index=False))
"""),
        md("""
## Computation

Parameters measure memory; floating-point operations (FLOPs) measure work. For a convolution
the work is (output pixels) x (kernel size) x (input channels) x (output channels) x 2, so an
early convolution on a large image is expensive even with few parameters, while a dense layer
with millions of parameters is cheap per image. `flops_per_image` adds this up (roughly: only
convolutions and dense layers) for one forward pass; training costs about 3x that per image.
"""),
        checked("""
for name, model in (("seed", seed_model), ("fast", fast_model)):
    flops = models.flops_per_image(model)
    print(f"{name}: {flops / 1e6:,.0f} MFLOP per image forward, {model.count_params() / 1e6:.2f} M parameters")
"""),
        md("""
## A forward pass

Untrained models already produce predictions; they are just meaningless. The seed model ends
in a softmax, so its outputs are probabilities (each row sums to 1). The fast model outputs
*logits*, unnormalized scores; the loss applies the softmax. The training and evaluation
code asks `models.outputs_logits(model)` to know which is which.
"""),
        checked("""
batch = data.x_test[:BATCH].astype("float32")
for name, model in (("seed", seed_model), ("fast", fast_model)):
    out = keras.ops.convert_to_numpy(model(batch, training=False))
    kind = "logits" if models.outputs_logits(model) else "probabilities"
    rows_sum_to_one = bool(np.allclose(out.sum(axis=1), 1.0, atol=1e-5))
    print(f"{name}: input {batch.shape} {batch.dtype} -> output {out.shape} {out.dtype}, {kind}, rows sum to 1: {rows_sum_to_one}")
"""),
        md("""
Random weights give roughly uniform predictions: about 10% accuracy, chance level. Training
(notebook 4) changes that. If your own model ever *starts* far from chance, with a loss far
from ln(10) = 2.30, something is off in the initialization or the data.
"""),
        code("""
probabilities = keras.ops.convert_to_numpy(seed_model(batch, training=False))
print("untrained seed model, first image:", np.round(probabilities[0], 3))
"""),
        md("""
**Next:** notebook 4 trains the fast model.
"""),
    ]


# ============================================================================ 04 training


def notebook_04() -> list:
    return [
        md("""
# 4. Training

A *recipe* is everything that defines a training run except the data: the model, the
optimizer and its schedule, the augmentation, the number of epochs, the batch size, the seed.
In `cifar_lib.training` recipes are plain data (a frozen dataclass), so a run is reproducible
from its record, and comparing two runs means comparing two tables.

- **seed**: Adam at 3e-4 with a slow time decay, batch 64, 100 epochs, the seed augmentation,
  validation on 20% of the training set. About 86% accuracy, and about 30 hours on a
  2-core CPU.
- **fast** (default here): airbench94. Nesterov SGD with a very high learning rate, warm-up
  and linear decay, label smoothing, a lookahead/EMA of the weights, batch 1024, about 10
  epochs on all 50,000 training images. It aims at 94% test accuracy.
"""),
        parameters("""
RECIPE = "fast"  # "fast" (airbench94) or "seed" (the original)
EPOCHS = None  # None: the recipe's own (ci: 1)
SUBSET = None  # None: all training images; or train on a class-balanced subset of this many
BATCH_SIZE = None  # None: the recipe's own (ci: 256)
VERBOSE = 1  # Keras progress: 1 a live bar, 2 one line per epoch
"""),
        md(SETUP_MD),
        setup("""
import shutil

overrides = {"verbose": VERBOSE}
if EPOCHS is not None:
    overrides["epochs"] = EPOCHS
if SUBSET is not None:
    overrides["subset"] = SUBSET
if BATCH_SIZE is not None:
    overrides["batch_size"] = BATCH_SIZE

from cifar_lib import training

training.resolve_recipe(RECIPE, **overrides)  # a bad recipe name or value fails here, before any work
TRAIN_IMAGES = MONITOR_IMAGES = None  # None: all of train/ and test/
if PROFILE == "ci":  # a smoke test: one short epoch on a little data, from scratch every time
    overrides.setdefault("epochs", 1)
    overrides.setdefault("batch_size", 256)
    TRAIN_IMAGES, MONITOR_IMAGES = 1024, 500
    for name in ("model.keras", "best.keras", "history.csv", "run.json"):
        (RUN_DIR / name).unlink(missing_ok=True)
    shutil.rmtree(RUN_DIR / "checkpoint", ignore_errors=True)
print("recipe:", RECIPE, " overrides:", {k: v for k, v in overrides.items() if k != "verbose"})
"""),
        md("""
## The recipe

Here is the recipe as data. Every hyperparameter lives here, and `train` records it in
`run.json` next to the model.
"""),
        checked("""
recipe = training.get_recipe(RECIPE)
for field, value in recipe.to_dict().items():
    print(f"{field:<20} {value}")
"""),
        md("""
A few of these deserve a word:

- `learning_rate` 11.5 looks absurd. airbench states it in "decoupled" units per 1,024
  examples; the engine converts it to the usual SGD terms for the actual batch size. With
  batch normalization everywhere, the scale of the weights does not change the function,
  and a large rate with weight decay mainly controls how fast the effective rate decays.
- `label_smoothing` 0.2: the target is 80% on the true class and the rest spread over all
  classes. It stops the network from pushing logits to infinity on easy images.
- `ema_start_epoch`: from epoch 3 on, the weights are periodically pulled towards a running
  average of themselves (lookahead). Averaging over the noisy last steps gives a better point
  than the last step alone.
- `whiten_bias_epochs` 3: the bias of the frozen whitening layer trains only during the
  first epochs.

## Data

`load_cifar10` is the same as in notebook 1. The fast recipe trains on all 50,000 training
images and monitors test accuracy after each epoch, as airbench does. In the CI profile we
shrink the data so that the whole notebook runs in a minute.
"""),
        code(LOAD_DATA + """
import dataclasses

from cifar_lib.data import stratified_subset

if TRAIN_IMAGES is not None:  # ci: small, class-balanced training and monitoring sets
    x_train, y_train = stratified_subset(data.x_train, data.y_train, TRAIN_IMAGES, seed=SEED)
    x_test, y_test = stratified_subset(data.x_test, data.y_test, MONITOR_IMAGES, seed=SEED)
    data = dataclasses.replace(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"ci profile: {len(data.x_train):,} training and {len(data.x_test):,} test images")
"""),
        md("""
## Train

`train(recipe, data, out_dir, **overrides)` does everything: it splits the data, builds the
model (and initializes the whitening layer from the training images), builds the augmented
input stream, trains with live progress, keeps the best epoch (`best.keras`) and the final
model (`model.keras`), and writes `history.csv` and `run.json`.

**Resuming.** After every epoch, `train` saves its state (weights, optimizer, history) in
`RUN_DIR/checkpoint/`. If the run is interrupted (you stop the kernel, the laptop sleeps, the
job is killed), simply **run this cell again**: with the same recipe and the same `RUN_DIR`
it continues after the last finished epoch, with exactly the data order an uninterrupted run
would have seen. **A finished run is loaded, not retrained**: re-running the cell after the
end returns the saved model and history in a second. To train again from scratch, use a new
`RUN_DIR` (or delete the old one). Asking for a different recipe in a folder that holds
another run is refused, so nothing gets overwritten by accident.

The outputs committed with this notebook come from exactly that: the published run was
trained by `benchmarks/time_to_accuracy.py` (same recipe, same data, same seed) into the run
folder, and this cell loaded it. Its per-epoch times are in the table below.
"""),
        code("""
result = training.train(RECIPE, data, str(RUN_DIR), **overrides)
"""),
        md("""
## What the run left behind
"""),
        checked("""
for name in ("model.keras", "best.keras", "history.csv", "run.json"):
    print(f"{name:<12} present: {(RUN_DIR / name).exists()}")
print("checkpoint/ removed after a finished run:", not (RUN_DIR / "checkpoint").exists())
print("history columns:", ", ".join(sorted(result.history.columns)))
"""),
        code("""
info = result.run_info
print(f"epochs: {info['epochs']}   training images: {info['n_train']:,}   monitored on: {info['val_source']} ({info['n_val']:,} images)")
print("final:", {k: (round(v, 4) if isinstance(v, float) else v) for k, v in info["final"].items()})
print(f"wall time: {info['wall_seconds']:.0f} s on {info['device']['device']}")
result.history.round(4)
"""),
        md("""
## Training curves

Loss and accuracy per epoch, on the training stream (augmented, and with label smoothing for
the fast recipe, so its loss never approaches zero) and on the monitoring set. For the fast
recipe the learning rate rises for the first quarter of the run and then decays linearly;
most of the accuracy arrives at the end, when the rate is small and the weight averaging
kicks in.
"""),
        code("""
from cifar_lib import plots

plots.plot_training_curves(
    result.history, save_to=FIGURES_DIR / "04_training_curves.png", monitored=result.run_info["val_source"]
)
plt.show()
"""),
        md("""
What to look for in curves like these: training accuracy far above validation accuracy means
overfitting (more augmentation or regularization, or fewer epochs); both low means
underfitting (a bigger model, more epochs, a higher learning rate); a loss that jumps up means
the learning rate is too high.

**Next:** notebook 5 measures the trained model on the test set and looks at its mistakes.
"""),
    ]


# ============================================================================ 05 evaluation


def notebook_05() -> list:
    return [
        md("""
# 5. Evaluation: how good, and wrong how?

One accuracy number says how often the model is right. It does not say *where* it is wrong,
whether its mistakes are reasonable (cat vs. dog) or absurd (truck vs. frog), or how
confident it is when wrong. Here we measure the model trained in notebook 4 on the test set,
with and without test-time augmentation, and then take its errors apart.

The test set is for reporting, not for tuning: every decision was made before we got here.
"""),
        parameters("""
MODEL_PATH = None  # None: RUN_DIR/model.keras from notebook 4, else the published models/cifar10_fast.keras
TEST_IMAGES = None  # None: the whole test set (ci: a class-balanced 500)
N_MISCLASSIFIED = 24  # images in the gallery of mistakes
"""),
        md(SETUP_MD),
        setup("""
if PROFILE == "ci" and TEST_IMAGES is None:
    TEST_IMAGES = 500
"""),
        code(LOAD_DATA + """
from cifar_lib.data import stratified_subset

x_test, y_test = data.x_test, data.y_test
if TEST_IMAGES is not None and TEST_IMAGES < len(x_test):
    x_test, y_test = stratified_subset(x_test, y_test, TEST_IMAGES, seed=SEED)
print(f"evaluating on {len(x_test):,} test images")
"""),
        md("""
## The model

We take the model notebook 4 trained. If there is none (you did not run notebook 4), we use
the model published with the project.
"""),
        code("""
import os

from cifar_lib import evaluation

candidates = [MODEL_PATH] if MODEL_PATH else [RUN_DIR / "model.keras", ROOT / "models" / "cifar10_fast.keras"]
model_path = next((Path(p) for p in candidates if Path(p).exists()), None)
if model_path is None:
    raise FileNotFoundError(f"no model at {', '.join(map(str, candidates))}: run notebook 4 first")
model = evaluation.load_model(str(model_path))
print("model:", os.path.relpath(model_path, ROOT), f"({model.count_params():,} parameters)")
"""),
        md("""
## Test-time augmentation (TTA)

We trained the model to be insensitive to flips and small shifts, but it is not perfectly so.
At test time we can show it several versions of each image and average its answers:

- `none`: the image as it is;
- `mirror`: the image and its mirror image, averaged;
- `mirror_translate`: also the image shifted by one pixel up-left and down-right, each with
  its mirror: six views, weights 0.5 for the unshifted pair, 0.25 for each shifted pair.

The views are averaged as logits. Six views cost six forward passes, and on CIFAR-10 they are
worth about half a point of accuracy.
"""),
        checked("""
demo = np.zeros((1, 32, 32, 3), "float32")
for level in evaluation.TTA_LEVELS:
    weights = [w for _, w in evaluation.tta_views(demo, level)]
    print(f"{level:<17} {len(weights)} view(s), weights {weights}, sum {sum(weights)}")
"""),
        code("""
import pandas as pd

results = {tta: evaluation.evaluate(model, x_test, y_test, tta=tta) for tta in evaluation.TTA_LEVELS}
pd.DataFrame(
    {"TTA": tta, "views": len(evaluation.tta_views(demo, tta)), "test accuracy": f"{r['accuracy']:.2%}"}
    for tta, r in results.items()
).set_index("TTA")
"""),
        md("""
From here on we analyse the predictions with full TTA, the way the model is meant to be used.
A few invariants first: the probabilities are well-formed, and the confusion matrix accounts
for every test image with its diagonal matching the accuracy.
"""),
        code("""
from cifar_lib import plots, reports

best = results["mirror_translate"]
probabilities, predicted = best["probabilities"], best["predicted"]
cm = reports.confusion(y_test, predicted, num_classes=len(CLASS_NAMES))
"""),
        checked("""
print("probabilities: one row per image, one column per class:", probabilities.shape == (len(x_test), len(CLASS_NAMES)))
print("rows sum to 1:", bool(np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)))
print("confusion matrix shape:", cm.shape)
print("every test image counted once:", int(cm.sum()) == len(y_test))
print("diagonal / total equals the accuracy:", bool(np.isclose(np.trace(cm) / cm.sum(), best["accuracy"])))
"""),
        md("""
## The confusion matrix

Row *i*, column *j* counts the test images of class *i* that the model called *j*; the
diagonal holds the correct answers. Counts show where the errors are in absolute terms; the
row-normalized version shows, for each true class, how its images were labelled (the
diagonal is then the per-class recall).
"""),
        code("""
plots.plot_confusion_matrix(cm, CLASS_NAMES, save_to=FIGURES_DIR / "05_confusion_matrix.png")
plt.show()
"""),
        code("""
cm_fraction = reports.confusion(y_test, predicted, num_classes=len(CLASS_NAMES), normalize="true")
plots.plot_confusion_matrix(
    cm_fraction, CLASS_NAMES, normalize=True, save_to=FIGURES_DIR / "05_confusion_matrix_normalized.png"
)
plt.show()
"""),
        md("""
## Precision, recall and F1 per class

*Precision* of a class: of the images the model called "cat", how many were cats.
*Recall*: of the cats, how many the model found. F1 is their harmonic mean. On a balanced
test set, accuracy is the average recall.
"""),
        code("""
print(reports.classification_text(y_test, predicted, CLASS_NAMES))  # scikit-learn's classification report
"""),
        code("""
per_class = reports.per_class_accuracy(y_test, predicted, CLASS_NAMES)
plots.plot_per_class_accuracy(per_class, save_to=FIGURES_DIR / "05_per_class_accuracy.png")
plt.show()
"""),
        md("""
## The most confused pairs

Which mistakes does the model make most often? On CIFAR-10 the answer is nearly always the
same: cats and dogs, then other animals among themselves, then vehicles among themselves
(automobile vs. truck, airplane vs. ship). The mistakes are *semantic*: the model confuses
classes that look alike, which is a good sign.
"""),
        code("""
reports.most_confused_pairs(y_test, predicted, CLASS_NAMES, top=10)
"""),
        md("""
## A gallery of mistakes

Finally we look at the errors the model was most sure about: true label, predicted label and
the confidence of the prediction. Some are genuine mistakes, some are ambiguous images, and
a few are arguably mislabelled in the dataset itself.
"""),
        code("""
mistakes = reports.misclassified(y_test, probabilities, top=N_MISCLASSIFIED)
plots.plot_misclassified(
    x_test[mistakes["index"]], mistakes["true"], mistakes["predicted"], mistakes["confidence"], CLASS_NAMES,
    save_to=FIGURES_DIR / "05_misclassified.png",
)
plt.show()
"""),
        md("""
## Summary

We went from a dataset to a trained and dissected classifier: the data is balanced and
needs per-channel normalization; augmentation encodes what we know about images for free; a
smaller network with whitening, batch normalization and a well-chosen schedule beats a much
larger plain one in a fraction of the time; and the remaining errors are mostly between
classes that look alike.

Where to go from here: train the seed recipe (notebook 4, `RECIPE = "seed"`) and compare;
change one hyperparameter of the fast recipe at a time and measure on the validation split;
or try airbench's larger siblings, which reach 95-96% with wider networks and more epochs.
"""),
    ]


BUILDERS = {
    "01_data_exploration": notebook_01,
    "02_augmentation_preview": notebook_02,
    "03_model_building": notebook_03,
    "04_training": notebook_04,
    "05_evaluation": notebook_05,
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = BUILDERS[name]()
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{index:02d}"  # stable ids: regenerating does not churn the diff
    nbformat.validate(nb)
    return nb


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list]]:
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("only", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--check", action="store_true", help="compare cell sources with notebooks/, write nothing")
    parser.add_argument("--out", type=Path, default=NOTEBOOKS, help="folder to write to (default: notebooks/)")
    args = parser.parse_args(argv)
    names = [n for n in BUILDERS if not args.only or any(n == o or n[:2] == o.zfill(2) for o in args.only)]
    stale = []
    for name in names:
        nb = build(name)
        path = args.out / f"{name}.ipynb"
        if args.check:
            if not path.exists() or _cells(nbformat.read(str(path), as_version=4)) != _cells(nb):
                stale.append(path.name)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({len(nb.cells)} cells)")
    if stale:
        print("out of date (run tools/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
