# %% [markdown] tags=[]
# # 2. Augmentation: more data for free
#
# A network should not care whether the cat is two pixels further left, or looking left instead
# of right. We know that; the network does not, unless it is shown. *Data augmentation* teaches them by showing each training
# image in a slightly different version every time: a random transformation that does not
# change the label.
#
# The art is in choosing transformations that keep images realistic. We compare two choices:
#
# - **baseline** (the seed project's recipe, which used Keras 2's `ImageDataGenerator`, rebuilt in
#   `cifar_lib/augment.py` from Keras 3 preprocessing layers): rotation up to 15
#   degrees, shifts up to 10% of the image in each direction, and a horizontal flip of each image
#   with probability 1/2, independently of the rotation; the areas left empty (corners after a
#   rotation, bands along the edges after a shift) are filled with the nearest edge pixel.
# - **fast** (airbench): shifts of up to 2 pixels (the image is padded by reflection, then a
#   random 32x32 crop is taken) and an *alternating* horizontal flip.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
N_IMAGES = 6  # originals to show, one per class
N_DRAWS = 4  # augmented versions of each

# %% tags=[]
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% tags=[]
from cifar_lib.data import CLASS_NAMES

data = lesson.load_data(DATA, shrink=False)

# %% [markdown] tags=[]
# This notebook uses only the training images. (The project's local JPEG copy of CIFAR-10 holds
# 5,000 of the official 10,000 test images, 500 per class: `docs/airbench94.md`.)
#
# We take the first training image of the first few classes and run the same images through
# both augmentations several times. Augmentations work on whole batches of float images in the
# 0..255 range; in training they run inside the `tf.data` input pipeline
# (`cifar_lib/training/streams.py`), batch by batch.

# %% tags=[]
import tensorflow as tf

from cifar_lib import augment, plots

first_of_class = [int(np.flatnonzero(data.y_train == c)[0]) for c in range(N_IMAGES)]  # a fixed choice, not a sample
originals = data.x_train[first_of_class].astype("float32")
print("rows:", ", ".join(CLASS_NAMES[c] for c in range(N_IMAGES)))

baseline_augmentation = augment.baseline_augmentation(seed=SEED)
baseline_draws = [baseline_augmentation(originals, training=True).numpy() for _ in range(N_DRAWS)]

flip_bits = np.random.default_rng(SEED).integers(0, 2, N_IMAGES).astype(bool)
fast_draws = [
    augment.fast_augment(originals, flip_bits, epoch, seed=tf.constant([SEED, epoch])).numpy()
    for epoch in range(N_DRAWS)
]

# %% tags=[]
plots.plot_augmentation_preview(
    originals, {"baseline": baseline_draws, "fast": fast_draws}, save_to=lesson.figure("02_augmentation_preview.png")
)
plt.show()

# %% [markdown] tags=[]
# ## Turn the knobs
#
# How much augmentation is too much? Set the strengths yourself and watch the same six images
# change. The random draws are seeded, so moving one slider changes only what that slider
# does: at rotation 0 and shift 0 you see the flips alone; push the rotation towards 45 degrees
# and watch the corners, which the "nearest" fill paints with repeated edge pixels (the README's
# screenshot of these sliders shows it at 45 degrees). `pad` adds the fast recipe's
# reflect-padded crop on top. First the figure at the baseline recipe's own strengths:


# %% tags=[]
def redraw(rotation=15, shift=0.1, flip=True, pad=0):
    """Augment the same originals with the given strengths (the same seed every time) and draw them."""
    draws = augment.preview_draws(originals, N_DRAWS, rotation, shift, flip, pad, seed=SEED)
    plots.plot_augmentation_preview(originals, {"draw": draws})
    plt.show()


redraw()

# %% [markdown] tags=[]
# And the controls (ipywidgets' `interact` calls `redraw` again whenever a control moves; in a
# notebook that runs without a reader, as on GitHub, only the figure above is there):

# %% tags=[]
import ipywidgets as widgets

wide = {"description_width": "initial"}  # show the whole label
_ = widgets.interact(  # assigned, so that the cell shows the sliders and not what interact returns
    redraw,
    rotation=widgets.IntSlider(value=15, min=0, max=45, step=5, description="rotation (deg)", style=wide),
    shift=widgets.FloatSlider(value=0.1, min=0.0, max=0.3, step=0.05, description="shift", style=wide),
    flip=widgets.Checkbox(value=True, description="random flip", style=wide),
    pad=widgets.IntSlider(value=0, min=0, max=6, step=1, description="crop pad (px)", style=wide),
)

# %% [markdown] tags=[]
# Augmentations must not change the kind of data the model sees: same shape, same dtype, same
# value range. A pipeline that silently turned 0..255 into 0..1 would train a model that is
# wrong at test time. The check below covers the preview's draws (6 images, 4 draws each):

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(f"input: {originals.shape} {originals.dtype}, values {originals.min():g} to {originals.max():g}")
for name, draws in (("baseline", baseline_draws), ("fast", fast_draws)):
    formats = {(d.shape, str(d.dtype)) for d in draws}
    assert len(formats) == 1, formats  # all draws have one shape and one dtype
    ((shape, dtype),) = formats
    inside = all(0 <= d.min() and d.max() <= 255 for d in draws)
    print(f"{name}: {len(draws)} draws, each {shape} {dtype}; all values within 0..255: {inside}")

# %% [markdown] tags=[]
# Same shape and dtype as the input, and every value inside the input's 0..255 range: on these
# draws the model cannot tell augmented images from real ones by their format.
#
# ## Why each transform
#
# - **Horizontal flip.** A mirrored car is still a car, and the mirror image is a realistic
#   photo. Neither recipe flips vertically (`augment.py` has only horizontal flips); Exercise 3
#   shows what a vertical flip would do to the six images.
# - **Shifts (translation).** Objects are not always centred. Convolutions are already
#   translation-equivariant, but pooling and the final layers are not exactly; shifts make
#   the whole network robust to position. On 32x32 images, 10% is 3.2 pixels. The fast recipe,
#   following airbench94 (`docs/airbench94.md`), uses at most 2 pixels.
# - **Reflect padding vs. nearest fill.** Shifting leaves an empty border that must be filled.
#   Repeating the edge pixel ("nearest", baseline) smears it into streaks across the empty band.
#   Mirroring the border ("reflect", fast) copies the pixels next to it, mirrored: that continues
#   the texture, but it also copies parts of the object into the border (look at the edges of
#   the airplane in the fast columns).
# - **Rotation (baseline only).** Rotating resamples the image with bilinear interpolation
#   (Keras' default for `RandomRotation` and `RandomTranslation`, which `augment.py` keeps),
#   which blurs it (the angle is drawn uniformly from -15 to 15 degrees), and leaves corners to
#   fill. The baseline's shifts are by fractions of a pixel and interpolated too, so the blur
#   in the baseline columns comes from both. The baseline recipe (100 epochs,
#   `recipes.BASELINE`) rotates; the fast recipe (10 epochs, `recipes.FAST`) keeps airbench94's
#   augmentation, which has translation and flip only.
#
# ## Alternating flip
#
# With ordinary random flips (the baseline), each epoch flips every image with probability
# 1/2, independently of the other epochs. Over two epochs, about half the images are then seen
# in the same orientation twice and their mirror image never: wasted work (Exercise 2 counts
# them). airbench's *alternating flip* draws one random bit per image, once per run. Epoch 0
# flips the images whose bit is set, every odd epoch flips exactly the other images, and every
# even epoch repeats epoch 0. So in any two consecutive epochs (0 and 1, 1 and 2, ...) each
# image's flip bit flips it in one and not in the other (whether the image is drawn in both
# epochs is another matter, below).
#
# `streams.fast_train_stream` calls `fast_augment` on every batch: first the alternating flip,
# then the random translation.

# %% tags=[]
from cifar_lib.notebook import show_source

show_source(augment.fast_augment, augment.alternating_flip, augment.random_translate)

# %% [markdown] tags=[]
# Here are four images with flip bits `[0, 1, 0, 1]` over four epochs. Each output is compared
# with the image itself and with its mirror image (the test patterns are asymmetric, so the two
# differ):

# %% tags=[]
# NBVAL_CHECK_OUTPUT
pattern = np.arange(4 * 4 * 4 * 3, dtype="float32").reshape(4, 4, 4, 3)  # four asymmetric "images"
bits = np.array([0, 1, 0, 1], dtype=bool)


def orientation(image, original):
    """'flipped' (the mirror image), 'as is' (unchanged) or 'other' (neither: a bug)."""
    if np.array_equal(image, original[:, ::-1]):
        return "flipped"
    return "as is" if np.array_equal(image, original) else "other"


for epoch in range(4):
    out = augment.alternating_flip(pattern, bits, epoch).numpy()
    print(f"epoch {epoch}:", [orientation(out[i], pattern[i]) for i in range(4)])

# %% [markdown] tags=[]
# Every image alternates. In this demo exactly half the images are flipped in every epoch
# because the bits `[0, 1, 0, 1]` were chosen that way. The training stream draws one coin per
# image instead, `np.random.default_rng(seed).integers(0, 2, n)` in `streams.fast_train_stream`,
# so epoch 0 flips about half of them. For this notebook's seed and the whole training set:

# %% tags=[]
n_train = len(data.x_train)
run_bits = np.random.default_rng(SEED).integers(0, 2, n_train).astype(bool)  # as streams.fast_train_stream draws them
print(f"seed {SEED}: {int(run_bits.sum()):,} of {n_train:,} flip bits set")

# %% [markdown] tags=[]
# The guarantee is about each image's flip bit, not about which images are drawn. The fast
# recipes reshuffle every epoch and drop the last incomplete batch (`drop_remainder`): on
# 50,000 images, quick (batch 512) leaves out 50,000 mod 512 = 336 images per epoch and fast
# (batch 1024) 50,000 mod 1024 = 848, a different set in each epoch. An image left out of
# exactly one of two consecutive epochs is seen one way only in that pair, and an image left
# out of both is not seen at all in it: from the output, 336 + 336 - (50,000 - 49,333) = 5
# images for quick and 848 + 848 - (50,000 - 48,323) = 19 for fast.
#
# The next cell runs the library's own training stream for two epochs on stand-in images, one
# per training image: a horizontal ramp 0..7, which a flip turns into 7..0. A shift of at most
# 2 pixels keeps columns 2 and 3 of the output inside the ramp, so they increase unless the
# image was flipped. The labels are the images' indices, so each batch says which images it
# holds.

# %% tags=[]
from cifar_lib.training import recipes, streams


def stream_batches(batch_size, start_epoch, images):
    """Epochs start_epoch..1 of the fast recipes' training stream: per batch, (image indices, images)."""
    stream = streams.fast_train_stream(images, np.arange(n_train), batch_size, start_epoch, 2, seed=SEED)
    return [(y.numpy(), x.numpy()) for x, y in stream]


ramps = np.broadcast_to(np.arange(8, dtype="float32").reshape(1, 1, 8, 1), (n_train, 3, 8, 1))
for recipe in (recipes.QUICK, recipes.FAST):
    batches = stream_batches(recipe.batch_size, 0, ramps)
    seen = [{}, {}]  # per epoch: image index -> flipped?
    for step, (ids, x) in enumerate(batches):
        seen[step // (n_train // recipe.batch_size)].update(zip(ids.tolist(), (x[:, 0, 3, 0] < x[:, 0, 2, 0]).tolist()))
    both = seen[0].keys() & seen[1].keys()
    print(
        f"{recipe.name} (batch {recipe.batch_size}): not drawn in epoch 0: {n_train - len(seen[0]):,}, in epoch 1: "
        f"{n_train - len(seen[1]):,}; drawn in both: {len(both):,}, "
        f"of them flipped in one epoch only: {sum(seen[0][i] != seen[1][i] for i in both):,}"
    )
    print(
        f"  epoch 0 flips exactly the drawn images whose bit is set: {all(seen[0][i] == run_bits[i] for i in seen[0])}"
    )

# %% [markdown] tags=[]
# In both recipes every image drawn in both epochs is flipped in exactly one of them (the last
# two numbers of each first line are equal), and epoch 0 follows `run_bits`. The images that
# miss a pair of epochs are the ones the batching left out.
#
# Every random draw derives from the run's seed: the flip bits from the seed alone (the epoch's
# parity decides which way they apply), the shuffle from `epoch_seed = seed * 1000 + epoch`
# (together with TensorFlow's global seed, which `train` and `setup` also set from the seed),
# and each batch's crops from `epoch_seed` and the batch's index (`streams.fast_train_stream`). So a stream started at
# epoch 1, as after resuming a run at the end of epoch 0, gives the same batches as epoch 1 of
# an uninterrupted stream. Checked here on random stand-in images:

# %% tags=[]
noise = np.random.default_rng(SEED).uniform(0, 255, (n_train, 4, 4, 1)).astype("float32")
uninterrupted = stream_batches(recipes.FAST.batch_size, 0, noise)
resumed = stream_batches(recipes.FAST.batch_size, 1, noise)
same = all(
    np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(uninterrupted[-len(resumed) :], resumed)
)
print(f"{len(resumed)} batches of epoch 1, the same images with the same flips and crops: {same}")

# %% [markdown] tags=[]
# ## Summary
#
# - Augmentation shows the training images in new, randomly transformed versions every epoch
#   (the fast recipes' flips alternate instead, and `drop_remainder` leaves a few out each epoch).
# - The baseline recipe rotates by up to 15 degrees, shifts by up to 10% and flips each image
#   with probability 1/2; the fast recipe shifts by at most 2 pixels with reflect padding and
#   flips in alternation.
# - On the preview's draws, augmented batches keep the input's shape and dtype, and their
#   values stay within 0..255.
# - Alternating flip flips every image the other way in consecutive epochs; with
#   `drop_remainder` leaving out 336 images per epoch for quick and 848 for fast, an image left
#   out of exactly one of two consecutive epochs is seen one way only in that pair.
# - Started at epoch 1, the fast stream gives the same batches as epoch 1 of an uninterrupted
#   stream: its random draws derive from the seed, the epoch number and the batch index.
# - How strong is a choice: the sliders redraw the same images at each of their steps, for you to judge
#   where they stop looking like their label.
#
# ## Exercises
#
# 1. **Too much of a good thing, in code.** With the sliders you found strengths at which the
#    labels get doubtful. Build that augmentation as a Keras layer a training pipeline could
#    use (rotation 45 degrees, shifts 30%, flips), draw `N_DRAWS` versions of `originals`,
#    check in code that they keep shape, dtype and the 0..255 range, and show them.
#    *Hint:* `augment.geometric_augmentation` returns the layer; call it with `training=True`.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **What coin flips waste.** Over epochs 0 and 1, count the training images that are
#    flipped the same way in both epochs, so seen in one orientation only: (a) with an
#    independent coin flip per image and epoch, (b) with alternating flip, computed by
#    `augment.alternating_flip` from `run_bits`. Count every image as drawn in both epochs.
#    *Hint:* `np.random.default_rng(SEED).integers(0, 2, (2, n_train))` gives two epochs of
#    coins. For (b), give `alternating_flip` one tiny "image" per training image, such as the
#    1x2 image `[0, 1]` repeated with `np.tile`: where it was flipped, its first pixel is 1.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Upside down.** Make a preview of the six images with a random vertical flip alone
#    (`N_DRAWS` draws), count how many of the drawn images came out upside down, and look at
#    them. Would you train with it?
#    *Hint:* `keras.layers.RandomFlip("vertical", seed=SEED)`; an upside-down image `i` equals
#    `originals[i, ::-1]`.

# %% tags=[]
# Exercise 3: your code here

# %% [markdown] tags=[]
# ## Solutions
#
# Try the exercises first. These cells run with the rest of the notebook, so their outputs
# are real.
#
# **Exercise 1.** The strong augmentation as one Keras layer, its draws checked in code:

# %% tags=["solution"]
strong = augment.geometric_augmentation(45, 0.3, flip=True, seed=SEED)
strong_draws = [strong(originals, training=True).numpy() for _ in range(N_DRAWS)]
assert all(d.shape == originals.shape and d.dtype == originals.dtype for d in strong_draws)
assert all(0 <= d.min() and d.max() <= 255 for d in strong_draws)
print(
    f"{type(strong).__name__}: {len(strong_draws)} draws, each {strong_draws[0].shape} "
    f"{strong_draws[0].dtype}, values within 0..255"
)

# %% tags=["solution"]
plots.plot_augmentation_preview(originals, {"strong": strong_draws})
plt.show()

# %% [markdown] tags=[]
# The asserts pass: the format is the input's, so nothing downstream could tell these images
# by it. Only the figure shows what these strengths do to the images.
#
# **Exercise 2.** Images flipped the same way in epochs 0 and 1, with coins and with the
# library's alternating flip:

# %% tags=["solution"]
coins = np.random.default_rng(SEED).integers(0, 2, (2, n_train))  # one coin per image and epoch
print(f"coin flips: {int((coins[0] == coins[1]).sum()):,} of {n_train:,} images seen one way only")
probes = np.tile(np.array([0, 1], "float32").reshape(1, 1, 2, 1), (n_train, 1, 1, 1))  # mirrored: [1, 0]
alternating = [augment.alternating_flip(probes, run_bits, epoch).numpy()[:, 0, 0, 0] == 1 for epoch in (0, 1)]
print(f"alternating flip: {int((alternating[0] == alternating[1]).sum()):,} of {n_train:,} images seen one way only")

# %% [markdown] tags=[]
# With coin flips about half the images are seen one way only in the two epochs (the first
# line); with the library's alternating flip none are (the second line). Images that the
# batching leaves out of an epoch are not counted here; the stream check above counts them.
#
# **Exercise 3.** A vertical flip alone, with the number of upside-down images:

# %% tags=["solution"]
import keras

vertical = keras.layers.RandomFlip("vertical", seed=SEED)
vertical_draws = [vertical(originals, training=True).numpy() for _ in range(N_DRAWS)]
upside_down = sum(np.array_equal(d[i], originals[i, ::-1]) for d in vertical_draws for i in range(N_IMAGES))
print(f"{upside_down} of {N_DRAWS * N_IMAGES} drawn images are upside down")
plots.plot_augmentation_preview(originals, {"vertical flip": vertical_draws})
plt.show()

# %% [markdown] tags=[]
# The count says how many of the draws are upside down, and the figure shows them next to the
# originals in the left column. Neither recipe in this project uses it: unlike a horizontal
# mirror, an upside-down photo is not what a camera usually takes, so it would teach the
# network images it is unlikely to meet.

# %% [markdown] tags=[]
# **Next:** notebook 3 builds the three networks these augmentations feed.
