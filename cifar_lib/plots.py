"""Every figure of the tutorial. Each function returns a matplotlib Figure and, given
``save_to``, also writes it as a PNG (parent folders created), so notebooks can keep a stable
copy in figures/. No TensorFlow here: inputs are numpy arrays and pandas tables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

DPI = 110


def _save(fig: matplotlib.figure.Figure, save_to: str | os.PathLike | None) -> matplotlib.figure.Figure:
    if save_to is not None:
        os.makedirs(os.path.dirname(os.path.abspath(save_to)), exist_ok=True)
        fig.savefig(save_to, dpi=DPI, bbox_inches="tight")
    return fig


def _as_display(image: np.ndarray) -> np.ndarray:
    """uint8 or float (0..1 or 0..255) image -> something imshow shows correctly."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    scale = 255.0 if image.max() > 1.0 else 1.0
    return np.clip(image / scale, 0.0, 1.0)


def plot_training_curves(history: pd.DataFrame | str, save_to=None) -> matplotlib.figure.Figure:
    """Loss and accuracy per epoch, training vs the monitored set (a history DataFrame or history.csv path).

    The monitored set is the validation split (``val_*`` columns) or the test set (``test_*``).
    The x axis starts at epoch 0 and a dotted line marks chance level (10% accuracy; a loss of
    ln 10 = 2.30, what an untrained network that spreads its bets evenly scores), so the jump of
    the first epoch is visible.
    """
    if not isinstance(history, pd.DataFrame):
        history = pd.read_csv(history)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    marker = "o" if len(history) < 15 else None
    chance = {"loss": np.log(10), "accuracy": 0.1}
    for ax, metric, title in ((axes[0], "loss", "Loss"), (axes[1], "accuracy", "Accuracy")):
        ax.plot(history["epoch"], history[metric], marker=marker, label="training")
        for prefix, monitored in (("val", "validation"), ("test", "test")):
            if f"{prefix}_{metric}" in history:
                ax.plot(history["epoch"], history[f"{prefix}_{metric}"], marker=marker, label=monitored)
        ax.axhline(chance[metric], color="grey", ls=":", lw=1, label="chance level")
        ax.set_xlim(0, history["epoch"].max() + 0.5)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylim(bottom=0)
    axes[1].set_ylim(0, 1)
    axes[1].legend(loc="center right")  # the curves rise from the lower left to the upper right
    fig.tight_layout()
    return _save(fig, save_to)


def plot_class_balance(labels_by_split: Mapping[str, np.ndarray], class_names: Sequence[str], save_to=None):
    """Grouped bar chart: images per class in each split."""
    rows = [
        (split, class_names[c], int(n))
        for split, y in labels_by_split.items()
        for c, n in enumerate(np.bincount(np.asarray(y), minlength=len(class_names)))
    ]
    table = pd.DataFrame(rows, columns=["split", "class", "images"])
    fig, ax = plt.subplots(figsize=(11, 4))
    sns.barplot(data=table, x="class", y="images", hue="split", ax=ax)
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title("Images per class")
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    save_to=None,
    suptitle: str | None = None,
):
    """Images in a grid, with optional titles."""
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.55 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(_as_display(images[i]), interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_sample_grid(
    images: np.ndarray, labels: np.ndarray, class_names: Sequence[str], per_class: int = 8, seed: int = 0, save_to=None
):
    """``per_class`` random images of every class, one row per class, labelled on the left."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(
        len(class_names), per_class, figsize=(1.1 * per_class + 1.2, 1.1 * len(class_names)), squeeze=False
    )
    for c, name in enumerate(class_names):
        members = np.flatnonzero(np.asarray(labels) == c)
        chosen = rng.choice(members, size=min(per_class, len(members)), replace=False) if len(members) else []
        for j, ax in enumerate(axes[c]):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(chosen):
                ax.imshow(_as_display(images[chosen[j]]), interpolation="nearest")
        axes[c, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=10)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_augmentation_preview(originals: np.ndarray, variants: Mapping[str, Sequence[np.ndarray]], save_to=None):
    """One row per original image: the original, then each augmentation's draws (column groups).

    ``variants[name][k]`` is the k-th draw: a batch aligned with ``originals``.
    """
    n = len(originals)
    columns = [("original", None, None)] + [
        (name, name, k) for name, draws in variants.items() for k in range(len(draws))
    ]
    fig, axes = plt.subplots(n, len(columns), figsize=(1.3 * len(columns), 1.35 * n), squeeze=False)
    for col, (title, name, k) in enumerate(columns):
        for row in range(n):
            ax = axes[row, col]
            ax.axis("off")
            ax.imshow(_as_display(originals[row] if name is None else variants[name][k][row]), interpolation="nearest")
        axes[0, col].set_title(title if name is None else f"{name} #{k + 1}", fontsize=9)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_channel_histograms(images: np.ndarray, save_to=None):
    """Pixel-value histograms of the R, G and B channels, with mean and std in the legend."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 or images.max() > 1.0 else 1.0
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for c, colour in enumerate(("red", "green", "blue")):
        values = images[..., c].ravel() / scale
        ax.hist(
            values,
            bins=64,
            range=(0, 1),
            color=colour,
            histtype="step",
            lw=1.5,
            label=f"{colour}: mean {values.mean():.3f}, std {values.std():.3f}",
        )
    ax.set_xlabel("pixel value (0..1)")
    ax.set_ylabel("pixels")
    ax.set_title("Pixel values per channel")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_confusion_matrix(
    cm: np.ndarray, class_names: Sequence[str], normalize: bool = False, save_to=None, title: str | None = None
):
    """Heatmap of a confusion matrix (rows true, columns predicted) in which the errors are visible.

    The off-diagonal cells (the mistakes) get the colour scale to themselves; the diagonal (the
    correct predictions, far larger) is drawn in grey with its numbers, so it does not wash the
    mistakes out.
    """
    cm = np.asarray(cm)
    off = ~np.eye(len(cm), dtype=bool)
    fmt = ".2f" if normalize else "d"
    fig, ax = plt.subplots(figsize=(8.5, 7))
    sns.heatmap(
        cm,
        mask=~off,
        annot=True,
        fmt=fmt,
        cmap="Reds",
        square=True,
        cbar=True,
        vmin=0,
        vmax=cm[off].max() if cm[off].size and cm[off].max() > 0 else 1,
        cbar_kws={"label": "mistakes (" + ("fraction of the true class" if normalize else "images") + ")"},
        xticklabels=class_names,
        yticklabels=class_names,
        ax=ax,
        annot_kws={"fontsize": 8},
    )
    sns.heatmap(
        cm,
        mask=off,
        annot=True,
        fmt=fmt,
        cmap=matplotlib.colors.ListedColormap(["#d9d9d9"]),
        cbar=False,
        square=True,
        xticklabels=class_names,
        yticklabels=class_names,
        ax=ax,
        annot_kws={"fontsize": 8, "fontweight": "bold"},
    )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(
        title
        or (
            "Confusion matrix (fraction of each true class; diagonal in grey)"
            if normalize
            else "Confusion matrix (counts; diagonal in grey)"
        )
    )
    ax.tick_params(axis="x", rotation=45)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_misclassified(
    images: np.ndarray,
    true: Sequence[int],
    pred: Sequence[int],
    confidence: Sequence[float],
    class_names: Sequence[str],
    ncols: int = 8,
    save_to=None,
):
    """Gallery of mistakes titled "true → predicted (confidence%)"."""
    titles = [f"{class_names[t]} →\n{class_names[p]} ({100 * c:.0f}%)" for t, p, c in zip(true, pred, confidence)]
    return plot_image_grid(images, titles, ncols=ncols, save_to=save_to, suptitle="Misclassified test images")


def plot_per_class_accuracy(table: pd.DataFrame, save_to=None):
    """Horizontal bars of per-class accuracy (a ``reports.per_class_accuracy`` table)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ordered = table.sort_values("accuracy")
    ax.barh(ordered["class"], ordered["accuracy"], color="tab:blue")
    for y, value in enumerate(ordered["accuracy"]):
        ax.text(value + 0.005, y, f"{value:.1%}", va="center", fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel("accuracy")
    ax.set_title("Accuracy per class")
    fig.tight_layout()
    return _save(fig, save_to)


def plot_reliability(tables: Mapping[str, pd.DataFrame], bins: int = 15, save_to=None):
    """Reliability diagram: accuracy against mean confidence per confidence bin, one line per
    ``calibration.reliability_table``; the diagonal is perfect calibration. Below, how many
    predictions fall in each bin."""
    fig, (ax, counts) = plt.subplots(2, 1, figsize=(6.5, 6.5), sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
    for (name, table), marker in zip(tables.items(), "osD^v"):
        ax.plot(table["confidence"], table["accuracy"], marker=marker, label=name)
        counts.plot(table["confidence"], table["count"], marker=marker, label=name)
    ax.set(
        ylabel="accuracy in the bin",
        xlim=(0, 1.01),
        ylim=(0, 1.01),
        title=f"Reliability: accuracy against confidence ({bins} equal-width bins)",
    )
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    counts.set(xlabel="mean confidence (top probability) in the bin", ylabel="predictions")
    counts.set_yscale("log")
    counts.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_accuracy_by_coverage(tables: Mapping[str, pd.DataFrame], save_to=None):
    """Accuracy on the answered predictions against the share answered (``calibration.accuracy_by_coverage``)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for (name, table), marker in zip(tables.items(), "osD^v"):
        ax.plot(table["coverage"] * 100, table["accuracy"] * 100, marker=marker, label=name)
    ax.set(
        xlabel="share of test images answered, most confident first (%)",
        ylabel="accuracy on them (%)",
        title="Abstaining on the least confident predictions",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    return _save(fig, save_to)


def plot_corruption_grid(original: np.ndarray, corrupted: Mapping[str, Sequence[np.ndarray]], save_to=None):
    """One image under every corruption (rows) and severity (columns), the original on the left."""
    names = list(corrupted)
    severities = len(next(iter(corrupted.values())))
    fig, axes = plt.subplots(
        len(names), severities + 1, figsize=(1.35 * (severities + 1) + 1.2, 1.4 * len(names)), squeeze=False
    )
    for row, name in enumerate(names):
        for col, image in enumerate([original, *corrupted[name]]):
            ax = axes[row, col]
            ax.imshow(_as_display(image), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title("original" if col == 0 else f"severity {col}", fontsize=9)
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_corruption_accuracy(table: pd.DataFrame, clean: Mapping[str, float], save_to=None):
    """Accuracy against severity, one panel per corruption; ``table`` has columns corruption,
    severity, tta, accuracy; ``clean`` the accuracy without corruption per TTA level (dotted)."""
    names = list(dict.fromkeys(table["corruption"]))
    fig, axes = plt.subplots(1, len(names), figsize=(2.3 * len(names), 3.2), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        part = table[table["corruption"] == name]
        for (tta, rows), colour in zip(part.groupby("tta", sort=False), ("tab:blue", "tab:orange")):
            ax.plot(rows["severity"], rows["accuracy"] * 100, marker="o", color=colour, label=tta)
            ax.axhline(clean[tta] * 100, color=colour, ls=":", lw=1)
        ax.set(title=name, xlabel="severity", xticks=sorted(part["severity"].unique()))
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("test accuracy (%)")
    axes[0, 0].set_ylim(0, 100)
    axes[0, -1].legend(title="TTA (dotted: clean)", loc="lower left", fontsize=8)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_grad_cam(
    images: np.ndarray, maps: np.ndarray, titles: Sequence[str], save_to=None, suptitle: str | None = None
):
    """Each image (top row) and its Grad-CAM map over it (bottom row, red: where the class was found)."""
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.5 * n, 3.5), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(_as_display(images[i]), interpolation="nearest")
        axes[0, i].set_title(titles[i], fontsize=8)
        axes[1, i].imshow(_as_display(images[i]), interpolation="nearest")
        axes[1, i].imshow(maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1, interpolation="bilinear")
        for ax in axes[:, i]:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return _save(fig, save_to)


def plot_predictions(
    originals: Sequence[np.ndarray],
    inputs: np.ndarray,
    top: Sequence[Sequence[tuple[str, float]]],
    names: Sequence[str],
    save_to=None,
):
    """Per photo: the photo, the 32x32 image the model sees, and bars of its top classes."""
    n = len(inputs)
    fig, axes = plt.subplots(n, 3, figsize=(8, 2.1 * n), squeeze=False, gridspec_kw={"width_ratios": (1, 1, 1.6)})
    for i in range(n):
        axes[i, 0].imshow(_as_display(originals[i]))
        axes[i, 0].set_title(names[i], fontsize=9)
        axes[i, 1].imshow(_as_display(inputs[i]), interpolation="nearest")
        axes[i, 1].set_title("what the model sees (32x32)", fontsize=8)
        for ax in axes[i, :2]:
            ax.axis("off")
        labels, values = zip(*top[i])
        axes[i, 2].barh(range(len(values))[::-1], [100 * v for v in values], color="tab:blue")
        axes[i, 2].set_yticks(range(len(values))[::-1], labels)
        for y, v in zip(range(len(values))[::-1], values):
            axes[i, 2].text(100 * v + 1, y, f"{v:.0%}", va="center", fontsize=8)
        axes[i, 2].set_xlim(0, 115)
        axes[i, 2].set_xlabel("probability (%)", fontsize=8)
    fig.tight_layout()
    return _save(fig, save_to)
