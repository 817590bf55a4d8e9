"""The seed architecture is the original one; the fast net's whitening and Dirac init do what they claim."""

import keras
import numpy as np
import pytest

from cifar_lib.models import build_model, flops_per_image, outputs_logits
from cifar_lib.models.fast import DiracInit, Whitening, patch_matrix


def test_seed_model_parameter_count_and_layer_order():
    model = build_model("baseline")
    assert model.count_params() == 7_281_802
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Rescaling",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Conv2D",
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Dropout",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [128, 256, 512, 512, 256]
    assert all(c.kernel_size == (3, 3) and c.padding == "same" for c in convs)
    assert all(abs(float(c.kernel_regularizer.l2) - 1e-4) < 1e-12 for c in convs)
    drops = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert drops == [0.3, 0.3, 0.3, 0.5, 0.5, 0.5]
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [512, 256, 128, 10]
    assert not outputs_logits(model)


def test_fast_model_shapes_and_frozen_whitening_kernel():
    model = build_model("fast")
    out = model(np.zeros((2, 32, 32, 3), "float32"))
    assert out.shape == (2, 10)
    assert outputs_logits(model)
    whiten = model.get_layer("whiten")
    assert [w.name for w in whiten.trainable_weights] == ["bias"]
    assert [w.name for w in whiten.non_trainable_weights] == ["kernel"]
    assert whiten.kernel.shape == (2, 2, 3, 24)
    # BatchNorm: scale frozen at 1 (no gamma), bias trained, momentum 0.6 (PyTorch 0.4)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == 6 and all(not n.scale and n.center and n.momentum == 0.6 for n in norms)
    assert flops_per_image(model) > 2e8  # ~0.24 GFLOP forward (airbench94: ~0.36 PFLOP per run; docs/airbench94.md)


def test_whitening_init_whitens_patches():
    rng = np.random.default_rng(0)
    # correlated channels and neighbouring pixels, like natural images
    base = rng.normal(size=(400, 33, 33, 1))
    smooth = base[:, 1:, 1:] + 0.8 * base[:, :-1, :-1]
    images = np.concatenate(
        [smooth, 0.5 * smooth + 0.1 * rng.normal(size=smooth.shape), rng.normal(size=smooth.shape)], axis=-1
    ).astype("float32")
    layer = Whitening()
    layer.build((None, 32, 32, 3))
    layer.init_from_images(images)
    out = keras.ops.convert_to_numpy(layer(images))[..., :12].reshape(-1, 12)  # first half: +filters
    cov = out.T @ out / len(out)
    raw = patch_matrix(images, 2)
    raw_cov = raw.T @ raw / len(raw)
    assert np.abs(raw_cov - np.diag(np.diag(raw_cov))).max() > 0.3  # the input patches are correlated
    assert np.abs(cov - np.diag(np.diag(cov))).max() < 1e-3  # the outputs are not
    # unit variance up to the eps regularizer: lambda / (lambda + 5e-4)
    eigenvalues = np.linalg.eigvalsh(raw_cov)[::-1]
    np.testing.assert_allclose(np.diag(cov), eigenvalues / (eigenvalues + 5e-4), rtol=1e-3)
    both = keras.ops.convert_to_numpy(layer(images))
    np.testing.assert_allclose(both[..., 12:], -both[..., :12], atol=1e-4)  # each filter and its negative


def test_patch_matrix_order_matches_conv():
    images = np.random.default_rng(1).normal(size=(2, 5, 5, 3)).astype("float32")
    patches = patch_matrix(images, 2)
    assert patches.shape == (2 * 4 * 4, 12)
    np.testing.assert_allclose(patches[0], images[0, :2, :2, :].reshape(-1), rtol=1e-6)


def test_dirac_init_puts_identity_in_first_filters():
    kernel = keras.ops.convert_to_numpy(DiracInit()((3, 3, 4, 6)))
    for i in range(4):
        expected = np.zeros((3, 3, 4))
        expected[1, 1, i] = 1
        np.testing.assert_array_equal(kernel[:, :, :, i], expected)
    assert np.abs(kernel[:, :, :, 4:]).max() <= 1 / np.sqrt(3 * 3 * 4) + 1e-6


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'nope'.*baseline.*fast"):
        build_model("nope")
