# %% [markdown] tags=[]
# # 5. Evaluation: how good, and wrong how?
#
# One accuracy number says how often the model is right. It does not say *where* it is wrong,
# whether its mistakes are reasonable (cat vs. dog) or absurd (truck vs. frog), or how
# confident it is when wrong. Here we measure the model trained in notebook 4 on the test set,
# with and without test-time augmentation, and then take its errors apart.
#
# **What was decided on the test set.** The test set is for reporting. The run of notebook 4
# picked its one tuned setting (label smoothing) by validation accuracy on short runs, on
# images held out of the 50,000 training images, and watched that validation split during
# training. Two things it used were decided on these same test images, though: its time
# budget chose the network and the number of epochs from the frontier, a table of complete
# runs scored on this test set; and the recipe family itself was designed by comparing test
# accuracy, as airbench reports it (README, *The quick recipe*). So the test accuracy below is
# likely optimistic, by an amount nothing here measures. The published model, used when notebook 4 has not been run, is older still: it
# trained on all 50,000 training images with the test set monitored after each epoch, and it
# is the model of the last epoch. The cells that load the model print how many images it
# trained on and which split it watched.
#
# **The test data.** This project's CIFAR-10 is a public JPEG re-encoding (quality 75, 4:2:0
# chroma subsampling) whose test set holds 5,000 of the official 10,000 test images, 500 per
# class; models trained on it are reported to lose 2-3 points against the official data
# (docs/airbench94.md). Compare the accuracies here with airbench's only loosely.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
MODEL_PATH = None  # None: RUN_DIR/model.keras from notebook 4, else the published models/cifar10_quick.keras
N_MISCLASSIFIED = 24  # images in the gallery of mistakes

# %% tags=[]
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% tags=[]
from cifar_lib.data import CLASS_NAMES

data = lesson.load_data(DATA)
x_test, y_test = data.x_test, data.y_test

# %% [markdown] tags=[]
# ## The model
#
# We take the model notebook 4 trained. If there is none (you did not run notebook 4), we use
# the model published with the project. Its run record, where there is one, says on how many
# images it trained and which split it watched during training.

# %% tags=[]
from cifar_lib import evaluation

model_path, run = lesson.find_model(MODEL_PATH)
model = evaluation.load_model(str(model_path))
print("model:", lesson.show_path(model_path), f"({model.count_params():,} parameters)")

# %% tags=[]
if run:
    print(f"trained on {run['n_train']:,} images, monitored on {run['monitored']} ({run['n_val']:,} images)")
else:
    print("no run record beside the model")

# %% [markdown] tags=[]
# ## Test-time augmentation (TTA)
#
# We trained the model to be insensitive to flips and small shifts, but it is not perfectly so.
# At test time we can show it several versions of each image and average its answers:
#
# - `none`: the image as it is;
# - `mirror`: the image and its mirror image, averaged;
# - `mirror_translate`: also the image shifted by one pixel up-left and down-right, each with
#   its mirror: six views. Each of the two unshifted views weighs 0.25 and each of the four
#   shifted views 0.125, so the unshifted pair weighs 0.5 and each shifted pair 0.25.
#
# The views are averaged as logits (as log-probabilities for a model that ends in a softmax).
# This is the code that makes the views and averages them:

# %% tags=[]
from cifar_lib.notebook import show_source

show_source(evaluation.tta_views, evaluation.predict)

# %% tags=[]
# NBVAL_CHECK_OUTPUT
demo = np.zeros((1, 32, 32, 3), "float32")
for level in evaluation.TTA_LEVELS:
    weights = [w for _, w in evaluation.tta_views(demo, level)]
    print(f"{level:<17} {len(weights)} view(s), weights {weights}, sum {sum(weights)}")

# %% tags=[]
import pandas as pd

results = {tta: evaluation.evaluate(model, x_test, y_test, tta=tta) for tta in evaluation.TTA_LEVELS}
gain = results["mirror_translate"]["accuracy"] - results["none"]["accuracy"]
print(f"on {len(y_test):,} test images; 6 views against 1: {gain * 100:+.2f} points")
pd.DataFrame(
    {"TTA": tta, "views": len(evaluation.tta_views(demo, tta)), "test accuracy": f"{r['accuracy']:.2%}"}
    for tta, r in results.items()
).set_index("TTA")

# %% [markdown] tags=[]
# Six views cost six forward passes. docs/airbench94.md puts them at about half a point for
# airbench94 on the official data; the line above gives the gain for this model on this data.
# One point on 5,000 images is 50 images. Which differences are noise? Two different questions:
#
# - *One accuracy* p on n images has a sampling error of sqrt(p(1-p)/n) (one standard error):
#   a fresh draw of n images of the same kind would typically move it by about that much.
# - *The TTA gain* compares the same model on the same images, so it is better judged by
#   counting the images TTA fixed (wrong without it, right with it) and those it broke (right
#   without it, wrong with it): the gain is the difference of the two counts, divided by n.
#   If TTA made no difference on average, an image would be as likely to be fixed as broken,
#   and the two counts would differ by chance by about the square root of their sum (McNemar's
#   test); a difference several times that is not noise.
#
# A second training run (another seed) would land somewhere else again; this notebook does not
# measure by how much.

# %% tags=[]
n_test, p_plain = len(y_test), results["none"]["accuracy"]
print(f"one accuracy on {n_test:,} images: standard error {np.sqrt(p_plain * (1 - p_plain) / n_test):.2%}")
right_plain = results["none"]["predicted"] == y_test
right_tta = results["mirror_translate"]["predicted"] == y_test
fixed, broke = int(np.sum(~right_plain & right_tta)), int(np.sum(right_plain & ~right_tta))
print(
    f"6-view TTA against none: fixed {fixed} images, broke {broke}; the difference, {fixed - broke}, is "
    f"{(fixed - broke) / max(np.sqrt(fixed + broke), 1):.1f} times the square root of their sum"
)

# %% [markdown] tags=[]
# From here on we analyse the predictions with full TTA (`mirror_translate`), airbench's
# setting (docs/airbench94.md); the code takes it whatever the table above shows, so the table
# chooses nothing. A few invariants first: the probabilities are well-formed, and the
# confusion matrix accounts for every test image with its diagonal matching the accuracy.

# %% tags=[]
from cifar_lib import plots, reports

best = results["mirror_translate"]
probabilities, predicted = best["probabilities"], best["predicted"]
cm = reports.confusion(y_test, predicted, num_classes=len(CLASS_NAMES))

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(f"probabilities: {probabilities.shape[1]} columns, one row per test image: {len(probabilities) == len(x_test)}")
print(f"every row sums to 1: {np.isclose(probabilities.sum(axis=1), 1.0, atol=1e-4).all()}")
print(f"confusion matrix: {cm.shape[0]} x {cm.shape[1]}, holding every test image: {cm.sum() == len(y_test)}")
print(f"diagonal / total equals the accuracy: {np.isclose(np.trace(cm) / cm.sum(), best['accuracy'])}")

# %% [markdown] tags=[]
# ## The confusion matrix
#
# Row *i*, column *j* counts the test images of class *i* that the model called *j*; the
# diagonal holds the correct answers. Counts show where the errors are in absolute terms; the
# row-normalized version shows, for each true class, how its images were labelled (the
# diagonal is then the per-class recall).

# %% tags=[]
plots.plot_confusion_matrix(cm, CLASS_NAMES, save_to=lesson.figure("05_confusion_matrix.png"))
plt.show()

# %% tags=[]
cm_fraction = reports.confusion(y_test, predicted, num_classes=len(CLASS_NAMES), normalize="true")
plots.plot_confusion_matrix(
    cm_fraction, CLASS_NAMES, normalize=True, save_to=lesson.figure("05_confusion_matrix_normalized.png")
)
plt.show()

# %% [markdown] tags=[]
# ## Precision, recall and F1 per class
#
# *Precision* of a class: of the images the model called "cat", how many were cats.
# *Recall*: of the cats, how many the model found. F1 is their harmonic mean. On a balanced
# test set, accuracy is the average recall.

# %% tags=[]
print(reports.classification_text(y_test, predicted, CLASS_NAMES))  # scikit-learn's classification report

# %% tags=[]
per_class = reports.per_class_accuracy(y_test, predicted, CLASS_NAMES)
plots.plot_per_class_accuracy(per_class, save_to=lesson.figure("05_per_class_accuracy.png"))
plt.show()

# %% [markdown] tags=[]
# ## The most confused pairs
#
# Which mistakes does the model make most often? First one direction at a time: each row is
# one cell of the confusion matrix (true class called the predicted class). Rows tied with the
# tenth are all kept, so the table may have more than ten rows.

# %% tags=[]
reports.most_confused_pairs(y_test, predicted, CLASS_NAMES, top=10)

# %% [markdown] tags=[]
# Counted in both directions (cat called dog plus dog called cat), one row per pair of
# classes, ties kept the same way:

# %% tags=[]
reports.confused_pairs_both_ways(y_test, predicted, CLASS_NAMES, top=10)

# %% [markdown] tags=[]
# Read the tables: are the pairs at the top classes that look alike (two animals, two
# vehicles)? Such mistakes are *semantic*: the classes share shapes, textures or backgrounds.
# Mistakes across the animal/vehicle divide are not semantic in that sense, though some may
# share a background (a bird and an airplane against the sky). The cell below counts them:

# %% tags=[]
is_vehicle = np.isin(CLASS_NAMES, ["airplane", "automobile", "ship", "truck"])
wrong = predicted != y_test
crossing = wrong & (is_vehicle[y_test] != is_vehicle[predicted])
print(
    f"{wrong.sum()} errors, {crossing.sum()} of them ({crossing.sum() / max(1, wrong.sum()):.0%}) across the divide: "
    f"{np.sum(crossing & ~is_vehicle[y_test])} animals called vehicles, {np.sum(crossing & is_vehicle[y_test])} the other way"
)

# %% [markdown] tags=[]
# ## A gallery of mistakes
#
# Finally we look at the errors the model was most sure about: true label, predicted label and
# the confidence of the prediction. Look at each: is it a mistake a person would not make, an
# image that is hard to call, or one whose label you would dispute? This notebook does not
# check the dataset's labels, so that judgement is yours. Look also for the mistakes across
# the animal/vehicle divide counted above.

# %% tags=[]
mistakes = reports.misclassified(y_test, probabilities, top=N_MISCLASSIFIED)
plots.plot_misclassified(
    x_test[mistakes["index"]],
    mistakes["true"],
    mistakes["predicted"],
    mistakes["confidence"],
    CLASS_NAMES,
    save_to=lesson.figure("05_misclassified.png"),
)
plt.show()

# %% [markdown] tags=[]
# ## Browse any cell of the confusion matrix
#
# The gallery shows the surest mistakes overall. To see *one* kind of mistake, pick a non-empty cell of
# the confusion matrix: its true class and the class the model predicted, listed by count,
# mistakes first (the correct cells come last). Each image shows its predicted probability for
# that class, most confident first. The static figure is the most frequent mistake:

# %% tags=[]
PER_PAGE = 16
cells = reports.confusion_cells(cm, CLASS_NAMES)


def show_cell(cell, page=0):
    """One page of the test images in a confusion-matrix cell (true class, predicted class)."""
    true_class, predicted_class = cell
    members = reports.cell_members(y_test, probabilities, true_class, predicted_class)
    shown = members[page * PER_PAGE : (page + 1) * PER_PAGE]
    title = (
        f"{CLASS_NAMES[true_class]} predicted as {CLASS_NAMES[predicted_class]}: {len(members)} images, "
        f"page {page + 1} of {max(1, -(-len(members) // PER_PAGE))}"
    )
    plots.plot_image_grid(x_test[shown], [f"{probabilities[i, predicted_class]:.0%}" for i in shown], suptitle=title)
    plt.show()


show_cell(cells[0][1])

# %% [markdown] tags=[]
# Now pick any non-empty cell; the slider pages through it (run without a reader, as on GitHub, the
# notebook shows only the figure above):

# %% tags=[]
import ipywidgets as widgets

cell_picker = widgets.Dropdown(options=cells, description="true -> predicted", style={"description_width": "initial"})
page_picker = widgets.IntSlider(value=0, min=0, max=0, description="page")


def on_new_cell(change=None):  # a new cell starts at its first page, and has its own page count
    page_picker.max = max(0, -(-int(cm[cell_picker.value]) // PER_PAGE) - 1)
    page_picker.value = 0


cell_picker.observe(on_new_cell, names="value")
on_new_cell()
widgets.VBox(
    [
        widgets.HBox([cell_picker, page_picker]),
        widgets.interactive_output(show_cell, {"cell": cell_picker, "page": page_picker}),
    ]
)

# %% [markdown] tags=[]
# ## Summary
#
# - The test set measures a model here; notebook 4 tuned its setting on a validation split,
#   but its time budget's frontier and the recipe's design were scored on the test set, so
#   its test accuracy is likely optimistic (by an amount not measured).
# - Test-time augmentation averages the logits of mirrored and shifted views; its gain is
#   printed above, with the images it fixed and broke, next to the standard error of one
#   accuracy on the test set.
# - The confusion matrix shows where the errors are; precision, recall and F1 per class say how
#   each class fares; the confused pairs are counted one direction at a time and both ways, and
#   the errors across the animal/vehicle divide are counted.
# - The gallery shows the mistakes the model is surest about, and the cell browser any one kind
#   of them: look at your errors, not only at their count.
#
# Where to go from here: train the fast recipe (notebook 4, `RECIPE = "fast"`, best on a GPU)
# and evaluate it here with `MODEL_PATH`; or try airbench's larger siblings (in Keller Jordan's
# cifar10-airbench repository, not in this project), which reach 95.01%
# (airbench95) and 96.03% (airbench96) on the official data with wider networks and more
# epochs (docs/airbench94.md); on this JPEG copy expect less, as it is reported to cost 2-3
# points.

# %% [markdown] tags=[]
# ## Exercises
#
# 1. **One direction or both?** The browser opens on the most frequent mistake, one direction
#    of one pair of classes. Is the opposite direction as frequent? Then, for the five pairs
#    most confused in both directions, say how evenly their errors split between the two
#    directions.
#    *Hint:* `cells[0][1]` is the (true, predicted) cell the browser opens on, and `cm[b, a]`
#    the opposite of `cm[a, b]`; `reports.confused_pairs_both_ways(..., top=5)` has the
#    columns `a_as_b`, `b_as_a` and `total`.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **Is the model overconfident?** Compare the mean confidence of the 6-view TTA predictions
#    used since the invariants above (`probabilities`: the mean top probability) with their
#    accuracy: a mean confidence above the accuracy means overconfident
#    on average, below it underconfident. Then compare the mean confidence of the right and of
#    the wrong answers.
#    *Hint:* `probabilities.max(axis=1)` is the confidence of each prediction and
#    `predicted == y_test` marks the right ones.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Which views matter?** Evaluate with the mirrored image alone (one view), and with the two
#    shifted pairs alone (four views, without the unshifted image and its mirror), and compare
#    with the table above.
#    *Hint:* `evaluation.translate(x, d, d)` shifts and `evaluation.mirror(x)` mirrors a
#    float32 tensor of images; average the model's logits over the views yourself
#    (`model.predict(view)`) and take the argmax.

# %% tags=[]
# Exercise 3: your code here

# %% [markdown] tags=[]
# ## Solutions
#
# Try the exercises first. These cells run with the rest of the notebook, so their outputs are
# real.

# %% [markdown] tags=[]
# **Exercise 1.** The browser's first cell against its opposite, then the five pairs most
# confused both ways (pairs tied with the fifth are kept too), with the share of each pair's
# errors that goes the more frequent way.

# %% tags=["solution"]
(first_true, first_predicted) = cells[0][1]
print(
    f"{CLASS_NAMES[first_true]} -> {CLASS_NAMES[first_predicted]}: {cm[first_true, first_predicted]}   "
    f"{CLASS_NAMES[first_predicted]} -> {CLASS_NAMES[first_true]}: {cm[first_predicted, first_true]}"
)

# %% tags=["solution"]
pairs_both = reports.confused_pairs_both_ways(y_test, predicted, CLASS_NAMES, top=5)
pairs_both["larger_share"] = pairs_both[["a_as_b", "b_as_a"]].max(axis=1) / pairs_both["total"]
pairs_both

# %% [markdown] tags=[]
# `larger_share` is 0.5 for a pair whose errors split evenly between the two directions and
# 1.0 for a pair confused one way only; the table shows where each of the top pairs lies.

# %% [markdown] tags=[]
# **Exercise 2.** The mean confidence against the accuracy, then the mean confidence of the
# right and of the wrong answers.

# %% tags=["solution"]
top_probability = probabilities.max(axis=1)
is_right = predicted == y_test
verdict = "over" if top_probability.mean() > is_right.mean() else "under"
print(f"mean confidence {top_probability.mean():.2%}, accuracy {is_right.mean():.2%}: {verdict}confident on average")
print(
    f"mean confidence when right {top_probability[is_right].mean():.2%}, when wrong {top_probability[~is_right].mean():.2%}"
)

# %% [markdown] tags=[]
# The first line answers the question for the TTA predictions on average over the test set
# (averaging the views changes the confidence too, so the plain predictions may come out
# differently; notebook 6 measures both); the second shows how much
# lower the mean confidence is on the wrong answers than on the right ones.

# %% [markdown] tags=[]
# **Exercise 3.** The views as `evaluation.tta_views` makes them, averaged with equal weights
# (the four shifted views have equal weights in `mirror_translate` too); for a model that ends
# in a softmax, log-probabilities are averaged instead of logits, as `evaluation.predict` does.

# %% tags=["solution"]
import tensorflow as tf

from cifar_lib.models import outputs_logits

x_views = tf.convert_to_tensor(x_test, tf.float32)


def accuracy_of_views(views):
    """Test accuracy with the model's logits (log-probabilities for a softmax model) averaged over views."""
    scores = [model.predict(view, batch_size=500, verbose=0) for view in views]
    if not outputs_logits(model):
        scores = [np.log(np.maximum(s, 1e-12)) for s in scores]
    return np.mean(np.mean(scores, axis=0).argmax(axis=1) == y_test)


shifted_views = [evaluation.translate(x_views, d, d) for d in (-1, 1)]
view_sets = {
    "mirrored image alone": [evaluation.mirror(x_views)],
    "shifted pairs alone": shifted_views + [evaluation.mirror(v) for v in shifted_views],
}
for name, views in view_sets.items():
    print(f"{name:<22} {len(views)} view(s): {accuracy_of_views(views):.2%}")
for tta, r in results.items():
    print(f"{tta:<22} {len(evaluation.tta_views(demo, tta))} view(s): {r['accuracy']:.2%} (the table above)")

# %% [markdown] tags=[]
# The lines compare each set of views on the same test images: the mirrored image alone
# against the image alone (`none`), and the shifted pairs alone against the full six views.

# %% [markdown] tags=[]
# **Next:** notebook 6 asks how far this model can be trusted: how much of its accuracy is
# luck, whether its confidence means anything, how it fares on worse images, and whether the
# test labels are right.
