# %% [markdown] tags=[]
# # 5. Evaluation: how good, and wrong how?
#
# One accuracy number says how often the model is right. It does not say *where* it is wrong,
# whether its mistakes are reasonable (cat vs. dog) or absurd (truck vs. frog), or how
# confident it is when wrong. Here we measure the model trained in notebook 4 on the test set,
# with and without test-time augmentation, and then take its errors apart.
#
# The test set is for reporting, not for tuning: every decision was made before we got here.

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
# the model published with the project.

# %% tags=[]
from pathlib import Path

from cifar_lib import evaluation

candidates = [Path(MODEL_PATH)] if MODEL_PATH else [lesson.run_dir / "model.keras", lesson.root / "models" / "cifar10_quick.keras"]
model_path = next((p for p in candidates if p.exists()), None)
if model_path is None:
    raise FileNotFoundError(f"no model at {', '.join(map(lesson.show_path, candidates))}: run notebook 4 first")
model = evaluation.load_model(str(model_path))
print("model:", lesson.show_path(model_path), f"({model.count_params():,} parameters)")

# %% [markdown] tags=[]
# ## Test-time augmentation (TTA)
#
# We trained the model to be insensitive to flips and small shifts, but it is not perfectly so.
# At test time we can show it several versions of each image and average its answers:
#
# - `none`: the image as it is;
# - `mirror`: the image and its mirror image, averaged;
# - `mirror_translate`: also the image shifted by one pixel up-left and down-right, each with
#   its mirror: six views, weights 0.5 for the unshifted pair, 0.25 for each shifted pair.
#
# The views are averaged as logits. This is the code that makes the views and averages them:

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
# Six views cost six forward passes. airbench measures them as worth about half a point on the
# official data; the line above gives the gain on this model and data. One point on 5,000
# images is 50 images, and a run-to-run difference of half a point is within the noise of a
# single run, so read small differences with care.
#
# From here on we analyse the predictions with full TTA, the way the model is meant to be used.
# A few invariants first: the probabilities are well-formed, and the confusion matrix accounts
# for every test image with its diagonal matching the accuracy.

# %% tags=[]
from cifar_lib import plots, reports

best = results["mirror_translate"]
probabilities, predicted = best["probabilities"], best["predicted"]
cm = reports.confusion(y_test, predicted, num_classes=len(CLASS_NAMES))

# %% tags=[]
# NBVAL_CHECK_OUTPUT
print(f"probabilities: {probabilities.shape[1]} columns, one row per test image: {len(probabilities) / len(x_test):.0%}")
print(f"rows that sum to 1: {np.isclose(probabilities.sum(axis=1), 1.0, atol=1e-4).mean():.0%}")
print(f"confusion matrix: {cm.shape[0]} x {cm.shape[1]}, holding {cm.sum() / len(y_test):.0%} of the test images")
print(f"diagonal / total minus accuracy: {abs(np.trace(cm) / cm.sum() - best['accuracy']):.4f}")

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
# Which mistakes does the model make most often? Counted in both directions (cat called dog
# plus dog called cat):

# %% tags=[]
reports.most_confused_pairs(y_test, predicted, CLASS_NAMES, top=10)

# %% [markdown] tags=[]
# Read the table: on CIFAR-10 the top of such lists is usually cat and dog, then other animals
# among themselves and vehicles among themselves (automobile and truck, airplane and ship).
# Mistakes between classes that look alike are *semantic*; mistakes between unrelated classes
# (a frog called a truck) would point to a problem in the data or the training.

# %% [markdown] tags=[]
# ## A gallery of mistakes
#
# Finally we look at the errors the model was most sure about: true label, predicted label and
# the confidence of the prediction. Some are genuine mistakes, some are ambiguous images, and
# a few are arguably mislabelled in the dataset itself.

# %% tags=[]
mistakes = reports.misclassified(y_test, probabilities, top=N_MISCLASSIFIED)
plots.plot_misclassified(
    x_test[mistakes["index"]], mistakes["true"], mistakes["predicted"], mistakes["confidence"], CLASS_NAMES,
    save_to=lesson.figure("05_misclassified.png"),
)
plt.show()

# %% [markdown] tags=[]
# ## Browse any cell of the confusion matrix
#
# The gallery shows the surest mistakes overall. To see *one* kind of mistake, pick a cell of
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
    shown = members[page * PER_PAGE:(page + 1) * PER_PAGE]
    title = (f"{CLASS_NAMES[true_class]} predicted as {CLASS_NAMES[predicted_class]}: {len(members)} images, "
             f"page {page + 1} of {max(1, -(-len(members) // PER_PAGE))}")
    plots.plot_image_grid(x_test[shown], [f"{probabilities[i, predicted_class]:.0%}" for i in shown], suptitle=title)
    plt.show()


show_cell(cells[0][1])

# %% [markdown] tags=[]
# Now pick any cell; the slider pages through it (run without a reader, as on GitHub, the
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
widgets.VBox([widgets.HBox([cell_picker, page_picker]),
              widgets.interactive_output(show_cell, {"cell": cell_picker, "page": page_picker})])

# %% [markdown] tags=[]
# ## Summary
#
# - Test-time augmentation averages the logits of mirrored and shifted views; its gain here is
#   printed above, next to the noise of a 5,000-image test set.
# - The confusion matrix shows where the errors are; precision, recall and F1 per class say how
#   each class fares; the most confused pairs are mostly classes that look alike.
# - The mistakes the model is surest about include ambiguous and mislabelled images: look at
#   your errors, not only at their count; the cell browser shows any one kind of them.
#
# Where to go from here: train the fast recipe (notebook 4, `RECIPE = "fast"`, best on a GPU)
# and evaluate it here with `MODEL_PATH`; or try airbench's larger siblings, which reach 95-96%
# on the official data with wider networks and more epochs.
#
# ## Exercises
#
# 1. **One direction or both?** The browser shows that cats are called dogs; are dogs called
#    cats as often? For the five most confused pairs, compare the two directions.
#    *Hint:* `cm[a, b]` and `cm[b, a]`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    for _, row in reports.most_confused_pairs(y_test, predicted, CLASS_NAMES, top=5).iterrows():
#        a, b = CLASS_NAMES.index(row["true"]), CLASS_NAMES.index(row["predicted"])
#        print(f"{row['true']} -> {row['predicted']}: {cm[a, b]:>3}   {row['predicted']} -> {row['true']}: {cm[b, a]:>3}")
#    ```
#    Some confusions are nearly symmetric (two classes that look alike), others lean one way:
#    the model has a favourite among the two.
#    </details>
#
# 2. **Confidence when right and when wrong.** Compare the mean top probability of correct and
#    of wrong predictions. Is the model overconfident?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    top = probabilities.max(axis=1)
#    right = predicted == y_test
#    print(f"right: {top[right].mean():.3f}  wrong: {top[~right].mean():.3f}")
#    ```
#    Wrong answers come with clearly lower confidence on average: the probabilities carry
#    information. (Label smoothing in training keeps them from being extreme.)
#    </details>
#
# 3. **Which views matter?** Evaluate with the mirror only, and with the two shifted pairs
#    only, and compare with the table above. *Hint:* average `model(view)` yourself with
#    `evaluation.translate` and `evaluation.mirror`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    import tensorflow as tf
#    x = tf.convert_to_tensor(x_test, tf.float32)
#    views = [evaluation.translate(x, d, d) for d in (-1, 1)]
#    views += [evaluation.mirror(v) for v in views]
#    logits = sum(model.predict(v, batch_size=500, verbose=0) for v in views) / len(views)
#    print(f"shifted views only: {(logits.argmax(1) == y_test).mean():.2%}")
#    ```
#    </details>
#
# **This was the last notebook.** The README lists the commands to train and evaluate from the
# command line, and the benchmarks behind every number.
