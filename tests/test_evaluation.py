"""TTA views are the claimed transforms; predict averages them; evaluate measures accuracy."""

import keras
import numpy as np
import pytest

from cifar_lib.evaluation import evaluate, load_model, predict, translate, tta_views


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3)).astype("float32")


def test_tta_levels_have_the_claimed_views_and_weights(images):
    assert [w for _, w in tta_views(images, "none")] == [1.0]
    mirror = tta_views(images, "mirror")
    assert [w for _, w in mirror] == [0.5, 0.5]
    np.testing.assert_array_equal(mirror[1][0].numpy(), images[:, :, ::-1])
    six = tta_views(images, "mirror_translate")
    assert len(six) == 6 and abs(sum(w for _, w in six) - 1.0) < 1e-9
    assert [w for _, w in six] == [0.25, 0.25, 0.125, 0.125, 0.125, 0.125]
    up_left = six[2][0].numpy()
    np.testing.assert_array_equal(up_left[:, :-1, :-1], images[:, 1:, 1:])  # content moved up-left by 1
    down_right = six[4][0].numpy()
    np.testing.assert_array_equal(down_right[:, 1:, 1:], images[:, :-1, :-1])
    np.testing.assert_array_equal(six[3][0].numpy(), up_left[:, :, ::-1])
    with pytest.raises(ValueError, match="unknown tta level"):
        tta_views(images, "bogus")


def test_translate_zero_is_identity(images):
    np.testing.assert_array_equal(translate(images, 0, 0).numpy(), images)


def _tiny_logit_model():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    outputs = keras.layers.Dense(10, name="head")(x)
    return keras.Model(inputs, outputs)


def test_predict_returns_probabilities_and_mirror_averages(images, tmp_path):
    model = _tiny_logit_model()
    p = predict(model, images, tta="mirror_translate", batch_size=2)
    assert p.shape == (3, 10) and np.allclose(p.sum(1), 1, atol=1e-5)
    # a mirror-invariant model (global average pooling) gives the same answer with or without mirror TTA
    np.testing.assert_allclose(predict(model, images, "mirror"), predict(model, images, "none"), atol=1e-5)
    path = str(tmp_path / "m.keras")
    model.save(path)
    np.testing.assert_allclose(predict(load_model(path), images), predict(model, images), atol=1e-6)


def test_evaluate_accuracy_matches_argmax(images):
    model = _tiny_logit_model()
    pred = predict(model, images).argmax(1)
    labels = np.array([pred[0], pred[1], (pred[2] + 1) % 10])
    result = evaluate(model, images, labels)
    assert result["accuracy"] == pytest.approx(2 / 3)
    assert list(result["predicted"]) == list(pred)
