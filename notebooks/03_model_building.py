# %% [markdown] tags=[]
# # 3. Three networks: a big plain CNN, a small fast one and a smaller quick one
#
# All three models take images as they come, float pixels in 0..255 of shape (32, 32, 3), and
# normalize them *inside* the model. A saved model therefore carries its own preprocessing:
# there is no preprocessing step to forget at prediction time. (Loading a saved fast or quick
# model still needs `cifar_lib` importable: its `Whitening` layer and `DiracInit` initializer
# are custom classes that `cifar_lib/models/fast.py` registers with Keras; notebook 7 exports
# models to formats that need neither.)
#
# - **baseline**: the network of the Keras script this project started from (its "seed").
#   Five 3x3 convolutions (128 to 512 channels) with max-pooling and dropout, then three dense
#   layers of 512, 256 and 128 units, then softmax. About 7.3 million parameters.
# - **fast**: airbench94 (Keller Jordan, 2024). A 2x2 *whitening* convolution with a frozen
#   kernel, then three groups of convolution, pooling, batch normalization and GELU (64, 256,
#   256 channels), then a single linear layer. About 2 million parameters.
# - **quick**: the same fast network with fewer channels, sized so that a 2-core CPU trains
#   it in minutes (notebook 4).
#
# We read their code, then look at where their parameters and their computation go; notebook 4
# trains one of them (the quick network by default).

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
# We need a few images: to estimate the whitening layer and to push through the networks. This
# notebook loads the whole dataset in both profiles (`shrink=False`); the line below says how
# many images that is. The JPEG copy this project is measured on holds all 50,000 training
# images but only 5,000 of the official 10,000 test images (docs/airbench94.md). The first load
# decodes the images and caches the arrays; later loads read the cache (for a local copy; the
# official download is read from Keras' own copy of the archive).

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
# each of its 512 units: over 2 million weights in a single layer, each one tied to one
# position and channel of the last feature map.

# %% tags=[]
import pandas as pd


def layer_table(model):
    """One row per layer: name, type, output shape (without the batch axis), parameters."""
    return pd.DataFrame(
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(layer.output.shape[1:])),
            "params": layer.count_params(),
        }
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
# The fast model is airbench94's network; docs/airbench94.md lists its settings and where this
# project implements each. Four of the things that set it apart from the baseline:
#
# - **Whitening.** After the `normalize` layer comes `whiten`, a 2x2 convolution with 24
#   filters. Twelve are the eigenvectors of the 2x2x3 patches' second-moment matrix
#   `patches.T @ patches / N`, each divided by `sqrt(eigenvalue + eps)` with `eps` = 5e-4 (the recipe's `whiten_eps`);
#   the other twelve are their negatives. (The patches are standardised with the official
#   CIFAR-10 mean and standard deviation, fixed numbers, so a sample's mean is close to zero
#   but not exactly zero, as checked below, and this matrix is close to, not exactly, their
#   covariance.) A direction with eigenvalue λ then comes out with variance about
#   λ / (λ + eps): close to 1 when λ is many times `eps`, smaller otherwise. The kernel is
#   frozen; the bias stays trainable (the fast and quick recipes train it for the first 3
#   epochs, `whiten_bias_epochs=3` in `recipes.py`).
# - **Batch normalization** after each 3x3 convolution of the three groups (for the first
#   convolution of a group, after its max-pool): in training it normalizes each channel with
#   the batch's mean and variance (at prediction, with running averages of them), and it
#   learns only a shift (`scale=False`). The whitening layer has none. The running averages
#   keep 0.6 of their value at each step (`bn_momentum`; PyTorch writes the same as 0.4).
# - **Identity (Dirac) initialization** of the 3x3 convolutions: the first min(in, out)
#   filters start as exact identities, each copying one input channel to its output; the
#   others get PyTorch's default random initialization. Where a group widens the network
#   (24 to 64 channels in `group1_conv1`, 64 to 256 in `group2_conv1`), most filters start
#   random.
# - **No big dense layer**: after the last group a 3x3 max-pool turns the 3x3 map into one
#   number per channel (1x1x256 in the table below), and a single linear layer (no bias) maps
#   these 256 numbers to 10 logits, scaled by 1/9 (the recipe's `logit_scale`).
#
# The whole network, as the library builds it, with the helpers that attach batch
# normalization and the Dirac initializer:

# %% tags=[]
show_source(
    models.fast.build_fast_model,
    models.fast._conv_group,
    models.fast._conv,
    models.fast._batch_norm,
    models.fast.DiracInit,
)

# %% [markdown] tags=[]
# ### The whitening initialisation
#
# Before training, the training code (`loop.fit_recipe`) estimates the patch statistics from
# 5,000 training images (the recipe's `whiten_images`) and sets the whitening kernel from their eigenvectors. The images are
# drawn **at random**: an image-folder copy is sorted by class, and the first 5,000 would all
# be airplanes (notebook 1), one class's patches instead of the dataset's (exercise 3 fits the
# filters to 1,000 airplanes and measures what they do to the outputs' variances). The layer's `build` shows which weight is frozen and which one trains:

# %% tags=[]
from cifar_lib.training import loop

show_source(
    loop.whitening_sample,
    models.fast.Whitening.build,
    models.fast.Whitening.call,
    models.fast.Whitening.init_from_images,
    models.fast.patch_matrix,
)

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
sample = standardize(loop.whitening_sample(data.x_train[picks[:2000]], 1000, SEED))
whiten.init_from_images(sample)
out = keras.ops.convert_to_numpy(whiten(standardize(data.x_train[picks[-500:]])))
channels = out[..., :12].reshape(-1, 12)  # the 12 eigen-filters (channels 12-23 are their negatives)
cov = np.cov(channels, rowvar=False)
corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
print("output channels:", out.shape[-1])
print("variance of each eigen-filter's output, largest eigenvalue first:", np.diag(cov).round(2))
print(f"largest correlation between two filters: {np.abs(corr - np.eye(12)).max():.2f}")
print("channels 12-23 are channels 0-11 negated:", np.allclose(out[..., 12:], -out[..., :12], atol=1e-5))

# %% [markdown] tags=[]
# Not every filter comes out with variance 1. The eigenvalues of the sample's patch matrix tell
# why: next to each, the variance λ / (λ + eps) that dividing by `sqrt(λ + eps)` predicts. The
# last line is the per-channel mean of the standardised sample.

# %% tags=[]
patches = models.fast.patch_matrix(sample, whiten.kernel_size)
eigenvalues = np.linalg.eigvalsh(patches.T @ patches / len(patches))[::-1]  # largest first, like the filters
print("eigenvalues:", " ".join(f"{value:.1e}" for value in eigenvalues))
print("predicted variance λ/(λ+eps):", (eigenvalues / (eigenvalues + whiten.eps)).round(2))
print("mean of the standardised sample per channel:", sample.mean(axis=(0, 1, 2)).round(3))

# %% [markdown] tags=[]
# On images the filters were not estimated from, their outputs are nearly uncorrelated (the
# largest correlation above), and each filter's variance is within 0.1 of what λ / (λ + eps)
# predicts. The first six eigenvalues are more than 100 times `eps` = 5e-4, and those filters
# come out near 1. The next four are about 3 to 10 times `eps`: predicted 0.91 down to 0.74,
# measured 0.99 down to 0.77. The last two are below `eps`, and both lines give about 0.2 to
# 0.3: `eps` damps the weakest directions of the patches. The per-channel means of the
# standardised sample are close to zero, not exactly zero. Channels 12-23 are the negatives of
# channels 0-11 (correlation -1 with them), and the first group receives all 24 channels
# after a GELU (`whiten_gelu` in the table below).
#
# Now the summary and the layer table of the fast network. The quick network is built by the
# same code with the quick recipe's widths; below, it appears in the parameter and FLOP counts
# and in the forward passes.

# %% tags=[]
fast_model.summary()

# %% tags=[]
# NBVAL_CHECK_OUTPUT
from cifar_lib.training import get_recipe

quick_model = models.build_model("fast", **get_recipe("quick").model_options())
print(layer_table(fast_model).to_string(index=False))
print("\nquick: the same layers with widths", get_recipe("quick").widths)

# %% [markdown] tags=[]
# Two details of the code, checked on the fast model: which weights of the whitening layer
# train, and how many filters of each 3x3 convolution start as identities.

# %% tags=[]
print(
    "whiten: trainable",
    [v.name for v in whiten.trainable_weights],
    " frozen",
    [v.name for v in whiten.non_trainable_weights],
)
for conv in fast_model.layers:
    if isinstance(conv, keras.layers.Conv2D):
        kernel = keras.ops.convert_to_numpy(conv.kernel)  # (3, 3, in, out)
        n = min(kernel.shape[2:])
        dirac = np.zeros_like(kernel[..., :n])
        dirac[1, 1, np.arange(n), np.arange(n)] = 1.0
        print(
            f"{conv.name}: {kernel.shape[2]:>3} -> {kernel.shape[3]:>3} channels, {n:>3} identity filters "
            f"(exact: {np.array_equal(kernel[..., :n], dirac)}), {kernel.shape[3] - n:>3} random"
        )

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
# the work is (output pixels) x (kernel size) x (input channels) x (output channels) x 2, so
# its cost grows with the size of its output while its parameter count does not: in the fast
# network, `group1_conv1` (31x31 output pixels) holds 0.7% of the parameters and does 11% of
# the arithmetic (exercise 1). A dense layer does 2 FLOPs per weight: the baseline's dense
# layer of 2.1 million weights costs 4.2 MFLOP per image. `flops_per_image` adds this up (only
# convolutions and dense layers) for one forward pass. A training step costs about 3 times the
# forward FLOPs per image (a rule of thumb: the backward pass costs about twice the forward
# one); the README's GFLOP/s figures (*Speed on a CPU*) count it this way, and the last line
# below checks it against airbench94's published total.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
for name, model in networks.items():
    flops = models.flops_per_image(model)
    print(f"{name:<9} {flops / 1e6:>6,.0f} MFLOP per image forward, {model.count_params() / 1e6:.2f} M parameters")
training_flops = 3 * models.flops_per_image(fast_model) * 50_000 * 9.9
print(
    f"\nfast, 3 x forward x 50,000 images x 9.9 epochs: {training_flops / 1e15:.2f} PFLOP "
    "(docs/airbench94.md: about 0.36 PFLOP)"
)

# %% [markdown] tags=[]
# The fast network has about a quarter of the baseline's parameters and a third of its
# arithmetic per image; most of its work is in the 256-channel convolutions of groups 2 and 3
# (exercise 1). The quick network needs a little over a quarter of the fast one's arithmetic
# per image, and its recipe also trains 8 epochs instead of 10, at batch 512 instead of 1024
# (`recipes.py`). Arithmetic does not predict the training time exactly: the README's table
# (*The quick recipe*) gives 322 s for the quick recipe against 989 s for the fast one, 3.1
# times faster, where 28% of the arithmetic per image for 8 of the 10 epochs would predict
# about 4.5 times.
#
# ## A forward pass
#
# Untrained models already produce predictions. The baseline model ends in a softmax, so its
# outputs are probabilities. The fast and quick models output *logits*, unnormalized scores;
# the loss applies the softmax. The training and evaluation code asks
# `models.outputs_logits(model)` to know which is which.

# %% tags=[]
# NBVAL_CHECK_OUTPUT
batch = data.x_test[rng.choice(len(data.x_test), BATCH, replace=False)].astype("float32")
for name, model in networks.items():
    out = keras.ops.convert_to_numpy(model(batch, training=False))
    kind = "logits" if models.outputs_logits(model) else "probabilities"
    print(f"{name:<9} input {batch.shape} -> output {out.shape} {out.dtype}: {kind}")

# %% [markdown] tags=[]
# The baseline's rows do sum to 1, up to float32 rounding:

# %% tags=[]
row_sums = keras.ops.convert_to_numpy(baseline_model(batch, training=False)).sum(axis=1)
print(f"baseline: {len(row_sums)} rows, largest |row sum - 1| = {np.abs(row_sums - 1).max():.1e}")

# %% [markdown] tags=[]
# How good are the untrained models? Chance level is 10% accuracy, and a model that predicts
# the uniform distribution has a cross-entropy of ln 10 = 2.30. The quick network's whitening
# kernel is still at its initial zeros, so that layer would output only its bias, the same for
# every image; we first initialise it from the same sample as the fast one's. Then accuracy and
# cross-entropy (against the true labels) on 500 random test images:

# %% tags=[]
models.fast.whitening_layer(quick_model).init_from_images(sample)
test_picks = np.random.default_rng(SEED).choice(len(data.x_test), 500, replace=False)
images, labels = data.x_test[test_picks].astype("float32"), data.y_test[test_picks]
for name, model in networks.items():
    scores = model(images, training=False)
    probs = keras.ops.convert_to_numpy(keras.ops.softmax(scores) if models.outputs_logits(model) else scores)
    loss = -np.log(probs[np.arange(len(labels)), labels]).mean()
    print(
        f"{name:<9} accuracy {np.mean(probs.argmax(1) == labels):5.1%}, cross-entropy {loss:.2f}, "
        f"mean top probability {probs.max(1).mean():.3f}, classes predicted: {len(np.unique(probs.argmax(1)))}"
    )
print(f"uniform:  accuracy 10.0%, cross-entropy ln 10 = {np.log(10):.2f}, top probability 0.100")

# %% [markdown] tags=[]
# All three are close to chance, as the lines above show: accuracy near 10% on these 500
# images, a cross-entropy near ln 10, and a mean top probability a little above the 0.1 of a
# uniform prediction, so the probabilities are close to uniform. The predictions are not
# spread evenly over the ten classes, though: "classes predicted" counts how many of them each
# model predicts at all. If your own model ever *starts* far from chance, with a loss far from
# ln 10 = 2.30, something is off in the initialization or the data.

# %% [markdown] tags=[]
# ## Summary
#
# - The baseline network spends 2.1 of its 7.3 million parameters on a single dense layer
#   connected to all 4,096 numbers of its last feature map.
# - The fast network (airbench94) whitens its input with a 2x2 convolution whose kernel is
#   estimated from a random sample of images and then frozen (its bias trains in the first
#   3 epochs). Each of its
#   3x3 convolutions starts with identity (Dirac) filters as its first min(in, out) filters
#   and is followed by batch normalization (after a max-pool, for a group's first
#   convolution); it ends with one small linear layer on 256 numbers.
# - Per image, the fast network does about a third of the baseline's arithmetic, most of it in
#   groups 2 and 3; the quick network, the fast one with fewer channels, does a little over a
#   quarter of the fast one's.
# - Untrained, the three networks are close to chance on 500 test images (accuracy near 10%,
#   cross-entropy near ln 10 = 2.30). The baseline outputs probabilities (its rows sum to 1),
#   the fast and quick networks output logits.
# - Models take 0..255 pixels and normalize inside (the `normalize` layer in the tables), so
#   there is no separate preprocessing step to forget.
#
# ## Exercises
#
# 1. **Where does the work go?** Print the FLOPs of each convolution of the fast network (the
#    whitening layer included), and let the code find the most expensive one.
#    *Hint:* `flops_per_image` on a one-layer model is awkward; compute
#    `2 * h * w * kh * kw * cin * cout` from `layer.output.shape` and `layer.kernel.shape`,
#    for the layers of `fast_model` whose kernel has 4 dimensions.

# %% tags=[]
# Exercise 1: your code here

# %% [markdown] tags=[]
# 2. **Your own widths.** Build the fast network with widths `(16, 32, 32)` and
#    `(96, 384, 384)` and compare their parameters and FLOPs with the three networks above.
#    How does the work grow with the width? *Hint:* `models.build_model("fast", widths=...)`,
#    then `count_params()` and `models.flops_per_image`; the dictionary `networks` holds the
#    three networks above.

# %% tags=[]
# Exercise 2: your code here

# %% [markdown] tags=[]
# 3. **Whitening from the wrong sample.** Initialise a whitening layer from 1,000 airplane
#    images only (what the first 1,000 images of a class-sorted copy would give) and measure
#    its output variances on the same 500 random training images as the check above
#    (`picks[-500:]`). What happens?
#    *Hint:* `data.y_train == 0` selects the airplanes; a fresh `models.fast.Whitening()` needs
#    `.build((None, 32, 32, 3))` before `init_from_images`; compare with `np.diag(cov)` from
#    the check above. Use new names, so that `whiten` keeps its filters.

# %% tags=[]
# Exercise 3: your code here

# %% [markdown] tags=[]
# ## Solutions
#
# Try the exercises first. These cells run with the rest of the notebook, so their outputs
# are real.
#
# **Exercise 1.** The FLOPs of each convolution, most expensive first:

# %% tags=["solution"]
conv_flops = {}
for conv_layer in fast_model.layers:
    if hasattr(conv_layer, "kernel") and len(conv_layer.kernel.shape) == 4:
        kh, kw, cin, cout = conv_layer.kernel.shape
        _, out_h, out_w, _ = conv_layer.output.shape
        conv_flops[conv_layer.name] = 2 * out_h * out_w * kh * kw * cin * cout
for layer_name, layer_flops in sorted(conv_flops.items(), key=lambda item: -item[1]):
    print(f"{layer_name:<14} {layer_flops / 1e6:6.1f} MFLOP  {layer_flops / sum(conv_flops.values()):6.1%}")
print("most expensive:", max(conv_flops, key=conv_flops.get))

# %% [markdown] tags=[]
# `group2_conv1` (64 to 256 channels, computed on 15x15 pixels before its pooling) is the most
# expensive, followed by the two 256-channel convolutions on 7x7 pixels. The first group's
# convolutions run at 31x31 and 15x15 pixels but with only 64 output channels, and cost less
# than those three; `group3_conv2` works on 3x3 pixels, and the whitening layer, with 24
# filters on 12 inputs, costs least.
#
# **Exercise 2.** The two new widths next to the three networks above:

# %% tags=["solution"]
width_models = {
    "fast 16/32/32": models.build_model("fast", widths=(16, 32, 32)),
    **networks,
    "fast 96/384/384": models.build_model("fast", widths=(96, 384, 384)),
}
width_flops = {label: models.flops_per_image(net) for label, net in width_models.items()}
for label, net in width_models.items():
    print(f"{label:<16} {net.count_params():>10,} parameters {width_flops[label] / 1e6:7.1f} MFLOP")
print(
    f"\n1.5 x the fast widths: {width_flops['fast 96/384/384'] / width_flops['fast']:.2f} x the FLOPs "
    f"(1.5 squared = {1.5**2:.2f})"
)

# %% [markdown] tags=[]
# Scaling all the fast widths by 1.5 costs 2.16 times the FLOPs, a little less than 1.5
# squared, because the whitening layer and the first convolution's input (24 channels) do not
# widen. At small widths that part weighs more: the fast widths are 4 to 8 times those of
# (16, 32, 32), yet the fast network does only 19 times its work, near the bottom of the 16 to 64 times that
# squaring the width ratios suggests. The widest network has more parameters than
# the fast one but fewer than the baseline, and does less arithmetic than the baseline;
# widths (16, 32, 32) need less arithmetic than any of the three.
#
# **Exercise 3.** A whitening layer fitted to 1,000 airplanes, measured on the 500 random
# images of the check above:

# %% tags=["solution"]
planes = data.x_train[data.y_train == 0][:1000]
plane_whiten = models.fast.Whitening()
plane_whiten.build((None, 32, 32, 3))
plane_whiten.init_from_images(standardize(planes))
plane_out = keras.ops.convert_to_numpy(plane_whiten(standardize(data.x_train[picks[-500:]])))
print("airplane filters:", np.var(plane_out[..., :12].reshape(-1, 12), axis=0).round(2))
print("random filters:  ", np.diag(cov).round(2))

# %% [markdown] tags=[]
# Fitted to airplanes, the first ten filters' variances on random images spread from 0.57 to
# 1.87, where the filters fitted to a random sample stay between 0.77 and 1.03: filters fitted
# to one class's patches do not whiten the patches of the dataset as a whole. The last two
# filters come out about the same in both.

# %% [markdown] tags=[]
# **Next:** notebook 4 trains the quick network, and shows the optimizer that makes it fast.
