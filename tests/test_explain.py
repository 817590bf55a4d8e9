"""Grad-CAM: the maps' form, a clear error for a wrong layer, and (real data) maps that point at pixels that matter."""

from pathlib import Path

import numpy as np
import pytest

from cifar_lib import evaluation, explain

QUICK = Path(__file__).resolve().parent.parent / "models" / "cifar10_quick.keras"


@pytest.fixture(scope="module")
def model():
    return evaluation.load_model(str(QUICK))


def test_maps_have_the_image_size_and_range(model):
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype("uint8")
    maps = explain.grad_cam(model, images)
    assert maps.shape == (3, 32, 32) and maps.min() >= 0 and maps.max() <= 1
    other = explain.grad_cam(model, images, classes=np.array([0, 1, 2]), layer="group3_gelu2")
    assert other.shape == (3, 32, 32)


def test_unknown_layer_names_the_layers_there_are(model):
    with pytest.raises(ValueError, match="no layer 'nope'.*group2_gelu2"):
        explain.grad_cam(model, np.zeros((1, 32, 32, 3), "uint8"), layer="nope")


@pytest.mark.real_data
def test_covering_the_marked_pixels_costs_more_than_covering_the_unmarked(model, real_data_path):
    from cifar_lib.data import load_cifar10, stratified_subset

    data = load_cifar10(real_data_path)
    x, _ = stratified_subset(data.x_test, data.y_test, 200, seed=0)
    x = x.astype("float32")
    probs = evaluation.predict(model, x)
    chosen = probs.argmax(axis=1)
    maps = explain.grad_cam(model, x)
    drops = []
    for most in (True, False):
        covered = explain.cover(x, maps, 0.25, most=most)
        drops.append(
            (probs[np.arange(len(x)), chosen] - evaluation.predict(model, covered)[np.arange(len(x)), chosen]).mean()
        )
    assert drops[0] > drops[1] + 0.05, drops


def test_cover_replaces_exactly_the_share_asked_for():
    images = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    maps = np.zeros((2, 4, 4))
    maps[:, 0, :] = 1.0  # the top row is marked; the other 12 pixels tie at 0
    most = explain.cover(images, maps, 0.25, most=True)
    changed = (most != images).any(axis=-1)
    assert changed.sum(axis=(1, 2)).tolist() == [4, 4] and changed[:, 0, :].all()
    least = explain.cover(images, maps, 0.25, most=False)
    changed = (least != images).any(axis=-1)
    assert changed.sum(axis=(1, 2)).tolist() == [4, 4] and not changed[:, 0, :].any()
