# %% [markdown] tags=[]
# # 6. How far can you trust the model?
#
# Notebook 5 measured the model's test accuracy and took the errors apart. The next questions a practitioner
# asks are about trust:
#
# 1. **How much of the number is luck?** The test set is a sample, and training is random.
# 2. **Does the confidence mean anything?** When the model says 90%, is it right 90% of the time?
# 3. **What if the images are a little worse** than the training data: noisier, blurrier,
#    brighter, with less contrast, more compressed?
# 4. **Are the test labels themselves right?**
#
# We work on the same model as notebook 5 (notebook 4's run, or the published quick model).

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras, and the random corruptions
MODEL_PATH = None  # None: RUN_DIR/model.keras from notebook 4, else the published models/cifar10_quick.keras
BINS = 15  # confidence bins of the reliability diagram and the calibration error

# %% tags=[]
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% tags=[]
from cifar_lib import calibration, evaluation, plots
from cifar_lib.data import CLASS_NAMES

data = lesson.load_data(DATA)
model_path, run = lesson.find_model(MODEL_PATH)
model = evaluation.load_model(str(model_path))
print("model:", lesson.show_path(model_path), "| trained on", f"{run['n_train']:,}" if run else "?", "images")

# %% [markdown] tags=[]
# The test predictions, without and with the 6-view test-time augmentation of notebook 5:

# %% tags=[]
x_test, y_test = data.x_test, data.y_test
probs = {tta: evaluation.predict(model, x_test, tta=tta) for tta in ("none", "mirror_translate")}
correct = {tta: int((p.argmax(axis=1) == y_test).sum()) for tta, p in probs.items()}
for tta, k in correct.items():
    print(f"{tta:<17} {k:,} of {len(y_test):,} right: {k / len(y_test):.2%}")

# %% [markdown] tags=[]
# ## 1. How much is noise
#
# **The test set's own uncertainty.** The test images are a sample of all the images the model
# could meet. With k right out of n, the 95% Wilson interval is the range of true accuracies
# that such a sample is compatible with:

# %% tags=[]
for tta, k in correct.items():
    low, high = calibration.accuracy_interval(k, len(y_test))
    print(f"{tta:<17} {k / len(y_test):.2%}, 95% interval {low:.2%} to {high:.2%} (n = {len(y_test):,})")

# %% [markdown] tags=[]
# **The recipe's own randomness.** A second training run with another seed starts from other
# weights and sees the batches in another order. `benchmarks/seed_spread.py` trains the quick
# recipe in full (all 50,000 training images, as the published model) once per seed and records
# each run's final test accuracy in `benchmarks/records/seed_spread.jsonl`. A benchmark, not
# part of this notebook: each run takes minutes. The records:

# %% tags=[]
import json

import pandas as pd

records_file = lesson.root / "benchmarks" / "records" / "seed_spread.jsonl"
records = [json.loads(line) for line in records_file.open()] if records_file.exists() else []
seeds = pd.DataFrame(
    [
        {
            "seed": r["seed"],
            "plain": r["final_test_accuracy"]["none"],
            "6-view TTA": r["final_test_accuracy"]["mirror_translate"],
            "cpu": r["cpu"],
        }
        for r in records
        if r["recipe"] == "quick"
    ],
    columns=["seed", "plain", "6-view TTA", "cpu"],
)
print(seeds.to_string(index=False, formatters={"plain": "{:.2%}".format, "6-view TTA": "{:.2%}".format}))

# %% tags=[]
if len(seeds) < 2:
    print("fewer than two seed runs recorded: run python benchmarks/seed_spread.py")
for column in ("plain", "6-view TTA") if len(seeds) > 1 else ():
    print(
        f"{column:<10} mean {seeds[column].mean():.2%}, standard deviation {seeds[column].std():.2%} "
        f"over {len(seeds)} seeds"
    )
published = json.loads((lesson.root / "models" / "cifar10_quick.time_to_accuracy.json").read_text())
print(f"published quick model (one run): {published['final_test_accuracy']['none']:.2%} plain")

# %% [markdown] tags=[]
# Two different noises, then: the interval above says how far the test set's sample can be from
# the truth for *this* model; the seed spread says how far another run of the same recipe can
# land. A single published number carries both. A difference between two recipes smaller than
# both is not evidence that one is better.
#
# Two cautions in reading these records. The seed runs are of the quick recipe as defined
# (label smoothing 0.2, all 50,000 training images); the model of this notebook, if notebook 4
# trained it with its defaults, is a variant: it trained the network and epochs its 10-minute
# budget chose (notebook 4 prints them: 32/64/64 channels instead of the quick recipe's
# 48/96/96, for 8 epochs, in the committed run), with the label
# smoothing chosen on short runs, on 45,000 images (its image count is printed at the top, its
# label smoothing in the calibration section below), so compare its accuracy with them knowing
# that. And the published model was trained on
# another CPU (its record names it), where the same seed may round differently and give another
# run; what makes its plain accuracy score above all three seed runs here is not measured.
#
# ## 2. Calibration: does 90% mean 90%?
#
# A model is *calibrated* when, of all the predictions it makes with confidence p, a share p is
# right. The reliability diagram groups the predictions into bins by their confidence (the top
# probability) and plots each bin's accuracy against its mean confidence; the expected
# calibration error (ECE) is the average gap, weighted by how many predictions fall in each bin.

# %% tags=[]
from cifar_lib.notebook import show_source

show_source(calibration.reliability_table, calibration.expected_calibration_error)

# %% [markdown] tags=[]
# A worked example: ten predictions, all made with confidence 0.9. If nine are right, the
# model is calibrated; if only six are, it is over-confident by 0.3.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
sure = np.full((10, 10), 0.1 / 9)
sure[:, 0] = 0.9  # every prediction: class 0, with probability 0.9
for n_right in (9, 6):
    labels = np.where(np.arange(10) < n_right, 0, 1)
    print(f"{n_right} of 10 right at confidence 0.9: ECE {calibration.expected_calibration_error(sure, labels):.2f}")

# %% tags=[]
print("label smoothing of this model's run:", run["recipe"]["label_smoothing"] if run else "not recorded")
for tta, p in probs.items():
    mean_confidence = p.max(axis=1).mean()
    print(
        f"{tta:<17} ECE {calibration.expected_calibration_error(p, y_test, BINS):.2%}; mean confidence "
        f"{mean_confidence:.2%} against accuracy {correct[tta] / len(y_test):.2%}"
    )

# %% [markdown] tags=[]
# A mean confidence below the accuracy means the model is under-confident on average, above it
# over-confident. Guo et al. (2017) found modern networks over-confident; label smoothing
# (notebook 4) trains towards less confident targets (0.82 for the true class with 0.2), which
# is one reason a model trained with it may come out the other way. If the line above says this
# model was trained without it, that reason does not apply here, and the cause of what the
# numbers show is not measured in this notebook.
#
# **Temperature scaling** (Guo et al., 2017) divides the log-probabilities by one number T
# before the softmax: T > 1 makes every prediction less confident, T < 1 more. It cannot change
# which class wins, so the accuracy stays exactly the same. T is fitted to minimise the
# cross-entropy on data **not used to report**: the run's validation split when it has one (the
# images notebook 4 held out of training), else one half of the test set, reporting on the other.

# %% tags=[]
from cifar_lib.data import stratified_subset, train_val_split

if run and run.get("monitored") == "validation":
    _, _, x_fit, y_fit = train_val_split(
        data.x_train, data.y_train, run["recipe"]["val_fraction"], run["recipe"]["seed"]
    )
    x_report, y_report, fit_on = x_test, y_test, "the run's validation split"
else:
    fit_half = np.isin(
        np.arange(len(y_test)), stratified_subset(np.arange(len(y_test)), y_test, len(y_test) // 2, SEED)[0]
    )
    x_fit, y_fit, x_report, y_report = x_test[fit_half], y_test[fit_half], x_test[~fit_half], y_test[~fit_half]
    fit_on = "one half of the test set"
print(f"fit on {fit_on} ({len(y_fit):,} images), report on {len(y_report):,} test images")

# %% tags=[]
calibrated = {}
for tta in probs:
    temperature = calibration.fit_temperature(evaluation.predict(model, x_fit, tta=tta), y_fit)
    before = evaluation.predict(model, x_report, tta=tta) if len(y_report) != len(y_test) else probs[tta]
    after = calibration.with_temperature(before, temperature)
    calibrated[tta] = (before, after)
    print(
        f"{tta:<17} T = {temperature:.3f}: ECE {calibration.expected_calibration_error(before, y_report, BINS):.2%} -> "
        f"{calibration.expected_calibration_error(after, y_report, BINS):.2%}; accuracy "
        f"{(before.argmax(1) == y_report).mean():.2%} -> {(after.argmax(1) == y_report).mean():.2%}"
    )

# %% tags=[]
tables = {
    f"{tta}{label}": calibration.reliability_table(p, y_report, BINS)
    for tta, pair in calibrated.items()
    for label, p in zip(("", ", temperature-scaled"), pair)
}
plots.plot_reliability(tables, bins=BINS, save_to=lesson.figure("06_reliability.png"))
plt.show()

# %% [markdown] tags=[]
# Points below the diagonal are bins where the model is more confident than right
# (over-confident), points above it bins where it is right more often than it claims
# (under-confident). The lower panel shows how many predictions each point stands for: a bin of
# a few predictions is a noisy point. Read the lines against the ECE values printed above.
#
# **Abstaining.** A model whose confidence ranks its predictions well can refuse to answer the
# ones it is least sure of. The accuracy on the answered share:

# %% tags=[]
coverage = {tta: calibration.accuracy_by_coverage(p, y_test) for tta, p in probs.items()}
print(
    coverage["mirror_translate"].to_string(
        index=False,
        formatters={"coverage": "{:.0%}".format, "accuracy": "{:.2%}".format, "min_confidence": "{:.3f}".format},
    )
)

# %% tags=[]
plots.plot_accuracy_by_coverage(coverage, save_to=lesson.figure("06_coverage.png"))
plt.show()

# %% [markdown] tags=[]
# `min_confidence` is the threshold that gives each coverage: answering only when the top
# probability is at least that high. Temperature scaling would change these thresholds, and
# since it rescales each image's probabilities on its own it can also change their order
# across images a little (the curve above is for the unscaled probabilities).
#
# ## 3. Corruptions: slightly worse images
#
# Hendrycks & Dietterich (2019) published CIFAR-10-C, the test set under 15 common corruptions
# at 5 severities (plus 4 extra ones). It cannot be downloaded here, so `cifar_lib.corruptions`
# regenerates six of them (five of the 15, and Gaussian blur from the extras) from the test
# images with the severity constants of their CIFAR code (`make_cifar_c.py` in the
# hendrycks/robustness repository), in a few lines each of NumPy, SciPy,
# Pillow and matplotlib's colour conversion:

# %% tags=[]
from cifar_lib import corruptions

show_source(corruptions.gaussian_noise, corruptions.contrast, corruptions.jpeg)

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(
    f"{len(corruptions.CORRUPTIONS)} corruptions: {', '.join(corruptions.CORRUPTIONS)}; "
    f"severities {corruptions.SEVERITIES}"
)

# %% tags=[]
picks = stratified_subset(np.arange(len(y_test)), y_test, min(lesson.profile.corruption_images, len(y_test)), SEED)[0]
x_sample, y_sample = x_test[picks], y_test[picks]
print(f"{len(y_sample):,} test images ({np.bincount(y_sample).min()} to {np.bincount(y_sample).max()} per class)")

# %% tags=[]
corrupted = {
    name: [corruptions.corrupt(x_sample, name, s, seed=SEED) for s in corruptions.SEVERITIES]
    for name in corruptions.CORRUPTIONS
}
plots.plot_corruption_grid(
    x_sample[0],
    {name: [v[0] for v in versions] for name, versions in corrupted.items()},
    save_to=lesson.figure("06_corruption_examples.png"),
)
plt.show()

# %% tags=[]
rows = []
for name, versions in corrupted.items():
    for severity, images in zip(corruptions.SEVERITIES, versions):
        for tta in probs:
            accuracy = evaluation.evaluate(model, images, y_sample, tta=tta)["accuracy"]
            rows.append({"corruption": name, "severity": severity, "tta": tta, "accuracy": accuracy})
robustness = pd.DataFrame(rows)
clean = {tta: evaluation.evaluate(model, x_sample, y_sample, tta=tta)["accuracy"] for tta in probs}
print("clean accuracy on these images:", {tta: f"{a:.2%}" for tta, a in clean.items()})
robustness.pivot_table(index=["corruption", "tta"], columns="severity", values="accuracy", sort=False).map(
    "{:.1%}".format
)

# %% tags=[]
plots.plot_corruption_accuracy(robustness, clean, save_to=lesson.figure("06_corruption_accuracy.png"))
plt.show()

# %% [markdown] tags=[]
# The dotted lines are the accuracy on the same images uncorrupted, one per TTA level (they
# coincide when both are equal). Read the table for the numbers: which corruption costs most at
# severity 5, and how plain and TTA compare under each. The accuracy does not always fall with
# every step of severity: compare the columns of each row. One standard error of a single
# accuracy near the clean one, on this sample, is printed here; it is larger for accuracies
# nearer 50% (about 1.6 points on 1,000 images), and to compare plain with TTA on the same
# images a paired count as in notebook 5 is the better yardstick:

# %% tags=[]
p_clean = clean["none"]
print(
    f"one standard error of an accuracy near {p_clean:.0%} on {len(y_sample):,} images: "
    f"{np.sqrt(p_clean * (1 - p_clean) / len(y_sample)):.1%}"
)

# %% [markdown] tags=[]
# **A closer look at noise.** The whitening layer of notebook 3 divides each of its 2x2-patch
# directions by the square root of how much the training images vary along it, plus a small
# `eps` (5e-4). Directions in which the training images hardly vary are scaled up the most
# (for the weakest two, whose variance is below `eps`, the `eps` caps it, which is why their
# clean spread below is about 0.5), and pixel noise is spread over all directions alike. The spread (standard deviation) of each eigen-filter's output, largest
# eigenvalue first, on the clean sample and under Gaussian noise of severity 1:

# %% tags=[]
import keras

from cifar_lib.data import standardize
from cifar_lib.models.fast import whitening_layer

whiten = whitening_layer(model)
noisy = corrupted["gaussian noise"][0]
for label, images in (("clean", x_sample), ("noise, severity 1", noisy)):
    out = keras.ops.convert_to_numpy(whiten(standardize(images)))[..., :12]  # 12 filters; 12-23 are their negatives
    print(f"{label:<18}", out.reshape(-1, 12).std(axis=0).round(2))

# %% [markdown] tags=[]
# Compare the two rows filter by filter: the ratio is what the noise does to the signal the
# rest of the network receives. That this amplification is what costs the accuracy under noise
# is likely but not tested here: a network without the whitening layer, trained the same way,
# would be the test.
#
# **What the JPEG corruption means here.** This project's copy of CIFAR-10 is already JPEG:
# every image, training and test, was encoded at quality 75 with 4:2:0 chroma subsampling
# (docs/airbench94.md). Severities 1 to 5 re-encode at quality 80, 65, 58, 50 and 40, on top of
# that: the model has trained on JPEG artefacts of quality 75 all along, and quality 80 adds a
# second, milder round of them. On the official CIFAR-10 (lossless PNG-like arrays) the same
# corruption is the model's first contact with JPEG, so the numbers here are not those of
# CIFAR-10-C.
#
# ## 4. Are the labels right?
#
# Northcutt, Athalye & Mueller (2021) found 54 label errors in the official 10,000 test images
# (0.54%) with *confident learning*, the method the `cleanlab` library implements, and
# confirmed them by human review. It needs out-of-sample probabilities: predictions on images
# the model never trained on, which the test set is. `find_label_issues` flags the images whose
# given label the model finds implausible compared with how confident it is per class:

# %% tags=[]
from cleanlab.filter import find_label_issues

issues = find_label_issues(
    labels=y_test, pred_probs=probs["mirror_translate"], return_indices_ranked_by="self_confidence"
)
print(f"{len(issues)} candidates among {len(y_test):,} test images ({len(issues) / len(y_test):.1%})")

# %% tags=[]
shown = issues[:24]
predicted = probs["mirror_translate"].argmax(axis=1)
titles = [
    f"given {CLASS_NAMES[y_test[i]]}\nmodel {CLASS_NAMES[predicted[i]]} {probs['mirror_translate'][i].max():.0%}"
    for i in shown
]
plots.plot_image_grid(
    x_test[shown],
    titles,
    ncols=8,
    save_to=lesson.figure("06_label_issues.png"),
    suptitle="Label-issue candidates, least plausible given label first",
)
plt.show()

# %% [markdown] tags=[]
# Look before you believe: a candidate is an image whose label the *model* doubts. Some of the
# images above may be ambiguous, some mislabelled, and some simply hard for this model; only a
# look (or a human review, as the paper did) can tell. What excluding the candidates would do
# to the accuracy, knowing that it also removes images the model got wrong for its own reasons:

# %% tags=[]
keep = np.ones(len(y_test), dtype=bool)
keep[issues] = False
for tta, p in probs.items():
    print(
        f"{tta:<17} all {correct[tta] / len(y_test):.2%}; without the {len(issues)} candidates "
        f"{(p.argmax(1) == y_test)[keep].mean():.2%} ({keep.sum():,} images)"
    )
right_among = int((predicted[issues] == y_test[issues]).sum())
print(f"the model agrees with the given label on {right_among} of the {len(issues)} candidates")

# %% [markdown] tags=[]
# Removing candidates raises the number by construction, since they are mostly or entirely the
# model's own mistakes (the last line above counts, for the TTA predictions, on how many it
# agrees with the given label): a higher accuracy after removal is not evidence that the labels
# were wrong.
#
# ## Summary
#
# - A test accuracy on n images has a sampling interval, and a recipe has a seed spread; a
#   published number carries both, and differences smaller than them mean little.
# - A reliability diagram and the ECE say whether the confidence can be taken at face value;
#   temperature scaling, one number fitted on held-out data, changes the confidence and never
#   the accuracy.
# - Abstaining on the least confident predictions trades coverage for accuracy.
# - Accuracy under corruptions mostly falls as the severity grows, by how much depending on the
#   corruption; Gaussian noise costs this network the most, far more than the others at low
#   severities, and in the whitening layer's weakest directions that noise comes out about 11
#   to 14 times as large as the clean images' own spread (whether this causes the loss is not
#   tested here).
# - `cleanlab` lists test images whose label the model doubts; a look decides what they are.
#
# ## Exercises
#
# 1. **Fewer bins, more bins.** Compute the ECE of the plain predictions with 5, 15 and 50 bins.
#    Does the number depend on the choice? *Hint:* `calibration.expected_calibration_error(p, y, bins)`.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **A corruption of your own.** Write a "salt and pepper" corruption that sets a random 1%,
#    2%, 3%, 5% and 7% of the pixels to black or white, and measure the accuracy at each rate.
#    *Hint:* `np.random.default_rng(SEED).random(x_sample.shape[:3]) < rate` picks pixels;
#    `evaluation.evaluate(model, images, y_sample)["accuracy"]`.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Which classes does cleanlab doubt?** Count the label-issue candidates per given class.
#    *Hint:* `np.bincount(y_test[issues], minlength=10)`.

# %% tags=[]
# Exercise 3: your code here

# %% [markdown] tags=[]
# ## Solutions
#
# Try the exercises first. These cells run with the rest of the notebook, so their outputs are
# real.
#
# **Exercise 1.**

# %% tags=["solution"]
for bins in (5, 15, 50):
    print(f"{bins:>2} bins: ECE {calibration.expected_calibration_error(probs['none'], y_test, bins):.2%}")

# %% [markdown] tags=[]
# The printed values answer it: 5 and 15 bins agree here because every one of their bins is
# under-confident (the ECE is then just accuracy minus mean confidence); with 50 bins some
# bins flip sign and the ECE rises. The ECE is an estimate whose value depends on the binning,
# so compare ECEs only when they use the same bins on the same images.
#
# **Exercise 2.**


# %% tags=["solution"]
def salt_and_pepper(images: np.ndarray, rate: float, seed: int = SEED) -> np.ndarray:
    """Set a share ``rate`` of the pixels (all three channels) to black or white at random."""
    rng = np.random.default_rng(seed)
    hit = rng.random(images.shape[:3]) < rate
    out = images.copy()
    out[hit] = np.where(rng.random(int(hit.sum())) < 0.5, 0, 255)[:, None]
    return out


for rate in (0.01, 0.02, 0.03, 0.05, 0.07):
    noisy = salt_and_pepper(x_sample, rate)
    print(f"{rate:.0%} of the pixels: accuracy {evaluation.evaluate(model, noisy, y_sample)['accuracy']:.1%}")

# %% [markdown] tags=[]
# Compare the accuracies with the clean accuracy printed in section 3. CIFAR-10-C's impulse
# noise uses the same rates but sets each colour value of a pixel independently, so these
# numbers are not directly comparable with it.
#
# **Exercise 3.**

# %% tags=["solution"]
per_class = np.bincount(y_test[issues], minlength=len(CLASS_NAMES))
for name, count in sorted(zip(CLASS_NAMES, per_class), key=lambda item: -item[1]):
    print(f"{name:<10} {count}")

# %% [markdown] tags=[]
# The classes at the top of this list are those whose given labels the model doubts most
# often; compare with notebook 5's most confused pairs.
#
# **Next:** notebook 7 points the model at photos of your own, shows what it looks at, and
# exports it to formats that run without Keras.
