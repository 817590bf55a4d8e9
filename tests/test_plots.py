"""Every figure renders, has the expected parts, and is saved where asked."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from cifar_lib import plots

NAMES = tuple("abcdefghij")


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)


def _saved(path):
    assert path.exists() and path.stat().st_size > 1000
    return True


def test_training_curves(tmp_path):
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "loss": [2, 1.5, 1.2],
            "accuracy": [0.3, 0.5, 0.6],
            "val_loss": [1.9, 1.6, 1.4],
            "val_accuracy": [0.35, 0.45, 0.55],
        }
    )
    csv = tmp_path / "history.csv"
    history.to_csv(csv, index=False)
    fig = plots.plot_training_curves(str(csv), save_to=tmp_path / "sub" / "curves.png")
    assert len(fig.axes) == 2 and all(len(ax.lines) == 3 for ax in fig.axes)  # training, validation, chance
    assert fig.axes[1].get_legend_handles_labels()[1] == ["training", "validation", "chance level"]
    loss_ax, accuracy_ax = fig.axes
    assert loss_ax.lines[2].get_ydata()[0] == pytest.approx(np.log(10)) and accuracy_ax.lines[2].get_ydata()[0] == 0.1
    assert all(ax.get_xlim()[0] == 0 for ax in fig.axes)  # the first epoch's jump from chance is visible
    assert _saved(tmp_path / "sub" / "curves.png")
    renamed = history.rename(columns={"val_loss": "test_loss", "val_accuracy": "test_accuracy"})
    assert plots.plot_training_curves(renamed).axes[1].get_legend_handles_labels()[1] == [
        "training",
        "test",
        "chance level",
    ]


def test_class_balance(tmp_path):
    fig = plots.plot_class_balance(
        {"train": np.arange(100) % 10, "test": np.arange(20) % 10}, NAMES, save_to=tmp_path / "b.png"
    )
    assert len(fig.axes[0].patches) >= 20 and _saved(tmp_path / "b.png")


def test_sample_grid_and_image_grid(images, tmp_path):
    fig = plots.plot_sample_grid(images, np.arange(40) % 10, NAMES, per_class=3, save_to=tmp_path / "s.png")
    assert len(fig.axes) == 30 and fig.axes[0].get_ylabel() == "a" and _saved(tmp_path / "s.png")
    fig = plots.plot_image_grid(images[:5], [str(i) for i in range(5)], ncols=4)
    assert len(fig.axes) == 8 and fig.axes[0].get_title() == "0"


def test_augmentation_preview(images, tmp_path):
    variants = {"baseline": [images[:3].astype("float32")] * 2, "fast": [images[:3]] * 3}
    fig = plots.plot_augmentation_preview(images[:3], variants, save_to=tmp_path / "a.png")
    assert len(fig.axes) == 3 * (1 + 2 + 3) and fig.axes[0].get_title() == "original"
    assert _saved(tmp_path / "a.png")


def test_channel_histograms(images, tmp_path):
    fig = plots.plot_channel_histograms(images, save_to=tmp_path / "h.png")
    assert len(fig.axes[0].get_legend().get_texts()) == 3 and _saved(tmp_path / "h.png")


def test_confusion_matrix_counts_and_normalized(tmp_path):
    cm = np.arange(100).reshape(10, 10)
    fig = plots.plot_confusion_matrix(cm, NAMES, save_to=tmp_path / "c.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 100 and "99" in texts and _saved(tmp_path / "c.png")
    errors = fig.axes[0].collections[0]  # the off-diagonal cells own the colour scale, not the diagonal
    assert errors.get_clim() == (0, 98)  # 99 is on the diagonal
    fig = plots.plot_confusion_matrix(cm / cm.sum(1, keepdims=True), NAMES, normalize=True)
    assert all("." in t.get_text() for t in fig.axes[0].texts)


def test_misclassified_and_per_class(images, tmp_path):
    fig = plots.plot_misclassified(
        images[:4], [0, 1, 2, 3], [1, 2, 3, 4], [0.9, 0.8, 0.7, 0.6], NAMES, ncols=4, save_to=tmp_path / "m.png"
    )
    assert "a →" in fig.axes[0].get_title() and "(90%)" in fig.axes[0].get_title() and _saved(tmp_path / "m.png")
    table = pd.DataFrame({"class": NAMES, "accuracy": np.linspace(0.5, 0.95, 10)})
    fig = plots.plot_per_class_accuracy(table, save_to=tmp_path / "p.png")
    assert len(fig.axes[0].patches) == 10 and _saved(tmp_path / "p.png")


def test_trust_and_use_figures(tmp_path, images):
    from cifar_lib import calibration

    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10) * 0.3, 200)
    y = rng.integers(0, 10, 200)
    tables = {"plain": calibration.reliability_table(p, y, 10)}
    fig = plots.plot_reliability(tables, bins=10, save_to=tmp_path / "r.png")
    assert "10 equal-width bins" in fig.axes[0].get_title() and _saved(tmp_path / "r.png")
    fig = plots.plot_accuracy_by_coverage({"plain": calibration.accuracy_by_coverage(p, y)}, save_to=tmp_path / "c.png")
    assert len(fig.axes[0].lines) == 1 and _saved(tmp_path / "c.png")
    fig = plots.plot_corruption_grid(images[0], {"noise": [images[1]] * 5, "blur": [images[2]] * 5})
    assert len(fig.axes) == 2 * 6 and fig.axes[1].get_title() == "severity 1"
    table = pd.DataFrame(
        [
            {"corruption": c, "severity": s, "tta": t, "accuracy": 0.5}
            for c in ("noise", "blur")
            for s in (1, 2)
            for t in ("none", "mirror")
        ]
    )
    fig = plots.plot_corruption_accuracy(table, {"none": 0.8, "mirror": 0.82})
    assert [ax.get_title() for ax in fig.axes] == ["noise", "blur"]
    fig = plots.plot_grad_cam(images[:3], rng.random((3, 32, 32)), ["a", "b", "c"])
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "a"
    fig = plots.plot_predictions([images[0]], images[:1], [[("cat", 0.7), ("dog", 0.2)]], ["photo"])
    assert fig.axes[0].get_title() == "photo" and len(fig.axes[2].patches) == 2
