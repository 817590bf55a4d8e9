"""Does the model's confidence mean anything? Reliability, ECE, temperature scaling, abstention.

Inputs are class probabilities (N, 10) and integer labels; NumPy and SciPy only (no TensorFlow).
Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural Networks" (ICML 2017), define
the expected calibration error with equal-width confidence bins and fit one temperature on
held-out data; this module does the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.stats import binomtest


def accuracy_interval(correct: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson interval of an accuracy of ``correct`` out of ``n``: what the test set's size allows."""
    interval = binomtest(int(correct), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(interval.low), float(interval.high)


def reliability_table(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> pd.DataFrame:
    """Predictions grouped by confidence (the top probability) into ``bins`` equal-width bins:
    per bin the count, the mean confidence and the accuracy (empty bins left out)."""
    confidence, correct = _confidence_and_correct(probabilities, labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)  # bin i: (edges[i], edges[i+1]]
    rows = [
        (edges[i], edges[i + 1], int(np.sum(index == i)), confidence[index == i].mean(), correct[index == i].mean())
        for i in range(bins)
        if np.any(index == i)
    ]
    return pd.DataFrame(rows, columns=["low", "high", "count", "confidence", "accuracy"])


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE: the count-weighted mean of |accuracy - confidence| over the confidence bins."""
    table = reliability_table(probabilities, labels, bins)
    return float(np.sum(table["count"] * (table["accuracy"] - table["confidence"]).abs()) / table["count"].sum())


def with_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities re-scaled by a temperature: softmax(log p / T). T > 1 softens, T < 1 sharpens;
    the most probable class, and so the accuracy, never changes."""
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the cross-entropy of ``labels`` (fit it on data you do not report on)."""
    labels = np.asarray(labels)

    def nll(log_t: float) -> float:
        p = with_temperature(probabilities, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1.0))))

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded").x))


def accuracy_by_coverage(
    probabilities: np.ndarray, labels: np.ndarray, coverages: np.ndarray | None = None
) -> pd.DataFrame:
    """Accuracy on the most confident predictions when the model may abstain on the rest:
    coverage 1.0 answers everything, 0.8 abstains on the least confident 20%."""
    confidence, correct = _confidence_and_correct(probabilities, labels)
    coverages = np.linspace(0.1, 1.0, 10) if coverages is None else np.asarray(coverages)
    order = np.argsort(-confidence, kind="stable")
    rows = []
    for coverage in coverages:
        kept = order[: max(1, int(round(coverage * len(order))))]
        rows.append((float(coverage), len(kept), float(correct[kept].mean()), float(confidence[kept].min())))
    return pd.DataFrame(rows, columns=["coverage", "answered", "accuracy", "min_confidence"])


def _confidence_and_correct(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probabilities, labels = np.asarray(probabilities), np.asarray(labels)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(f"{probabilities.shape} probabilities for {labels.shape} labels")
    return probabilities.max(axis=1), (probabilities.argmax(axis=1) == labels).astype(float)
