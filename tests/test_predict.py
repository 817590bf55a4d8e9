"""Your own images: the model's 32x32 input (RGB on white, centre square, area averaging), folders, bad files."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cifar_lib.data import CLASS_NAMES
from cifar_lib.predict import format_result, load_images, predict_images, to_model_input

QUICK = Path(__file__).resolve().parent.parent / "models" / "cifar10_quick.keras"


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth colour gradient with a little noise: what a downscaled photo looks like to a resize."""
    rows, cols = np.mgrid[0:height, 0:width]
    base = np.stack([rows / height * 200, cols / width * 200, (rows + cols) / (height + width) * 120 + 60], axis=-1)
    noise = np.random.default_rng(seed).normal(0, 8, base.shape)
    return (base + noise).clip(0, 255).astype("uint8")


def test_a_32x32_rgb_image_is_passed_through_unchanged():
    array = photo_like(32, 32)
    out = to_model_input(Image.fromarray(array))
    assert out.dtype == np.uint8 and out.shape == (32, 32, 3)
    np.testing.assert_array_equal(out, array)


def test_shrinking_averages_areas_instead_of_picking_pixels():
    checkerboard = ((np.indices((64, 64)).sum(axis=0) % 2) * 255).astype("uint8")
    out = to_model_input(Image.fromarray(np.stack([checkerboard] * 3, axis=-1)))
    assert np.all(np.abs(out.astype(int) - 127.5) <= 1)  # every 2x2 block: two black, two white pixels
    array = photo_like(96, 96)
    block_means = array.reshape(32, 3, 32, 3, 3).mean(axis=(1, 3))
    assert np.abs(to_model_input(Image.fromarray(array)) - block_means).max() <= 1  # 3x3 blocks, rounded
    upscaled = Image.fromarray(photo_like(32, 32)).resize((128, 128), Image.Resampling.NEAREST)
    np.testing.assert_array_equal(to_model_input(upscaled), photo_like(32, 32))  # 4x4 copies average back


@pytest.mark.parametrize("height, width", [(90, 160), (160, 90)])
def test_a_non_square_photo_is_centre_cropped_not_squashed(height, width):
    array = photo_like(height, width)
    side, top, left = min(height, width), (height - min(height, width)) // 2, (width - min(height, width)) // 2
    out = to_model_input(Image.fromarray(array))
    expected = to_model_input(Image.fromarray(array[top : top + side, left : left + side]))
    np.testing.assert_array_equal(out, expected)
    marked = array.copy()
    marked[:top], marked[top + side :], marked[:, :left], marked[:, left + side :] = 255, 255, 255, 255
    np.testing.assert_array_equal(to_model_input(Image.fromarray(marked)), out)  # the margins never count


def test_transparency_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), "uint8")  # black
    rgba[:, :20, 3] = 0  # left half fully transparent
    rgba[:, 20:, 3] = 255  # right half opaque
    out = to_model_input(Image.fromarray(rgba, "RGBA"))
    assert np.all(out[:, :15] == 255) and np.all(out[:, 17:] == 0)
    half = np.zeros((8, 8, 4), "uint8")
    half[..., 3] = 128
    assert np.all(np.abs(to_model_input(Image.fromarray(half, "RGBA")).astype(int) - 127) <= 1)
    palette = Image.fromarray(np.zeros((8, 8), "uint8"), "P")
    palette.info["transparency"] = 0
    assert np.all(to_model_input(palette) == 255)


def test_grayscale_becomes_three_equal_channels():
    gray = photo_like(64, 48)[..., 0]
    out = to_model_input(Image.fromarray(gray, "L"))
    assert out.shape == (32, 32, 3) and np.all(out[..., 0] == out[..., 1]) and np.all(out[..., 1] == out[..., 2])


@pytest.fixture
def image_folder(tmp_path):
    """PNG, JPEG, RGBA PNG, grayscale JPEG, a non-square photo, a text file named .jpg, notes, a subfolder."""
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(photo_like(32, 32, 1)).save(folder / "a.png")
    Image.fromarray(photo_like(64, 64, 2)).save(folder / "b.jpg", quality=90)
    Image.fromarray(np.dstack([photo_like(50, 50, 3), np.full((50, 50), 200, "uint8")]), "RGBA").save(folder / "c.png")
    Image.fromarray(photo_like(40, 40, 4)[..., 1], "L").save(folder / "d.jpeg")
    Image.fromarray(photo_like(300, 400, 5)).save(folder / "e.jpg")
    (folder / "fake.jpg").write_text("not a picture")
    (folder / "notes.txt").write_text("not an image suffix: skipped")
    (folder / "nested").mkdir()
    Image.fromarray(photo_like(32, 32, 6)).save(folder / "nested" / "z.png")  # folders are not recursed
    return folder


def test_load_images_expands_folders_sorted_and_lists_each_bad_file(image_folder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    images, errors = load_images([image_folder, empty, tmp_path / "missing.png"])
    assert [Path(p).name for p, _ in images] == ["a.png", "b.jpg", "c.png", "d.jpeg", "e.jpg"]
    assert all(a.shape == (32, 32, 3) and a.dtype == np.uint8 for _, a in images)
    messages = [message for _, message in errors]
    assert messages[0].startswith(f"{image_folder / 'fake.jpg'}: not an image (")
    assert messages[1:] == [f"{empty}: no image files", f"{tmp_path / 'missing.png'}: no such file or folder"]
    assert all("\n" not in m for m in messages)
    assert [p for p, _ in load_images(str(image_folder / "a.png"))[0]] == [str(image_folder / "a.png")]  # one path


def test_a_truncated_file_is_one_error(tmp_path):
    whole = tmp_path / "whole.jpg"
    Image.fromarray(photo_like(200, 200)).save(whole)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    images, errors = load_images([cut])
    assert images == [] and errors[0][1].startswith(f"{cut}: not an image (")


@pytest.fixture(scope="module")
def quick_model():
    from cifar_lib.evaluation import load_model

    return load_model(str(QUICK))


def test_predict_images_with_the_published_model(quick_model, image_folder):
    from cifar_lib.evaluation import predict

    results = predict_images(quick_model, [image_folder], top=3)
    assert [Path(r["path"]).name for r in results] == ["a.png", "b.jpg", "c.png", "d.jpeg", "e.jpg", "fake.jpg"]
    assert "not an image" in results[-1]["error"] and "top" not in results[-1]
    for result in results[:-1]:
        probs = [t["probability"] for t in result["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert len({t["class"] for t in result["top"]}) == 3 and all(t["class"] in CLASS_NAMES for t in result["top"])
    expected = predict(quick_model, photo_like(32, 32, 1)[None], tta="mirror_translate")[0]  # a.png: lossless
    first = predict_images(quick_model, [image_folder / "a.png"], tta="mirror_translate", top=10)[0]
    got = {t["class"]: t["probability"] for t in first["top"]}
    np.testing.assert_allclose([got[c] for c in CLASS_NAMES], expected, atol=1e-6)
    line = format_result(first)
    assert line.startswith(f"{image_folder / 'a.png'}: {first['top'][0]['class']} ") and line.count("%") == 10


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tta": "sideways"}, "unknown tta level 'sideways'"),
        ({"top": 0}, "top must be a whole number from 1 to 10, got 0"),
        ({"top": 11}, "top must be a whole number from 1 to 10, got 11"),
    ],
)
def test_bad_settings_are_refused(quick_model, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        predict_images(quick_model, [tmp_path], **kwargs)
