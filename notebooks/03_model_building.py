# %% [markdown] tags=[]
# # 3. Two networks: a big plain CNN and a small fast one
#
# Both models take images as they come, float pixels in 0..255 of shape (32, 32, 3), and
# normalize them *inside* the model. A saved model is therefore self-contained: there is no
# preprocessing step to forget at prediction time.
#
# - **baseline**: the network of the Keras script this project started from (its "seed").
#   Five 3x3 convolutions (128 to 512 channels) with max-pooling and dropout, then three dense
#   layers of 512, 256 and 128 units, then softmax. About 7.3 million parameters.
# - **fast**: airbench94 (Keller Jordan, 2024). A frozen 2x2 *whitening* convolution, then three
#   groups of convolution, pooling, batch normalization and GELU (64, 256, 256 channels), then
#   a single linear layer. About 2 million parameters.
# - **quick**: the same fast network with fewer channels, sized so that a 2-core CPU trains
#   it in minutes (notebook 4).
#
# Why would the smaller networks win? We read their code, then look at where the parameters
# and the computation go.

# %% tags=["parameters"]
PROFILE = None  # None: $CIFAR_PROFILE, else "full" (the real thing); "ci" is a smoke test
DATA = None  # None: $CIFAR10_DATA, else the official download; or a path (JPEG tree, tar.gz, folder)
RUN_DIR = None  # None: runs/pipeline-<profile>/ in the project
FIGURES_DIR = None  # None: figures/ in a full run, RUN_DIR/figures in ci (committed figures stay untouched)
SEED = 0  # seeds Python, NumPy, TensorFlow and Keras
BATCH = 8  # images in the demo forward pass

# %% tags=[]
import numpy as np

from cifar_lib.notebook import setup

lesson = setup(PROFILE, run_dir=RUN_DIR, figures_dir=FIGURES_DIR, seed=SEED)

# %% [markdown] tags=[]
# We need a few images: to estimate the whitening layer and to push through the networks. The
# whole dataset loads from the cache in a second, whatever the profile.

# %% tags=[]
data = lesson.load_data(DATA, shrink=False)

# %% [markdown] tags=[]
# ## The baseline model
#
# This is the code that builds it, shown from the library (`show_source` prints a function's
# own source, so what you read is what runs):

# %% tags=[]
from cifar_lib import models
from cifar_lib.notebook import show_source

show_source(models.baseline.build_baseline_model)

# %% tags=[]
import keras

keras.backend.clear_session()  # fresh layer names every time this runs
baseline_model = models.build_model("baseline")
baseline_model.summary()

# %% [markdown] tags=[]
# A table of the same facts is easier to analyse. Note the `Flatten` layer: the last pooling
# leaves 4x4x256 = 4,096 numbers per image, and the first dense layer connects each of them to
# 512 units: over 2 million weights in a single layer, which sees the whole image at once and
# so learns position-specific patterns that do not generalize well.

# %% tags=[]
import pandas as pd


def layer_table(model):
    """One row per layer: name, type, output shape (without the batch axis), parameters."""
    return pd.DataFrame(
        {"name": layer.name, "type": type(layer).__name__,
         "output shape": str(tuple(layer.output.shape[1:])), "params": layer.count_params()}
        for layer in model.layers
    )


# %% tags=[]
# NBVAL_CHECK_OUTPUT
baseline_table = layer_table(baseline_model)
print(baseline_table.to_string(index=False))
dense = baseline_table.loc[baseline_table["type"] == "Dense", "params"].sum()
print(f"\n{dense / baseline_table['params'].sum():.1%} of the parameters are in dense layers")

# %% [markdown] tags=[]
# ## The fast model
#
# The fast model is built from ideas that each make training converge in fewer steps:
#
# - **Whitening.** Neighbouring pixels and the three colour channels are strongly correlated.
#   The first layer is a 2x2 convolution whose 24 filters are the eigenvectors of the 2x2x3
#   patch covariance (and their negatives), scaled to unit variance, then frozen. Its output is
#   decorrelated, so the next layers start from a better-conditioned problem.
# - **Batch normalization** after every convolution keeps activations well-scaled at any depth
#   and allows a huge learning rate.
# - **Identity (Dirac) initialization**: each convolution starts close to passing its input
#   through, so the untrained network already carries the signal.
# - **No big dense layer**: after the last group a 3x3 max-pool leaves a few numbers per
#   channel, and a single linear layer (no bias) maps them to 10 logits, scaled by 1/9.
#
# The whole network, as the library builds it:

# %% tags=[]
show_source(models.fast.build_fast_model, models.fast._conv_group)

# %% [markdown] tags=[]
# ### The whitening initialisation
#
# Before training, the engine estimates the patch covariance from 5,000 training images and
# sets the whitening kernel from its eigenvectors. The images are drawn **at random**: an
# image-folder copy is sorted by class, and the first 5,000 would all be airplanes, whose
# sky-heavy patches are not the dataset's (notebook 1).

# %% tags=[]
from cifar_lib.training import engine

show_source(engine.whitening_sample, models.fast.Whitening.init_from_images, models.fast.patch_matrix)

# %% [markdown] tags=[]
# Let's check what it does: initialised from 1,000 random images, what does the layer output on
# 500 *other* images?

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from cifar_lib.data import standardize

fast_model = models.build_model("fast")
whiten = models.fast.whitening_layer(fast_model)
rng = np.random.default_rng(SEED)
picks = rng.permutation(len(data.x_train))
whiten.init_from_images(standardize(engine.whitening_sample(data.x_train[picks[:2000]], 1000, SEED)))
out = keras.ops.convert_to_numpy(whiten(standardize(data.x_train[picks[-500:]])))
channels = out[..., :12].reshape(-1, 12)  # the 12 eigen-filters (the other 12 are their negatives)
cov = np.cov(channels, rowvar=False)
corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
print("output channels:", out.shape[-1])
print("variance of each eigen-filter's output, strongest first:", np.diag(cov).round(2))
print(f"largest correlation between two filters: {np.abs(corr - np.eye(12)).max():.2f}")

# %% [markdown] tags=[]
# The filters' outputs are nearly uncorrelated on images the covariance was not estimated
# from, and the strong directions come out with unit variance. The weak ones come out smaller:
# each eigenvalue gets `eps` = 5e-4 added before the square root, which damps directions whose
# variance is of that order (fine, noisy detail; the JPEG copy has even less of it). The
# network's first layer hands the rest a decorrelated signal with its noise turned down.
#
# Now the summary and the table of the fast network, and of the quick one (same code, fewer
# channels):

# %% tags=[]
fast_model.summary()

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from cifar_lib.training import get_recipe

quick_model = models.build_model("fast", **get_recipe("quick").model_options())
print(layer_table(fast_model).to_string(index=False))
print("\nquick: the same layers with widths", get_recipe("quick").widths)

# %% tags=[]
# NBVAL_CHECK_OUTPUT
networks = {"baseline": baseline_model, "fast": fast_model, "quick": quick_model}
for name, model in networks.items():
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"{name:<9} {model.count_params():>10,} parameters ({trainable:,} trainable)")

# %% [markdown] tags=[]
# ## Computation
#
# Parameters measure memory; floating-point operations (FLOPs) measure work. For a convolution
# the work is (output pixels) x (kernel size) x (input channels) x (output channels) x 2, so an
# early convolution on a large image is expensive even with few parameters, while a dense layer
# with millions of parameters is cheap per image. `flops_per_image` adds this up (only
# convolutions and dense layers) for one forward pass; training costs about 3x that per image.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
for name, model in networks.items():
    flops = models.flops_per_image(model)
    print(f"{name:<9} {flops / 1e6:>6,.0f} MFLOP per image forward, {model.count_params() / 1e6:.2f} M parameters")

# %% [markdown] tags=[]
# The fast network has about a quarter of the baseline's parameters and a third of its
# arithmetic per image; most of its work is in the 256-channel convolutions of groups 2 and 3
# (exercise 1). The quick network needs a little over a quarter of the fast one's arithmetic:
# that, and fewer epochs, is where its speed comes from.
#
# ## A forward pass
#
# Untrained models already produce predictions; they are just meaningless. The baseline model
# ends in a softmax, so its outputs are probabilities (each row sums to 1). The fast model
# outputs *logits*, unnormalized scores; the loss applies the softmax. The training and
# evaluation code asks `models.outputs_logits(model)` to know which is which.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
batch = data.x_test[rng.choice(len(data.x_test), BATCH, replace=False)].astype("float32")
for name, model in networks.items():
    out = keras.ops.convert_to_numpy(model(batch, training=False))
    kind = "logits" if models.outputs_logits(model) else "probabilities, rows sum to 1"
    print(f"{name:<9} input {batch.shape} -> output {out.shape} {out.dtype}: {kind}")

# %% [markdown] tags=[]
# Random weights give roughly uniform predictions: about 10% accuracy, chance level. If your
# own model ever *starts* far from chance, with a loss far from ln(10) = 2.30, something is off
# in the initialization or the data.

# %% tags=[]
probabilities = keras.ops.convert_to_numpy(baseline_model(batch, training=False))
loss = -np.log(probabilities[np.arange(BATCH), rng.integers(0, 10, BATCH)]).mean()
print("untrained baseline model, first image:", np.round(probabilities[0], 3))
print(f"cross-entropy against random labels: {loss:.2f} (ln 10 = {np.log(10):.2f})")

# %% [markdown] tags=[]
# ## Summary
#
# - The baseline network spends 2.1 of its 7.3 million parameters on a single dense layer that
#   sees the whole image at once.
# - The fast network (airbench94) whitens its input with a frozen layer estimated from a random
#   sample of images, uses batch normalization and Dirac initialization everywhere, and ends
#   with one small linear layer.
# - The quick network is the fast one with fewer channels: a little over a quarter of the
#   arithmetic.
# - Models take 0..255 pixels and normalize inside, so a saved model is self-contained.
#
# ## Exercises
#
# 1. **Where does the work go?** Print the FLOPs of each convolution of the fast network and
#    find the most expensive layer. *Hint:* `flops_per_image` on a one-layer model is awkward;
#    compute `2 * h * w * kh * kw * cin * cout` from `layer.output.shape` and `layer.kernel.shape`.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    for layer in fast_model.layers:
#        if hasattr(layer, "kernel") and len(layer.kernel.shape) == 4:
#            kh, kw, cin, cout = layer.kernel.shape
#            _, h, w, _ = layer.output.shape
#            print(f"{layer.name:<14} {2 * h * w * kh * kw * cin * cout / 1e6:7.1f} MFLOP")
#    ```
#    `group2_conv1` (64 to 256 channels on 15x15 pixels, before its pooling) is the most
#    expensive, followed by the 256-channel convolutions on 7x7; the first group, at full
#    resolution but only 64 channels wide, costs less than any of them.
#    </details>
#
# 2. **Your own widths.** Build the fast network with widths `(16, 32, 32)` and `(96, 384, 384)`
#    and compare parameters and FLOPs with the three above.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    for widths in ((16, 32, 32), (96, 384, 384)):
#        m = models.build_model("fast", widths=widths)
#        print(widths, f"{m.count_params():,} parameters, {models.flops_per_image(m) / 1e6:,.0f} MFLOP")
#    ```
#    Work grows roughly with the square of the width: 1.5 times the fast widths costs about
#    2.2 times the FLOPs.
#    </details>
#
# 3. **Whitening from the wrong sample.** Initialise the whitening layer from the first 1,000
#    training images (all airplanes) and measure the output variances on random images as above.
#    What happens?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    whiten.init_from_images(standardize(data.x_train[:1000]))
#    out = keras.ops.convert_to_numpy(whiten(standardize(data.x_train[picks[-500:]])))
#    print(np.var(out[..., :12].reshape(-1, 12), axis=0).round(2))
#    ```
#    The strong filters' variances spread from about 0.6 to about 1.9 instead of staying near 1:
#    filters fitted to sky-heavy airplane patches do not whiten the other classes' patches.
#    </details>
#
# **Next:** notebook 4 trains the quick network, and shows the optimizer that makes it fast.
