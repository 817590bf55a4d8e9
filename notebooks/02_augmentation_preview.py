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
#
# ## Exercises
#
# 1. **Too much of a good thing.** Build a baseline-style augmentation with 45-degree
#    rotations and 30% shifts and look at the same images. Which ones would you still label
#    correctly? *Hint:* `keras.Sequential` of `keras.layers.RandomRotation(45 / 360, ...)` and
#    `RandomTranslation(0.3, 0.3, ...)`, as in `augment.baseline_augmentation`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    import keras
#    strong = keras.Sequential([
#        keras.layers.RandomRotation(45 / 360, fill_mode="nearest", seed=SEED),
#        keras.layers.RandomTranslation(0.3, 0.3, fill_mode="nearest", seed=SEED),
#        keras.layers.RandomFlip("horizontal", seed=SEED),
#    ])
#    draws = [strong(originals, training=True).numpy() for _ in range(N_DRAWS)]
#    plots.plot_augmentation_preview(originals, {"strong": draws})
#    plt.show()
#    ```
#    Objects leave the frame and corners fill with smeared edge pixels: the label is no longer
#    obvious, so the network is trained on partly wrong examples.
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
# 3. **Bigger shifts.** Call `augment.random_translate(originals, pad=6)` a few times and look
#    at the borders. What does reflect padding produce at 6 pixels?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    draws = [augment.random_translate(originals, pad=6).numpy() for _ in range(N_DRAWS)]
#    plots.plot_augmentation_preview(originals, {"pad 6": draws})
#    plt.show()
#    ```
#    Up to 6 rows or columns are mirror copies of the border: visible "reflections" that do not
#    occur in real photos, which is why airbench keeps the shift at 2 pixels.
#    </details>
#
# **Next:** notebook 3 builds the two networks these augmentations feed.
