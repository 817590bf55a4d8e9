# %% [markdown] tags=[]
# # 2. Augmentation: more data for free
#
# A network should not care whether the cat is two pixels further left, or looking left instead
# of right. We know that; the network does not, and 50,000 images are not enough for it to
# learn these invariances alone. *Data augmentation* teaches them by showing each training
# image in a slightly different version every time: a random transformation that does not
# change the label.
#
# The art is in choosing transformations that keep images realistic. We compare two choices:
#
# - **baseline** (the seed project's recipe, formerly Keras `ImageDataGenerator`): rotation up to 15
#   degrees, shifts up to 10% of the image in each direction, random horizontal flips; empty
#   corners are filled with the nearest edge pixel.
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
# We take the first training image of the first few classes and run the same images through
# both augmentations several times. Augmentations work on whole batches of float images in the
# 0..255 range, inside the input pipeline (`tf.data`), so they cost almost nothing while training.

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
plots.plot_augmentation_preview(originals, {"baseline": baseline_draws, "fast": fast_draws},
                                save_to=lesson.figure("02_augmentation_preview.png"))
plt.show()

# %% [markdown] tags=[]
# ## Turn the knobs
#
# How much augmentation is too much? Set the strengths yourself and watch the same six images
# change. The random draws are seeded, so moving one slider changes only what that slider
# does: at rotation 0 and shift 0 you see the flips alone; push the rotation to 45 degrees and
# the corners fill with smeared edge pixels. `pad` adds the fast recipe's reflect-padded crop
# on top. First the figure at the baseline recipe's own strengths:

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
widgets.interact(
    redraw,
    rotation=widgets.IntSlider(value=15, min=0, max=45, step=5, description="rotation (deg)", style=wide),
    shift=widgets.FloatSlider(value=0.1, min=0.0, max=0.3, step=0.05, description="shift", style=wide),
    flip=widgets.Checkbox(value=True, description="random flip", style=wide),
    pad=widgets.IntSlider(value=0, min=0, max=6, step=1, description="crop pad (px)", style=wide),
);

# %% [markdown] tags=[]
# Augmentations must not change the kind of data the model sees: same shape, same dtype, same
# value range. A pipeline that silently turned 0..255 into 0..1 would train a model that is
# wrong at test time.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(f"input: {originals.shape} {originals.dtype}, values {originals.min():.0f} to {originals.max():.0f}")
for name, draws in (("baseline", baseline_draws), ("fast", fast_draws)):
    shapes = sorted({(d.shape, str(d.dtype)) for d in draws})
    low, high = min(d.min() for d in draws), max(d.max() for d in draws)
    print(f"{name}: {len(draws)} draws, each {shapes[0][0]} {shapes[0][1]}, values {low:.0f} to {high:.0f}")

# %% [markdown] tags=[]
# Same shape, same dtype, same range as the input: the model cannot tell augmented images
# from real ones by their format.
#
# ## Why each transform
#
# - **Horizontal flip.** A mirrored car is still a car, and the mirror image is a realistic
#   photo. It doubles the effective data. We never flip vertically: upside-down horses do not
#   occur in the test set, so learning to recognize them wastes capacity.
# - **Shifts (translation).** Objects are not always centred. Convolutions are already
#   translation-equivariant, but pooling and the final layers are not exactly; shifts make
#   the whole network robust to position. On 32x32 images, 10% is 3.2 pixels. The fast recipe
#   uses at most 2 pixels: enough to help, small enough to keep the object whole.
# - **Reflect padding vs. nearest fill.** Shifting leaves an empty border that must be filled.
#   Repeating the edge pixel ("nearest", baseline) smears streaks; mirroring the border
#   ("reflect", fast) keeps natural-looking texture.
# - **Rotation (baseline only).** Photos are sometimes tilted, but 15 degrees on a 32-pixel image
#   interpolates (blurs) every pixel and creates corners to fill. It makes the task harder
#   for the network, which helps a big network over 100 epochs, but the fast recipe trains
#   for only 10 epochs and is better off without it.
#
# ## Alternating flip
#
# With ordinary random flips, each epoch flips every image with probability 1/2, independently.
# Over two epochs, half the images are seen in the same orientation twice and their mirror
# image never: wasted work. airbench's *alternating flip* flips a random half of the images in
# epoch 0, and then in every odd epoch it flips exactly the images it did not flip the epoch
# before. So every image is seen both ways in every pair of epochs. For a 10-epoch run that
# redundancy matters; the airbench paper measures it as worth a fraction of an epoch.
#
# The code is short; this is the function the training pipeline calls:

# %% tags=[]
from cifar_lib.notebook import show_source

show_source(augment.alternating_flip, augment.random_translate)

# %% [markdown] tags=[]
# Here are four images with flip bits `[0, 1, 0, 1]` over four epochs (a flip is detected by
# comparing with the mirror image of an asymmetric test pattern):

# %% tags=[]
# NBVAL_CHECK_OUTPUT
pattern = np.arange(4 * 4 * 4 * 3, dtype="float32").reshape(4, 4, 4, 3)  # four asymmetric "images"
bits = np.array([0, 1, 0, 1], dtype=bool)
for epoch in range(4):
    out = augment.alternating_flip(pattern, bits, epoch).numpy()
    flipped = [bool(np.array_equal(out[i], pattern[i, :, ::-1])) for i in range(4)]
    print(f"epoch {epoch}: flipped = {flipped}")

# %% [markdown] tags=[]
# Every image alternates, and in every epoch exactly half of them are flipped. The fast recipe
# draws the flip bits once per run from its seed, so a resumed run sees exactly the same
# images as an uninterrupted one.
#
# ## Summary
#
# - Augmentation shows each training image in a new, label-preserving version every epoch.
# - The baseline recipe rotates, shifts by up to 10% and flips at random; the fast recipe
#   shifts by at most 2 pixels with reflect padding and flips in alternation.
# - Augmented batches keep the input's shape, dtype and 0..255 range.
# - Alternating flip guarantees both orientations of every image in every pair of epochs.
# - How strong is a choice: the sliders show where the images stop looking like their label.
#
# ## Exercises
#
# 1. **Too much of a good thing, in code.** With the sliders you found strengths at which the
#    labels get doubtful. Build that augmentation as a Keras layer a training pipeline could
#    use (rotation 45 degrees, shifts 30%), and check that it keeps shape, dtype and range.
#    *Hint:* `augment.geometric_augmentation`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    strong = augment.geometric_augmentation(45, 0.3, flip=True, seed=SEED)
#    out = strong(originals, training=True).numpy()
#    print(out.shape, out.dtype, out.min(), out.max())  # (6, 32, 32, 3) float32, within 0..255
#    plots.plot_augmentation_preview(originals, {"strong": [out]})
#    plt.show()
#    ```
#    Same format as the input, so nothing downstream would notice; only the pictures show that
#    objects leave the frame and the label is no longer obvious.
#    </details>
#
# 2. **What coin flips waste.** Simulate 50,000 images over two epochs with independent coin
#    flips, and count the images seen in only one orientation. Compare with alternating flip.
#    *Hint:* `rng.integers(0, 2, (2, 50_000))`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    rng = np.random.default_rng(SEED)
#    coins = rng.integers(0, 2, (2, 50_000))
#    print("coin flips, one orientation only:", int((coins[0] == coins[1]).sum()))   # about 25,000
#    bits = rng.integers(0, 2, 50_000)
#    print("alternating, one orientation only:", int((bits == (bits ^ 1)).sum()))  # 0
#    ```
#    Half of the images are seen the same way twice with coin flips; none with alternation.
#    </details>
#
# 3. **Upside down.** Add a vertical flip to the preview and look at the images. Would you
#    train with it? *Hint:* `keras.layers.RandomFlip("vertical", seed=SEED)`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    import keras
#    vertical = keras.layers.RandomFlip("vertical", seed=SEED)
#    draws = [vertical(originals, training=True).numpy() for _ in range(N_DRAWS)]
#    plots.plot_augmentation_preview(originals, {"vertical flip": draws})
#    plt.show()
#    ```
#    Upside-down horses, ships and trucks do not occur in the test set: the network would spend
#    capacity on images it never has to recognize.
#    </details>
#
# **Next:** notebook 3 builds the two networks these augmentations feed.
