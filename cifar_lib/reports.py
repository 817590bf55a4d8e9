"""Tables that explain a classifier's mistakes (scikit-learn metrics, pandas tables; no TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix


def confusion(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10, normalize: str | None = None
) -> np.ndarray:
    """Confusion matrix, rows = true class, columns = predicted; ``normalize="true"`` gives row fractions."""
    return confusion_matrix(y_true, y_pred, labels=list(range(num_classes)), normalize=normalize)


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]) -> pd.DataFrame:
    """One row per class: correct, total and accuracy (recall)."""
    cm = confusion(y_true, y_pred, len(class_names))
    total = cm.sum(axis=1)
    correct = np.diag(cm)
    accuracy = np.divide(correct, total, out=np.zeros(len(total)), where=total > 0)
    return pd.DataFrame({"class": list(class_names), "correct": correct, "total": total, "accuracy": accuracy})


def classification_text(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]) -> str:
    """scikit-learn's classification report as printable text."""
    return classification_report(
        y_true, y_pred, labels=list(range(len(class_names))), target_names=list(class_names), digits=3, zero_division=0
    )


def most_confused_pairs(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], top: int = 10
) -> pd.DataFrame:
    """The most frequent mistakes, one direction per row (true -> predicted), with their share of the
    true class. Rows tied with the ``top``-th are kept, so the table may be longer than ``top``."""
    cm = confusion(y_true, y_pred, len(class_names))
    totals = cm.sum(axis=1)
    rows = [
        (class_names[t], class_names[p], int(cm[t, p]), cm[t, p] / totals[t] if totals[t] else 0.0)
        for t in range(len(class_names))
        for p in range(len(class_names))
        if t != p and cm[t, p] > 0
    ]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true_class"])
    return _top_with_ties(table.sort_values(["count", "true"], ascending=[False, True], kind="stable"), "count", top)


def confused_pairs_both_ways(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], top: int = 10
) -> pd.DataFrame:
    """The most confused pairs of classes counted in both directions: a_as_b + b_as_a = total.
    Rows tied with the ``top``-th are kept."""
    cm = confusion(y_true, y_pred, len(class_names))
    k = len(class_names)
    rows = [
        (class_names[a], class_names[b], int(cm[a, b]), int(cm[b, a]), int(cm[a, b] + cm[b, a]))
        for a in range(k)
        for b in range(a + 1, k)
        if cm[a, b] + cm[b, a] > 0
    ]
    table = pd.DataFrame(rows, columns=["class_a", "class_b", "a_as_b", "b_as_a", "total"])
    return _top_with_ties(table.sort_values("total", ascending=False, kind="stable"), "total", top)


def _top_with_ties(table: pd.DataFrame, column: str, top: int) -> pd.DataFrame:
    """The first ``top`` rows of a table sorted by ``column`` (descending), and every row tied with the last."""
    if len(table) > top:
        table = table[table[column] >= table[column].iloc[top - 1]]
    return table.reset_index(drop=True)


def misclassified(y_true: np.ndarray, probabilities: np.ndarray, top: int | None = None) -> pd.DataFrame:
    """Wrong predictions, most confident first: index, true, predicted, confidence."""
    y_true = np.asarray(y_true)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = probabilities[wrong, predicted[wrong]]
    table = pd.DataFrame(
        {"index": wrong, "true": y_true[wrong], "predicted": predicted[wrong], "confidence": confidence}
    )
    table = table.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)
    return table if top is None else table.head(top)


def confusion_cells(cm: np.ndarray, class_names: Sequence[str]) -> list[tuple[str, tuple[int, int]]]:
    """Every non-empty (true, predicted) cell of a confusion matrix as ("cat -> dog (87)", (3, 5)):
    mistakes first, most frequent first, then the correct cells. Options for a picker."""
    cells = [(int(cm[t, p]), t, p) for t in range(len(class_names)) for p in range(len(class_names)) if cm[t, p] > 0]
    cells.sort(key=lambda c: (c[1] == c[2], -c[0], c[1], c[2]))
    return [(f"{class_names[t]} -> {class_names[p]} ({n})", (t, p)) for n, t, p in cells]


def cell_members(y_true: np.ndarray, probabilities: np.ndarray, true_class: int, predicted_class: int) -> np.ndarray:
    """Indices of the images of ``true_class`` predicted as ``predicted_class``, most confident first."""
    predicted = probabilities.argmax(axis=1)
    members = np.flatnonzero((np.asarray(y_true) == true_class) & (predicted == predicted_class))
    return members[np.argsort(-probabilities[members, predicted_class], kind="stable")]
