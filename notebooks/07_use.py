# %% [markdown] tags=[]
# # 7. Using the model: your own photos, what it looks at, and taking it elsewhere
#
# A trained model is only useful outside its notebook. Here we point it at photographs that
# never were in CIFAR-10, look at which pixels made it decide, and export it to formats that
# run without Keras or this library: a TensorFlow SavedModel (servers), LiteRT (phones and
# small devices) and ONNX (other runtimes), checking that each export gives the same answers.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
MODEL_PATH = None  # None: RUN_DIR/model.keras from notebook 4, else the published models/cifar10_quick.keras
PHOTOS = None  # None: photographs that ship with scikit-image; or a list of your own image files or folders

# %% tags=[]
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% tags=[]
from cifar_lib import evaluation, plots
from cifar_lib.data import CLASS_NAMES

model_path, run = lesson.find_model(MODEL_PATH)
model = evaluation.load_model(str(model_path))
print("model:", lesson.show_path(model_path))

# %% [markdown] tags=[]
# ## 1. Your own photos
#
# scikit-image ships a few photographs with its code, so they are on every machine that has it
# installed. One is a cat, one a horse (a black silhouette), and three show things that are
# not among the ten classes at all. We save them as files, the way your own photos would
# arrive:

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from pathlib import Path

import skimage.data
from PIL import Image

photo_dir = lesson.run_dir / "photos"
photo_dir.mkdir(parents=True, exist_ok=True)
samples = {
    "chelsea the cat": skimage.data.chelsea(),
    "horse silhouette": skimage.data.horse(),
    "astronaut": skimage.data.astronaut(),
    "rocket": skimage.data.rocket(),
    "coffee": skimage.data.coffee(),
}
for name, array in samples.items():
    image = Image.fromarray(array if array.dtype == np.uint8 else (array * 255).astype(np.uint8))
    image.save(photo_dir / f"{name.replace(' ', '_')}.png")
photo_paths = [Path(p) for p in PHOTOS] if PHOTOS else sorted(photo_dir.glob("*.png"))
print(len(photo_paths), "photos:", ", ".join(p.name for p in photo_paths))

# %% [markdown] tags=[]
# The network takes 32x32 pixels. A photo of any size is cut to a centred square (the middle
# of a wide photo, the middle of a tall one) and shrunk to 32x32 by averaging: each output
# pixel is the mean of the block of input pixels it covers (Pillow's BOX filter). Before that,
# the function below turns a phone photo stored sideways upright, puts a transparent image on
# white and converts to RGB; `python -m cifar_lib predict` uses the same function:

# %% tags=[]
from cifar_lib import predict
from cifar_lib.notebook import show_source

show_source(predict.to_model_input)

# %% tags=[]
# NBVAL_CHECK_OUTPUT
cat = Image.open(photo_dir / "chelsea_the_cat.png")
converted = predict.to_model_input(cat)
print(f"{cat.width}x{cat.height} {cat.mode} photo -> {converted.shape} {converted.dtype}")

# %% tags=[]
results = predict.predict_images(model, photo_paths, tta="mirror_translate", top=3)
for r in results:
    print(predict.format_result(dict(r, path=Path(r["path"]).name)))

# %% tags=[]
from PIL import ImageOps

shown = [r for r in results if "top" in r]  # the files that were images (folders expanded)
originals = [np.asarray(ImageOps.exif_transpose(Image.open(r["path"])).convert("RGB")) for r in shown]
inputs = np.stack([predict.to_model_input(Image.open(r["path"])) for r in shown])
top3 = [[(t["class"], t["probability"]) for t in r["top"]] for r in shown]
plots.plot_predictions(
    originals, inputs, top3, [Path(r["path"]).stem for r in shown], save_to=lesson.figure("07_own_photos.png")
)
plt.show()

# %% [markdown] tags=[]
# Read the printed lines against what each photo shows. The model has no "none of these"
# answer: its ten probabilities always add up to 1, so an astronaut, a rocket or a cup of
# coffee is still given to one of the ten classes; how confidently, the bars show. A threshold
# on the confidence (notebook 6, "Abstaining") is the simplest guard, and it fails whenever an
# unknown object looks confidently like a known one. The 32x32 column shows what survives the
# square crop and the shrinking (a wide photo loses its sides).
#
# ## 2. What does the network look at?
#
# *Grad-CAM* asks, for one class, which positions of a layer's feature maps raised
# that class's score: it weights each feature map by the average gradient of the class's logit
# with respect to it, adds them up and keeps the positive part. A few lines of `GradientTape`:

# %% tags=[]
from cifar_lib import explain

show_source(explain.grad_cam)

# %% [markdown] tags=[]
# The default layer is the last of the second group, whose feature maps are 7x7 (the third
# group's are 3x3, too coarse to show much); the map is enlarged to 32x32 (bilinear), for
# display and for the covering check below, so it is blurry by construction. First on test images the model got right, a random sample:

# %% tags=[]
data = lesson.load_data(DATA)
test_probs = evaluation.predict(model, data.x_test)
predicted = test_probs.argmax(axis=1)
rng = np.random.default_rng(SEED)
right = rng.choice(np.flatnonzero(predicted == data.y_test), 8, replace=False)
plots.plot_grad_cam(
    data.x_test[right],
    explain.grad_cam(model, data.x_test[right]),
    [CLASS_NAMES[predicted[i]] for i in right],
    save_to=lesson.figure("07_grad_cam_right.png"),
    suptitle="Grad-CAM of the predicted class, correct predictions",
)
plt.show()

# %% [markdown] tags=[]
# And on the most confident mistakes of these plain predictions (notebook 5's gallery ranks
# the TTA predictions, so the ranking and the confidences differ from it, even where the
# images are the same), for the class the model wrongly chose:

# %% tags=[]
from cifar_lib.reports import misclassified

worst = misclassified(data.y_test, test_probs, top=8)["index"].to_numpy()
plots.plot_grad_cam(
    data.x_test[worst],
    explain.grad_cam(model, data.x_test[worst]),
    [f"{CLASS_NAMES[data.y_test[i]]} called\n{CLASS_NAMES[predicted[i]]} {test_probs[i].max():.0%}" for i in worst],
    save_to=lesson.figure("07_grad_cam_mistakes.png"),
    suptitle="Grad-CAM of the wrongly predicted class, most confident mistakes",
)
plt.show()

# %% [markdown] tags=[]
# A map is a picture of a computation, not a proof. Before reading the maps, check that they
# point at pixels that matter: cover the quarter of each image's pixels that Grad-CAM marks
# most strongly (with the image's mean colour) and, separately, the quarter it marks least
# (ties, such as the zeros the ReLU leaves, broken at random), and see how much the predicted
# class's probability falls.

# %% tags=[]
show_source(explain.cover)

# %% tags=[]
sample = rng.choice(len(data.x_test), min(500, len(data.x_test)), replace=False)
x, chosen = data.x_test[sample].astype("float32"), predicted[sample]
maps = explain.grad_cam(model, x)
drop = {}
for label, most in (("most marked quarter", True), ("least marked quarter", False)):
    covered = explain.cover(x, maps, 0.25, most=most, seed=SEED)
    after = evaluation.predict(model, covered)[np.arange(len(x)), chosen]
    drop[label] = float((test_probs[sample, chosen] - after).mean())
    print(f"covering the {label}: mean probability of the predicted class falls by {drop[label]:.3f}")

# %% [markdown] tags=[]
# If the maps mean something, covering the most marked quarter costs the prediction more than
# covering the least marked one; the two printed numbers say whether it does here, on average
# over these images. For single images, read the maps with that average in mind.
#
# ## 3. Taking the model elsewhere
#
# Keras exports a trained model with `model.export(path, format=...)`: "tf_saved_model" and
# "litert" work for this model as they are. Keras' own "onnx" export does not: its converter
# (tf2onnx) leaves the exact GELU's `Erfc` operation unconverted, so onnxruntime refuses the
# file, and it also makes the normalization constants extra inputs of the model. Calling tf2onnx's
# `from_keras` directly, with one input (`images`) and a short handler that writes Erfc(x) as
# 1 - Erf(x) (ONNX has Erf), gives a model that runs (the cell after the exports shows Keras'
# own ONNX file: its inputs, and onnxruntime's refusal). Each export is then loaded by its own runtime, without Keras' model code or
# this library's custom layers: TensorFlow's SavedModel loader, the `ai-edge-litert`
# interpreter for LiteRT (formerly TensorFlow Lite), and `onnxruntime` for ONNX.

# %% tags=[]
from cifar_lib import export

show_source(export._write, export._erfc_as_one_minus_erf)

# %% tags=[]
export_dir = lesson.run_dir / "exported"
targets = {
    "saved_model": export_dir / "saved_model",
    "litert": export_dir / "model.tflite",
    "onnx": export_dir / "model.onnx",
}
exported = {}
for fmt, target in targets.items():
    try:
        exported[fmt] = export.export_model(model, fmt, target)
        print(f"{fmt:<12} {lesson.show_path(exported[fmt])}")
    except export.ExportError as problem:
        print(f"{fmt:<12} not exported: {problem}")

# %% [markdown] tags=[]
# Keras' own ONNX export, for comparison, loaded by onnxruntime:

# %% tags=[]
import warnings

import onnx
import onnxruntime

keras_onnx = export_dir / "keras_own.onnx"
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # quiet a FutureWarning of the converter
    model.export(str(keras_onnx), format="onnx", verbose=False)
print("its inputs:", [i.name for i in onnx.load(str(keras_onnx)).graph.input])
try:
    onnx_runtime = onnxruntime.InferenceSession(str(keras_onnx))
    print("inputs:", [i.name for i in onnx_runtime.get_inputs()])
except Exception as refusal:  # onnxruntime's own error
    print("onnxruntime refuses it:", str(refusal).split(" : ")[-1][:160])

# %% [markdown] tags=[]
# **Does the export give the same answers?** Each export, in its own runtime, on test images,
# against Keras: how often the top class agrees, and the largest difference in any probability.

# %% tags=[]
from scipy.special import softmax

check = rng.choice(len(data.x_test), min(1000, len(data.x_test)), replace=False)
reference = test_probs[check]
for fmt, path in exported.items():
    run_exported = export.load_exported(path)
    logits = np.concatenate(
        [run_exported(data.x_test[check[i : i + 100]].astype("float32")) for i in range(0, len(check), 100)]
    )
    probs = softmax(logits, axis=1)
    agree = (probs.argmax(axis=1) == reference.argmax(axis=1)).mean()
    print(
        f"{fmt:<12} same class on {agree:.2%} of {len(check):,} test images; "
        f"largest probability difference {np.abs(probs - reference).max():.1e}"
    )

# %% [markdown] tags=[]
# `benchmarks/export_formats.py` measures each format's size on disk and how long one image
# takes in its runtime on this machine; the README lists its figures for the published quick
# model on a 2-core AMD EPYC at 2.45 GHz. Loading an export needs
# only its runtime, for example a SavedModel:
#
# ```python
# import tensorflow as tf
# served = tf.saved_model.load("exported/saved_model")
# logits = served.serve(images_float32_0_to_255)  # shape (N, 10)
# ```
#
# ## Summary
#
# - A photo becomes the model's input by a centred square crop and area-averaging to 32x32;
#   `python -m cifar_lib predict` does the same.
# - The model always answers with one of its ten classes; pictures of other things get one too.
# - Grad-CAM shows where a layer's features raised a class's score; covering the marked pixels
#   tests whether the maps point at what matters.
# - `model.export` writes SavedModel and LiteRT files, tf2onnx's `from_keras` (one input, a
#   handler for Erfc) the ONNX file; each runs in its own runtime, and a parity check against Keras belongs with
#   every export.
#
# ## Exercises
#
# 1. **Your own photo.** Predict a photo of your own (set `PHOTOS`, or use any file). Here: the
#    cat photo flipped left to right. Does the answer change? *Hint:*
#    `Image.open(path).transpose(Image.Transpose.FLIP_LEFT_RIGHT)` and `predict.to_model_input`.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **A deeper layer.** Compute Grad-CAM at the third group's last layer (`"group3_gelu2"`)
#    for the correct predictions above and compare the maps. *Hint:* `explain.grad_cam(..., layer=...)`.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Crop or squash?** Instead of the centred square crop, squash the whole cat photo to
#    32x32 (Pillow's `resize` on the full image) and compare the top-3 answer. *Hint:*
#    `Image.open(path).convert("RGB").resize((32, 32), Image.BOX)`.

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
cat_path = photo_dir / "chelsea_the_cat.png"
for label, image in (
    ("as is", Image.open(cat_path)),
    ("flipped", Image.open(cat_path).transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
):
    p = evaluation.predict(model, predict.to_model_input(image)[None])[0]
    top3 = np.argsort(-p)[:3]
    print(f"{label:<8}", ", ".join(f"{CLASS_NAMES[c]} {p[c]:.1%}" for c in top3))

# %% [markdown] tags=[]
# These are plain predictions (no TTA), so the first line differs from the 6-view TTA answer
# printed in section 1. The network was trained on mirrored images as well as the originals
# (notebook 2), but that does not make it mirror-symmetric: compare the two lines. The
# "mirror" level of TTA (notebook 5) is related but not the same: it mirrors the 32x32 input
# made from the unflipped photo (for this photo the flipped crop sits one pixel off, as its
# 151-pixel margin is odd) and averages the two views' logits, not these printed lines.
#
# **Exercise 2.**

# %% tags=["solution"]
plots.plot_grad_cam(
    data.x_test[right],
    explain.grad_cam(model, data.x_test[right], layer="group3_gelu2"),
    [CLASS_NAMES[predicted[i]] for i in right],
    suptitle="Grad-CAM at group3_gelu2 (3x3)",
)
plt.show()

# %% [markdown] tags=[]
# The third group's maps have 3x3 positions, so a map can say no more than which of nine coarse
# regions of the image weighed most (the second group's maps above have 7x7).
#
# **Exercise 3.**

# %% tags=["solution"]
for label, image in (
    ("centre crop", predict.to_model_input(Image.open(cat_path))),
    ("squashed", np.asarray(Image.open(cat_path).convert("RGB").resize((32, 32), Image.BOX))),
):
    p = evaluation.predict(model, image[None])[0]
    print(f"{label:<12}", ", ".join(f"{CLASS_NAMES[c]} {p[c]:.1%}" for c in np.argsort(-p)[:3]))

# %% [markdown] tags=[]
# Plain predictions again (no TTA). The photo is wider than tall, so squashing it changes the
# cat's proportions while the crop cuts its sides off; the printed lines show what each does
# to the answer for this photo.
#
# **This is the last notebook.** The README lists the commands to train, evaluate, predict,
# export and benchmark from the command line, and the benchmarks behind its measured numbers.
