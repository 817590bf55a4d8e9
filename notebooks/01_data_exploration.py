# %% [markdown] tags=[]
# # 1. Meet the data: CIFAR-10
#
# Before we train anything we look at the data. Most mistakes in deep learning are data
# mistakes: labels in the wrong order, pixels on the wrong scale, a validation set that leaks
# into training, one class much rarer than the others, a "random" sample that is not random.
# Each of them silently costs accuracy, and none of them shows up as an error message.
#
# CIFAR-10 (Krizhevsky, 2009) holds 60,000 colour images of 32x32 pixels in 10 classes: 50,000
# for training and 10,000 for testing. At this size a cat is a few dozen pixels, which is why
# the dataset is hard enough to be interesting and small enough to train on a laptop.
#
# In this notebook we will:
#
# 1. load the data and check its shape and types,
# 2. check the class balance,
# 3. look at some pictures,
# 4. measure the pixel statistics the models normalize with,
# 5. split the training set into training and validation data.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
SAMPLES_PER_CLASS = 10  # images per class in the sample grid
HISTOGRAM_IMAGES = 5000  # images drawn at random for the pixel histograms

# %% [markdown] tags=[]
# Every notebook starts the same way: the cell above holds its knobs (papermill can change
# them), and the cell below turns them into settings, seeds every random generator and says
# what we are running on.

# %% tags=[]
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% [markdown] tags=[]
# ## Loading
#
# `load_cifar10` reads CIFAR-10 from wherever it is: the official `cifar-10-python.tar.gz`, its
# extracted folder, or a tree of image files (`train/<class>/*.jpg`), and caches the decoded
# arrays so the next load takes a second. With `DATA = None` it uses the folder named by the
# environment variable `CIFAR10_DATA`, and downloads the official archive only if that is unset.
#
# Whatever the source, we get the same thing back: NumPy arrays of `uint8` pixels, shape
# `(N, 32, 32, 3)` (images, rows, columns, RGB channels), and integer labels 0..9. This
# notebook explores the whole dataset, so it asks for no subset, whatever the profile.

# %% tags=[]
data = lesson.load_data(DATA, shrink=False)

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(f"training images: {len(data.x_train):,}, shape {data.x_train.shape[1:]}, dtype {data.x_train.dtype}")
print(f"test image shape: {data.x_test.shape[1:]}, dtype {data.x_test.dtype}")
print(f"labels: {data.y_train.dtype}, from {data.y_train.min()} to {data.y_train.max()}")

# %% [markdown] tags=[]
# The official test set has 10,000 images. The project's local copy (`train/` and `test/`
# folders of JPEG files) holds 5,000 of them, 500 per class, and every image went through JPEG
# compression at quality 75 with the colour stored at half resolution (16x16). Numbers measured
# on it are close to, but not the same as, numbers on the official data: models trained on this
# copy are reported to score 2-3 points lower than on the official files. Always say which
# data a number comes from.
#
# The labels are integers; `CLASS_NAMES` gives their meaning, in the official order. Getting
# this order wrong is a classic silent bug: the model still trains, but every report is
# mislabelled.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from cifar_lib.data import CLASS_NAMES

for label, name in enumerate(CLASS_NAMES):
    print(label, name)

# %% [markdown] tags=[]
# ## Class balance
#
# If one class were much more frequent than the others, a model could score well by favouring
# it, and plain accuracy would hide that. So we count.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
train_counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
for name, count in zip(CLASS_NAMES, train_counts):
    print(f"{name:<10} {count:>6,}")

# %% tags=[]
from cifar_lib import plots

plots.plot_class_balance({"train": data.y_train, "test": data.y_test}, CLASS_NAMES,
                         save_to=lesson.figure("01_class_balance.png"))
plt.show()

# %% [markdown] tags=[]
# Perfectly balanced: 5,000 training images per class (and, in the JPEG copy, 500 test images
# per class). That makes accuracy a fair summary, and it tells us what chance level is: 10%. A
# model stuck at 10% has learned nothing.
#
# Balanced overall does not mean mixed: an image-folder copy is read folder by folder, so
# the arrays are *sorted by class*. The first 5,000 training images are all airplanes:

# %% tags=[]
# NBVAL_CHECK_OUTPUT
first = np.bincount(data.y_train[:5000], minlength=len(CLASS_NAMES))
print("classes among the first 5,000 training images:",
      {CLASS_NAMES[c]: int(n) for c, n in enumerate(first) if n})

# %% [markdown] tags=[]
# So whenever we want a sample, we draw it at random with a seed, never `x[:n]`.
#
# ## Look at the pictures
#
# Numbers are not enough; we look. Each row below is one class, with images drawn at random.

# %% tags=[]
plots.plot_sample_grid(data.x_train, data.y_train, CLASS_NAMES, per_class=SAMPLES_PER_CLASS, seed=SEED,
                       save_to=lesson.figure("01_sample_grid.png"))
plt.show()

# %% [markdown] tags=[]
# Things to notice: objects appear at different sizes, positions and poses; backgrounds vary;
# some images are hard even for people at this resolution (cat or dog? deer or horse?). Also
# notice what does *not* vary: the sky is up. Horizontal mirror images of these photos are still
# plausible photos, vertical ones are not. We will use exactly that in the augmentation
# notebook.
#
# ## Pixel statistics
#
# Networks train best when their inputs are centred around zero with unit spread. The standard
# recipe for CIFAR-10 subtracts a per-channel mean and divides by a per-channel standard
# deviation, `CIFAR_MEAN` and `CIFAR_STD`, measured on the official training set on the [0, 1]
# scale. Let's measure them ourselves, on all 50,000 training images. A histogram of the 256
# possible values per channel gives the exact mean and standard deviation without converting
# 150 million pixels to floats.

# %% tags=[]
from cifar_lib.data import CIFAR_MEAN, CIFAR_STD

values = np.arange(256) / 255.0
means = {}
print("channel   mean (ours / reference)   std (ours / reference)")
for channel, name in enumerate(("red", "green", "blue")):
    counts = np.bincount(data.x_train[..., channel].ravel(), minlength=256)
    means[name] = mean = (counts * values).sum() / counts.sum()
    std = np.sqrt((counts * (values - mean) ** 2).sum() / counts.sum())
    print(f"{name:<7}   {mean:.4f} / {CIFAR_MEAN[channel]:.4f}          {std:.4f} / {CIFAR_STD[channel]:.4f}")
print("lowest mean:", min(means, key=means.get), "  highest mean:", max(means, key=means.get))

# %% [markdown] tags=[]
# Close to the reference values, though not identical if your copy is the JPEG one: lossy
# compression nudges pixel values. The differences are far too small to matter for training;
# the models keep the reference values so that a model trained on one copy works on another.
#
# The histograms below use a random sample of `HISTOGRAM_IMAGES` training images (plenty for
# a picture; the legend gives the sample's own mean and spread). All three channels use the
# whole range, with peaks at pure black and white from saturated pixels.

# %% tags=[]
sample = np.random.default_rng(SEED).choice(len(data.x_train), HISTOGRAM_IMAGES, replace=False)
plots.plot_channel_histograms(data.x_train[sample], save_to=lesson.figure("01_pixel_histograms.png"))
plt.show()

# %% [markdown] tags=[]
# Blue has the lowest mean, as the table above says. The three channels are also strongly
# correlated: a bright pixel tends to be bright in all three. The fast model's first layer
# exploits that correlation (notebook 3).
#
# ## Training and validation data
#
# We will make many decisions: which recipe, how many epochs, which augmentation. If we made
# them by looking at test accuracy, the test set would become part of training and its score
# would no longer measure how well the model generalizes. So we hold out part of the
# training set as a *validation* set, tune on it, and look at the test set only at the end.
#
# The baseline recipe holds out 20%: 40,000 images to train on, 10,000 to validate with. The
# split is *stratified* (each class keeps its share) and *seeded* (the same split every time).

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from cifar_lib.data import train_val_split

x_tr, y_tr, x_val, y_val = train_val_split(data.x_train, data.y_train, val_fraction=0.2, seed=SEED)
print(f"train: {len(x_tr):,} images   validation: {len(x_val):,} images   together: {len(x_tr) + len(x_val):,}")
print("validation images per class:", sorted(set(np.bincount(y_val, minlength=len(CLASS_NAMES)).tolist())))
again = train_val_split(data.x_train, data.y_train, val_fraction=0.2, seed=SEED)
same = all(np.array_equal(a, b) for a, b in zip((x_tr, y_tr, x_val, y_val), again))
print("split again with the same seed:", "identical" if same else "DIFFERENT")

# %% [markdown] tags=[]
# Every class has exactly 1,000 validation images, and asking again with the same seed gives
# the same split. (The quick and fast recipes of notebook 4 follow airbench and train on all
# 50,000 images, reporting test accuracy; the validation split is what you use to compare
# your own variations fairly.)
#
# ## Summary
#
# - CIFAR-10: 50,000 training images of 32x32x3 `uint8` pixels, 10 balanced classes; the JPEG
#   copy has 5,000 test images and is reported to cost 2-3 points of accuracy.
# - An image-folder copy is sorted by class: sample at random, with a seed.
# - The per-channel means and standard deviations we measured match the reference values the
#   models use; blue has the lowest mean.
# - A stratified, seeded 80/20 split gives a validation set for decisions; the test set is for
#   the final report.
#
# ## Exercises
#
# 1. **The sorted-array trap.** Compute the per-channel means of the *first* 5,000 training
#    images and compare them with the table above. Which channel changes most, and why?
#    *Hint:* look at the class count of those images printed earlier.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    first = data.x_train[:5000].reshape(-1, 3).mean(axis=0) / 255
#    print(dict(zip(("red", "green", "blue"), first.round(3))))
#    ```
#    All 5,000 are airplanes, mostly photographed against the sky: blue rises from the
#    lowest mean to the highest. A statistic of a sorted array's head describes one class.
#    </details>
#
# 2. **Brightness per class.** Which class has the brightest images on average, and which the
#    darkest? *Hint:* `data.x_train[data.y_train == c].mean()` for each class `c`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    brightness = {name: data.x_train[data.y_train == c].mean() / 255 for c, name in enumerate(CLASS_NAMES)}
#    for name, value in sorted(brightness.items(), key=lambda kv: kv[1]):
#        print(f"{name:<10} {value:.3f}")
#    ```
#    Airplanes and ships (sky, water) are brighter than frogs and deer (foliage, ground). A
#    model could use brightness as a weak cue: one reason to normalize per channel, not per class.
#    </details>
#
# 3. **A different split.** Split with `val_fraction=0.1` and `seed=1`. Is it still
#    stratified? How many images per class are held out?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    x_tr, y_tr, x_val, y_val = train_val_split(data.x_train, data.y_train, val_fraction=0.1, seed=1)
#    print(len(x_tr), len(x_val), np.bincount(y_val))
#    ```
#    45,000 and 5,000 images; 500 per class: stratification keeps every class's share.
#    </details>
#
# **Next:** notebook 2 shows how we turn 50,000 images into an endless stream of slightly
# different ones.
