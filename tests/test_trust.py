"""Calibration and corruptions (notebook 6) against small cases whose answers are known."""

import numpy as np
import pytest

from cifar_lib import calibration, corruptions


def _probabilities(confidence: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """Rows whose top probability is ``confidence`` on class ``predicted``, the rest spread evenly."""
    p = np.repeat(((1 - confidence) / (classes - 1))[:, None], classes, axis=1)
    p[np.arange(len(p)), predicted] = confidence
    return p


def test_a_calibrated_model_has_ece_zero_and_an_overconfident_one_its_gap():
    confidence = np.full(100, 0.8)
    labels = np.zeros(100, dtype=int)
    predicted = np.where(np.arange(100) < 80, 0, 1)  # 80 of 100 right at confidence 0.8
    p = _probabilities(confidence, predicted)
    assert calibration.expected_calibration_error(p, labels) == pytest.approx(0.0, abs=1e-9)
    predicted = np.where(np.arange(100) < 60, 0, 1)  # 60 right at confidence 0.8: a gap of 0.2
    assert calibration.expected_calibration_error(_probabilities(confidence, predicted), labels) == pytest.approx(0.2)
    table = calibration.reliability_table(_probabilities(confidence, predicted), labels, bins=10)
    assert list(table["count"]) == [100] and table["low"][0] == pytest.approx(0.7)


def test_temperature_scaling_keeps_the_winner_and_fits_overconfidence():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 4000)
    logits = rng.normal(size=(4000, 10))
    logits[np.arange(4000), labels] += 2.0
    true_p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    sampled = np.array([rng.choice(10, p=row) for row in true_p])  # labels drawn from the model itself
    overconfident = calibration.with_temperature(true_p, 0.5)  # sharpened twice
    temperature = calibration.fit_temperature(overconfident, sampled)
    assert temperature == pytest.approx(2.0, rel=0.15)
    rescaled = calibration.with_temperature(overconfident, temperature)
    assert (rescaled.argmax(1) == overconfident.argmax(1)).all()
    assert calibration.expected_calibration_error(rescaled, sampled) < calibration.expected_calibration_error(
        overconfident, sampled
    )


def test_accuracy_by_coverage_answers_the_most_confident_first():
    confidence = np.array([0.9, 0.8, 0.7, 0.6])
    p = _probabilities(confidence, np.array([0, 0, 1, 1]))
    table = calibration.accuracy_by_coverage(p, np.zeros(4, dtype=int), coverages=[0.5, 1.0])
    assert list(table["answered"]) == [2, 4] and list(table["accuracy"]) == [1.0, 0.5]
    assert table["min_confidence"][0] == pytest.approx(0.8)


def test_accuracy_interval_is_wilson():
    low, high = calibration.accuracy_interval(4300, 5000)
    assert low < 0.86 < high and high - low == pytest.approx(0.0192, abs=0.0005)


@pytest.mark.parametrize("name", list(corruptions.CORRUPTIONS))
def test_corruptions_keep_the_format_and_grow_with_severity(name):
    images = np.random.default_rng(1).integers(30, 220, (8, 32, 32, 3)).astype(np.uint8)
    distance = []
    for severity in corruptions.SEVERITIES:
        out = corruptions.corrupt(images, name, severity, seed=0)
        assert out.dtype == np.uint8 and out.shape == images.shape
        np.testing.assert_array_equal(out, corruptions.corrupt(images, name, severity, seed=0))  # seeded
        distance.append(np.abs(out.astype(int) - images).mean())
    assert distance[-1] > distance[0] > 0


def test_corrupt_refuses_bad_input():
    images = np.zeros((2, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        corruptions.corrupt(images, "fog", 1)
    with pytest.raises(ValueError, match="severity must be one of"):
        corruptions.corrupt(images, "contrast", 6)
    with pytest.raises(ValueError, match="expected uint8 images"):
        corruptions.corrupt(images.astype(float), "contrast", 1)
