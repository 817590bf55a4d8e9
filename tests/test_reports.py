"""Report tables against small hand-computed examples."""

import numpy as np
import pytest

from cifar_lib.reports import (
    classification_text,
    confused_pairs_both_ways,
    confusion,
    misclassified,
    most_confused_pairs,
    per_class_accuracy,
)

NAMES = ("a", "b", "c")
Y_TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 1, 2, 0, 2, 1])


def test_confusion_counts_and_normalized():
    cm = confusion(Y_TRUE, Y_PRED, 3)
    np.testing.assert_array_equal(cm, [[1, 2, 0], [0, 2, 0], [1, 1, 2]])
    np.testing.assert_allclose(confusion(Y_TRUE, Y_PRED, 3, normalize="true")[2], [0.25, 0.25, 0.5])


def test_per_class_accuracy():
    table = per_class_accuracy(Y_TRUE, Y_PRED, NAMES)
    assert list(table["class"]) == list(NAMES)
    assert list(table["correct"]) == [1, 2, 2] and list(table["total"]) == [3, 2, 4]
    np.testing.assert_allclose(table["accuracy"], [1 / 3, 1.0, 0.5])


def test_most_confused_pairs_order_keeps_ties():
    table = most_confused_pairs(Y_TRUE, Y_PRED, NAMES, top=2)  # c -> b ties with c -> a: both are kept
    assert list(zip(table["true"], table["predicted"], table["count"])) == [("a", "b", 2), ("c", "a", 1), ("c", "b", 1)]
    assert table["share_of_true_class"][0] == pytest.approx(2 / 3)
    assert len(most_confused_pairs(Y_TRUE, Y_PRED, NAMES, top=1)) == 1


def test_confused_pairs_both_ways_adds_the_two_directions():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([1, 1, 0, 2, 1, 1])  # a as b 2, b as a 1, b as c 1, c as b 1
    table = confused_pairs_both_ways(y_true, y_pred, NAMES, top=1)
    assert list(table.iloc[0]) == ["a", "b", 2, 1, 3]
    assert len(table) == 1
    both = confused_pairs_both_ways(y_true, y_pred, NAMES)
    assert list(zip(both["class_a"], both["class_b"], both["total"])) == [("a", "b", 3), ("b", "c", 2)]


def test_misclassified_most_confident_first():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.4, 0.6, 0.0]])
    table = misclassified(np.array([0, 0, 0]), probabilities)
    assert list(table["index"]) == [1, 2] and list(table["predicted"]) == [1, 1]
    np.testing.assert_allclose(table["confidence"], [0.7, 0.6])
    assert len(misclassified(np.array([0, 0, 0]), probabilities, top=1)) == 1


def test_classification_report():
    text = classification_text(Y_TRUE, Y_PRED, NAMES)
    row = next(line.split() for line in text.splitlines() if line.split()[:1] == ["b"])
    assert float(row[1]) == pytest.approx(2 / 5, abs=1e-3) and float(row[2]) == pytest.approx(1.0)  # precision, recall
